import type { Analyzer, Invocation } from '../analyze.ts';
import type { PathMarks, PathOp } from '../facts.ts';
import { getopt, hasOption, optionValues, staticValue } from '../getopt.ts';
import { type FileSpec, files, isStatic, paths, runInner } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Core file utilities: readers (`cat`, `head`, `sort`...), listings (`ls`, `du`, `tree`), writers (`tee`, `touch`, `rm`, `chmod`...), `cp`, `mv`, `install`, `ln`, `dd`. */
const { define, family } = createFamily('coreutils');
export const coreutils = family;

define(['man', 'info'], (a, call) => {
  const parsed = getopt(call.args, { short: 'PHMCSmLR', long: ['pager', 'html', 'manpath', 'config-file'] });
  for (const pager of optionValues(parsed, '-P', '--pager', '-H', '--html'))
    a.opaque(`${call.name} runs a pager or browser program`, staticValue(pager) ?? call.text);
});

define(
  'date',
  files({
    pos: 'none',
    short: 'dfr',
    long: ['date', 'file', 'reference', 'set'],
    optionPaths: { '-f': 'read', '--file': 'read', '-r': 'read', '--reference': 'read' },
  }),
);

const READERS = [
  'cat',
  'tac',
  'nl',
  'less',
  'more',
  'most',
  'bat',
  'batcat',
  'od',
  'hexdump',
  'hd',
  'strings',
  'wc',
  'file',
  'stat',
  'md5sum',
  'sha1sum',
  'sha224sum',
  'sha256sum',
  'sha384sum',
  'sha512sum',
  'b2sum',
  'cksum',
  'sum',
  'base32',
  'base64',
  'basenc',
  'fold',
  'fmt',
  'expand',
  'unexpand',
  'rev',
  'cmp',
  'comm',
  'join',
  'paste',
  'look',
  'readlink',
  'realpath',
  'lsattr',
  'getfacl',
  'zcat',
  'bzcat',
  'xzcat',
  'zstdcat',
  'lz4cat',
  'zless',
  'zmore',
  'view',
  'pr',
  'tsort',
  'xmllint',
  'md5',
  'shasum',
  'sha256',
  'pdftotext',
  'exiftool',
  'identify',
  'open',
  'xdg-open',
  'wslview',
  'df',
  'namei',
  'ldd',
  'objdump',
  'nm',
  'readelf',
  'otool',
  'lsof',
  'fuser',
  'mimetype',
];
// No short option is declared as taking a value here: a wrong guess would swallow a path.
define(READERS, files({ pos: 'read', long: ['files0-from'], namesFrom: ['--files0-from'] }));
define(['head', 'tail'], files({
  pos: 'read',
  short: 'nc',
  long: ['lines', 'bytes', 'pid', 'sleep-interval', 'max-unchanged-stats'],
}));
define(
  'cut',
  files({
    pos: 'read',
    short: 'bcdf',
    long: ['bytes', 'characters', 'delimiter', 'fields', 'output-delimiter'],
  }),
);
define(
  'column',
  files({
    pos: 'read',
    short: 'cstoNRHW',
    long: ['output-width', 'separator', 'output-separator', 'table-columns', 'table-name'],
  }),
);
define(
  'iconv',
  files({
    pos: 'read',
    short: 'fto',
    long: ['from-code', 'to-code', 'output'],
    optionPaths: { '-o': 'write', '--output': 'write' },
  }),
);
define(['diff', 'diff3', 'sdiff', 'colordiff'], files({
  pos: 'read',
  short: 'xXIUCFSLDWo',
  long: [
    'exclude',
    'exclude-from',
    'ignore-matching-lines',
    'label',
    'to-file',
    'from-file',
    'starting-file',
    'width',
    'line-format',
  ],
  recursiveWith: ['-r', '--recursive'],
  optionPaths: {
    '-X': 'read',
    '--exclude-from': 'read',
    '--to-file': 'read',
    '--from-file': 'read',
    '-o': 'write',
    '--output': 'write',
  },
}));
const sortFiles = files({
  pos: 'read',
  short: 'kotST',
  long: [
    'key',
    'output',
    'field-separator',
    'buffer-size',
    'temporary-directory',
    'parallel',
    'files0-from',
    'random-source',
    'compress-program',
  ],
  optionPaths: {
    '-o': 'write',
    '--output': 'write',
    '--random-source': 'read',
    '-T': 'write',
    '--temporary-directory': 'write',
  },
  namesFrom: ['--files0-from'],
});
// sort runs the compress program (and it with -d) on its temporary data.
define('sort', (a, call) => {
  const parsed = getopt(call.args, { long: ['compress-program'] });
  for (const program of optionValues(parsed, '--compress-program'))
    runInner(a, call, [program], call.env, { kind: 'unknown', text: 'sort temporary data' });
  sortFiles(a, call);
});
define(
  'uniq',
  files({
    pos: 'read',
    short: 'fsw',
    long: ['skip-fields', 'skip-chars', 'check-chars'],
    secondWrites: true,
  }),
);
define(
  'shuf',
  files({
    pos: 'read',
    short: 'nio',
    long: ['head-count', 'input-range', 'output', 'random-source'],
    optionPaths: { '-o': 'write', '--output': 'write' },
  }),
);
define(
  'xxd',
  files({
    pos: 'read',
    short: 'cglosn',
    long: ['cols', 'groupsize', 'len', 'seek', 'name'],
    secondWrites: true,
  }),
);
define(['split', 'csplit'], (a, call) => {
  const spec: FileSpec = {
    pos: 'read',
    short: 'abClntf',
    long: [
      'suffix-length',
      'additional-suffix',
      'bytes',
      'line-bytes',
      'lines',
      'number',
      'filter',
      'separator',
      'prefix',
      'suffix-format',
      'digits',
    ],
    secondWrites: true,
  };
  for (const filter of optionValues(getopt(call.args, spec), '--filter'))
    a.opaque(`${call.name} --filter runs a command`, staticValue(filter) ?? call.text);
  files(spec)(a, call);
});
define(['ls', 'dir', 'vdir', 'exa', 'eza', 'lsd'], files({
  pos: 'read',
  short: 'ITw',
  long: [
    'ignore',
    'hide',
    'width',
    'tabsize',
    'format',
    'sort',
    'time',
    'time-style',
    'block-size',
    'quoting-style',
    'indicator-style',
  ],
  recursiveWith: ['-R', '--recursive', '-T', '--tree'],
  defaultCwd: true,
}));
define(['du', 'ncdu', 'dust'], files({
  pos: 'read',
  short: 'dBtX',
  long: ['max-depth', 'block-size', 'threshold', 'exclude', 'exclude-from', 'files0-from', 'time-style'],
  recursive: true,
  defaultCwd: true,
  optionPaths: { '-X': 'read', '--exclude-from': 'read' },
  namesFrom: ['--files0-from'],
  followWith: ['-L', '--dereference'],
  noFollowUnless: ['-L', '--dereference', '-D', '-H', '--dereference-args'],
}));
define(
  'tree',
  files({
    pos: 'read',
    short: 'LPIoH',
    long: ['filelimit', 'timefmt', 'charset', 'sort'],
    recursive: true,
    defaultCwd: true,
    optionPaths: { '-o': 'write' },
  }),
);

