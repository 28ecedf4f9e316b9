import type { Analyzer, Invocation } from '../analyze.ts';
import type { PathMarks } from '../facts.ts';
import { getopt, hasOption, optionValues, staticValue } from '../getopt.ts';
import { field, files, namesFrom, paths } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Compressors and archivers: `gzip` and kin, `tar`, `zip`, `unzip`, `7z`, `cpio`. */
const { define, family } = createFamily('archive');
export const archive = family;

define([
  'gzip',
  'gunzip',
  'bzip2',
  'bunzip2',
  'xz',
  'unxz',
  'lzma',
  'zstd',
  'unzstd',
  'lz4',
  'compress',
  'uncompress',
  'pigz',
  'brotli',
], files({
  pos: 'any',
  short: 'oS',
  long: ['output', 'suffix'],
  recursiveWith: ['-r', '--recursive'],
  optionPaths: { '-o': 'write', '--output': 'write' },
}));

define(['tar', 'gtar', 'bsdtar'], (a, call) => tarHandler(a, call));
define(['zip'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'xibnPtZO',
    long: [
      'exclude',
      'include',
      'temp-path',
      'suffixes',
      'password',
      'unzip-command',
      'output-file',
      'compression-method',
    ],
  });
  for (const command of optionValues(parsed, '--unzip-command'))
    a.opaque('zip runs a test command', staticValue(command) ?? call.text);
  if (call.args.some((arg) => staticValue(arg) === '-TT')) a.opaque('zip -TT runs a test command', call.text);
  const [archive, ...members] = parsed.positional;
  if (archive) a.path(archive, 'any', false, 'zip archive', call.env);
  const recursive = hasOption(parsed, '-r', '--recurse-paths', '-R');
  // zip stores what a symlink points to unless -y (--symlinks): a recursion follows every link.
  const marks: PathMarks = hasOption(parsed, '-y', '--symlinks')
    ? { noFollow: true }
    : { followsLinks: true };
  paths(
    a,
    call,
    members.filter((member) => staticValue(member) !== '-@'),
    'read',
    recursive,
    'member',
    marks,
  );
  // `zip out.zip -@`: the member names come from standard input.
  if (hasOption(parsed, '-@', '--names-stdin') || members.some((member) => staticValue(member) === '-@'))
    namesFrom(a, call, undefined, 'read', 'member', recursive, marks);
  paths(a, call, optionValues(parsed, '-O', '--output-file'), 'write', false, 'output');
});
/**
 * cpio: `-o` (copy-out) archives the files named on standard input, `-p DIR` copies them into
 * DIR, `-i` extracts an archive (standard input, or -F/-I) into the working folder.
 */
define(['cpio', 'bsdcpio'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'FIOHDEMRC',
    long: ['file', 'format', 'directory', 'pattern-file', 'rename-batch-file', 'owner', 'message', 'io-size'],
  });
  const marks: PathMarks = hasOption(parsed, '-L', '--dereference')
    ? { followsLinks: true }
    : { noFollow: true };
  for (const dir of optionValues(parsed, '-D', '--directory')) a.setCwd(call.env, dir);
  paths(a, call, optionValues(parsed, '-E', '--pattern-file'), 'read', false, 'pattern file');
  if (hasOption(parsed, '-o', '--create')) {
    namesFrom(a, call, undefined, 'read', 'member', false, marks);
    paths(a, call, optionValues(parsed, '-O', '-F', '--file'), 'write', false, 'archive');
  } else if (hasOption(parsed, '-p', '--pass-through')) {
    namesFrom(a, call, undefined, 'read', 'member', false, marks);
    paths(a, call, parsed.positional, 'write', true, 'destination folder');
  } else {
    paths(a, call, optionValues(parsed, '-I', '-F', '--file'), 'read', false, 'archive');
    a.path(field('.'), 'write', true, `${call.name} extraction (working folder)`, call.env);
  }
});
define(['unzip', '7z', '7za', '7zz', 'unrar'], (a, call) => {
  const parsed = getopt(call.args, { short: 'dxP', long: [] });
  const [archive, ...members] = parsed.positional;
  if (archive) a.path(archive, 'any', false, `${call.name} archive`, call.env);
  paths(a, call, members, 'any', false, 'member');
  const into = optionValues(parsed, '-d');
  if (into.length > 0) paths(a, call, into, 'write', true, 'extraction folder');
  else a.path(field('.'), 'write', true, `${call.name} extraction (working folder)`, call.env);
});

function tarHandler(a: Analyzer, call: Invocation): void {
  let args = call.args;
  // Old style: `tar czf out.tgz dir` - the first word is a cluster of option letters.
  const first = staticValue(args[0]);
  if (first && /^[A-Za-z]+$/.test(first) && /[ctxruAd]/.test(first))
    args = [field(`-${first}`), ...args.slice(1)];
  const parsed = getopt(args, {
    short: 'fCTXbIHKLNVgF',
    long: [
      'file',
      'directory',
      'files-from',
      'exclude-from',
      'exclude',
      'blocking-factor',
      'use-compress-program',
      'to-command',
      'checkpoint-action',
      'info-script',
      'new-volume-script',
      'format',
      'transform',
      'xform',
      'owner',
      'group',
      'mode',
      'mtime',
      'listed-incremental',
      'newer',
      'after-date',
      'label',
      'starting-file',
      'index-file',
      'volno-file',
      'rsh-command',
      'rmt-command',
      'suffix',
      'strip-components',
      'tape-length',
      'record-size',
      'sparse-version',
      'quoting-style',
      'warning',
      'level',
    ],
  });
  const modes = new Set(parsed.options.map((option) => option.name));
  const creating = [
    '-c',
    '--create',
    '-r',
    '--append',
    '-u',
    '--update',
    '-A',
    '--catenate',
    '--concatenate',
  ].some((mode) => modes.has(mode));
  const extracting = ['-x', '--extract', '--get'].some((mode) => modes.has(mode));
  for (const command of optionValues(
    parsed,
    '-I',
    '--use-compress-program',
    '--to-command',
    '--info-script',
    '--new-volume-script',
    '-F',
    '--rsh-command',
    '--rmt-command',
  )) {
    a.opaque('tar runs a helper program', staticValue(command) ?? call.text);
  }
  for (const action of optionValues(parsed, '--checkpoint-action'))
    if (/exec=/.test(staticValue(action) ?? 'exec='))
      a.opaque('tar --checkpoint-action=exec runs a command', staticValue(action) ?? call.text);
  paths(a, call, optionValues(parsed, '-X', '--exclude-from'), 'read', false, 'list file');
  // -h (--dereference) archives what symlinks point to; otherwise a link is stored as a link.
  const marks: PathMarks = hasOption(parsed, '-h', '--dereference')
    ? { followsLinks: true }
    : { noFollow: true };
  for (const list of optionValues(parsed, '-T', '--files-from'))
    namesFrom(a, { ...call, env: call.env }, list, creating ? 'read' : 'write', 'member', true, marks);
  for (const archive of optionValues(parsed, '-f', '--file')) {
    if (staticValue(archive) === '-') continue;
    a.path(archive, creating ? 'write' : 'read', false, 'tar archive', call.env);
  }
  const env = a.cloneEnv(call.env);
  for (const dir of optionValues(parsed, '-C', '--directory')) a.setCwd(env, dir);
  if (creating) {
    paths(a, { ...call, env }, parsed.positional, 'read', true, 'member', marks);
  } else if (extracting) {
    a.path(field('.'), 'write', true, 'tar extraction (target folder)', env);
    paths(a, { ...call, env }, parsed.positional, 'write', true, 'member');
  } else paths(a, { ...call, env }, parsed.positional, 'read', false, 'member');
}