// Writers
define('tee', files({ pos: 'write', long: ['output-error'] }));
define(
  'touch',
  files({
    pos: 'write',
    short: 'drt',
    long: ['date', 'reference', 'time'],
    optionPaths: { '-r': 'read', '--reference': 'read' },
  }),
);
define(['mkdir', 'mkfifo', 'mknod'], files({ pos: 'write', short: 'm', long: ['mode'] }));
// Deleting a symlink removes the link, not its target (`rm -r link/` with the slash does follow).
define(['rmdir', 'unlink'], files({ pos: 'write', deletes: true, noFollowUnless: [] }));
define(['rm', 'srm', 'trash', 'trash-put'], files({
  pos: 'write',
  recursive: true,
  deletes: true,
  noFollowUnless: [],
}));
define('shred', files({ pos: 'write', short: 'ns', long: ['iterations', 'size', 'random-source'] }));
define(
  'truncate',
  files({
    pos: 'write',
    short: 'sr',
    long: ['size', 'reference'],
    optionPaths: { '-r': 'read', '--reference': 'read' },
  }),
);
define(['chmod', 'chown', 'chgrp', 'chattr', 'chflags', 'chcon'], (a, call) => {
  const parsed = getopt(call.args, { long: ['reference', 'from'] });
  const reference = optionValues(parsed, '--reference');
  // The mode or owner word is checked as a path too (harmless): `chmod -w f` has no mode word at all.
  const targets = parsed.positional;
  const recursive = hasOption(parsed, '-R', '--recursive');
  paths(a, call, reference, 'read', false, '--reference');
  paths(
    a,
    call,
    targets,
    'write',
    recursive,
    'target',
    hasOption(parsed, '-L') ? { followsLinks: true } : {},
  );
});
define(
  'setfacl',
  files({
    pos: 'write',
    short: 'mxMX',
    long: ['modify', 'remove', 'modify-file', 'remove-file', 'set', 'set-file'],
    recursiveWith: ['-R', '--recursive'],
    optionPaths: {
      '-M': 'read',
      '-X': 'read',
      '--modify-file': 'read',
      '--remove-file': 'read',
      '--set-file': 'read',
    },
  }),
);

define(['cp', 'gcp', 'ditto'], (a, call) => copyLike(a, call, false));
define(['mv', 'gmv'], (a, call) => copyLike(a, call, true));
define(['install', 'ginstall'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'mogtS',
    long: ['mode', 'owner', 'group', 'target-directory', 'suffix', 'strip-program'],
  });
  const target = optionValues(parsed, '-t', '--target-directory');
  paths(a, call, target, 'write', true, 'target folder');
  if (hasOption(parsed, '-d', '--directory'))
    return paths(a, call, parsed.positional, 'write', false, 'folder');
  if (target.length > 0) return paths(a, call, parsed.positional, 'read', false, 'source');
  const sources = parsed.positional.slice(0, -1);
  const dest = parsed.positional[parsed.positional.length - 1];
  paths(a, call, sources, 'read', false, 'source');
  if (dest) a.path(dest, 'write', true, 'install destination', call.env);
});
define(['ln', 'gln', 'link'], (a, call) => {
  const parsed = getopt(call.args, { short: 'tS', long: ['target-directory', 'suffix'] });
  const folder = optionValues(parsed, '-t', '--target-directory');
  paths(a, call, folder, 'write', false, 'target folder');
  const positional = parsed.positional;
  // Creating a link to a protected file is treated as touching it: the link is how it gets read
  // later. A hard link is the file itself under another name, so writing it writes the target:
  // it counts as a write too (a symlink is resolved by realpath when it is used).
  const symbolic = call.name !== 'link' && hasOption(parsed, '-s', '--symbolic');
  const op: PathOp = symbolic ? 'read' : 'any';
  const what = symbolic ? 'link target' : 'hard link target';
  if (folder.length > 0 || positional.length === 1) return paths(a, call, positional, op, false, what);
  paths(a, call, positional.slice(0, -1), op, false, what);
  const name = positional[positional.length - 1];
  if (name) a.path(name, 'write', false, 'link name', call.env);
});
define('dd', (a, call) => {
  for (const arg of call.args) {
    if (!isStatic(arg)) {
      a.path(arg, 'any', false, 'dd operand', call.env);
      continue;
    }
    const match = /^(if|of)=(.*)$/s.exec(arg.value);
    if (match)
      a.path(
        { ...arg, value: match[2] ?? '' },
        match[1] === 'if' ? 'read' : 'write',
        false,
        `dd ${match[1]}=`,
        call.env,
      );
  }
});

function copyLike(a: Analyzer, call: Invocation, move: boolean): void {
  const parsed = getopt(call.args, {
    short: 'tS',
    long: ['target-directory', 'suffix', 'sparse', 'no-preserve'],
  });
  const recursive = move || hasOption(parsed, '-r', '-R', '-a', '--recursive', '--archive');
  const folder = optionValues(parsed, '-t', '--target-directory');
  // A hard link (`cp -l`) is another name for the same file: writing it later writes the source.
  const hardLinks = !move && hasOption(parsed, '-l', '--link');
  const op: PathOp = move ? 'write' : hardLinks ? 'any' : 'read';
  const dereference = hasOption(parsed, '-L', '--dereference');
  // mv moves a link, `cp -r` copies links as links (`-L` follows them, `-H` those named here).
  const marks: PathMarks = move
    ? { deletes: true, noFollow: true }
    : recursive && dereference
      ? { followsLinks: true }
      : recursive && !hasOption(parsed, '-H')
        ? { noFollow: true }
        : {};
  if (folder.length > 0) {
    paths(a, call, folder, 'write', true, 'target folder');
    paths(a, call, parsed.positional, op, recursive, 'source', marks);
    return;
  }
  const positional = parsed.positional;
  if (positional.length === 1) {
    paths(a, call, positional, op, recursive, 'source', marks);
    return;
  }
  paths(a, call, positional.slice(0, -1), op, recursive, 'source', marks);
  const dest = positional[positional.length - 1];
  if (dest) a.path(dest, 'write', recursive, 'destination', call.env);
}
