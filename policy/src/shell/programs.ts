import { escapeGlob } from '../glob/path-glob.ts';
import type { Analyzer, Env, Handler, Invocation, Stdin } from './analyze.ts';
import { CODE_ENV } from './code-env.ts';
import type { PathOp } from './facts.ts';
import { getopt, hasOption, type OptionSpec, optionValues, type ParsedArgs, staticValue } from './getopt.ts';
import { createFamily, createProgramTable, type ProgramTable } from './programs/registry.ts';
import { decodeAnsiC, type Field } from './words.ts';

/**
 * What ceros knows about programs: which arguments are files (read or written, recursively or
 * not), which are hosts, which are code (`bash -c`, `python -c`) and which wrap another command
 * (`sudo`, `env`, `xargs`, `find -exec`). A program not listed gets the generic treatment: every
 * argument may be a file it reads or writes, which is the safe default for unknown programs.
 */

const { define, family } = createFamily('programs');

// ---------------------------------------------------------------------------------------------
// Helpers

function paths(
  a: Analyzer,
  call: Invocation,
  fields: readonly Field[],
  op: PathOp,
  recursive: boolean,
  what: string,
): void {
  for (const field of fields) a.path(field, op, recursive, `${call.name} ${what}`, call.env);
}

const field = (value: string): Field => ({ kind: 'static', value });

function isStatic(f: Field | undefined): f is Extract<Field, { kind: 'static' }> {
  return f?.kind === 'static';
}

/** Text of static fields joined by spaces, re-quoted for bash; undefined when one is dynamic. */
function joinAsShell(fields: readonly Field[]): string | undefined {
  const parts: string[] = [];
  for (const f of fields) {
    if (!isStatic(f)) return undefined;
    parts.push(f.value);
  }
  return parts.join(' ');
}

function quoteForShell(fields: readonly Field[]): string | undefined {
  const parts: string[] = [];
  for (const f of fields) {
    if (!isStatic(f) || f.glob !== undefined) return undefined;
    parts.push(`'${f.value.replace(/'/g, `'\\''`)}'`);
  }
  return parts.join(' ');
}

/** Runs a code string as bash in a child shell (`bash -c CODE name args...`). */
function runCode(
  a: Analyzer,
  call: Invocation,
  code: Field | undefined,
  positional: readonly Field[],
  label: string,
): void {
  if (!code) return;
  if (!isStatic(code)) {
    a.opaque(`${label}: the code string is not statically known`, code.text);
    return;
  }
  a.runScript(code.value, a.childShellEnv(call.env, [...positional]), call.depth + 1);
}

function runInner(
  a: Analyzer,
  call: Invocation,
  argv: readonly Field[],
  env: Env = call.env,
  stdin: Stdin = call.stdin,
): void {
  a.runArgv([...argv], env, stdin, [...call.via, call.name], call.text, call.depth + 1);
}

/** Code read from standard input by a shell: parsed when it is static text, opaque otherwise. */
function shellStdin(a: Analyzer, call: Invocation, positional: readonly Field[]): void {
  const stdin = call.stdin;
  if (stdin.kind === 'text')
    a.runScript(stdin.text, a.childShellEnv(call.env, [...positional]), call.depth + 1);
  else if (stdin.kind === 'file') a.path(stdin.field, 'read', false, `${call.name} script`, call.env);
  else if (stdin.kind === 'unknown')
    a.opaque(`${call.name} runs code read from a pipe or dynamic input`, stdin.text);
  else if (stdin.kind === 'fields') a.opaque(`${call.name} runs code read from a pipe`, call.text);
}

/** `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`: a "file" that is really a pipe or a `<(...)`. */
function isStreamPath(field: Field): boolean {
  return isStatic(field) && /^(?:\/dev\/(?:stdin|fd\/\d+)|\/proc\/(?:self|\d+)\/fd\/\d+)$/.test(field.value);
}

/** A shell script argument: a real file is read; a stream is code we may or may not see. */
function shellScript(a: Analyzer, call: Invocation, script: Field, positional: readonly Field[]): void {
  if (!isStreamPath(script)) {
    a.path(script, 'read', false, `${call.name} script`, call.env);
    return;
  }
  if (isStatic(script) && /^\/dev\/(?:stdin|fd\/0)$/.test(script.value)) {
    shellStdin(a, call, positional);
    return;
  }
  a.opaque(`${call.name} runs code from a process substitution`, call.text);
}

/** Code for an interpreter we do not parse: opaque, with the text kept for the literal scan. */
function foreignStdin(a: Analyzer, call: Invocation): void {
  const stdin = call.stdin;
  if (stdin.kind === 'text') a.opaque(`${call.name} runs code from standard input`, stdin.text);
  else if (stdin.kind === 'file') a.path(stdin.field, 'read', false, `${call.name} script`, call.env);
  else if (stdin.kind === 'unknown')
    a.opaque(`${call.name} runs code read from a pipe or dynamic input`, stdin.text);
  else if (stdin.kind === 'fields') a.opaque(`${call.name} runs code read from a pipe`, call.text);
}

function oneLiner(a: Analyzer, call: Invocation, code: Field | undefined): void {
  a.opaque(`${call.name} one-liner`, code && isStatic(code) ? code.value : (code?.text ?? call.text));
}

function pathLike(value: string): boolean {
  return value.includes('/') || value.startsWith('~') || value.startsWith('.');
}

/** `--opt=value` and `@file` candidates in a value: docker-style `a:b`, `k=v,k=v` lists split too. */
function valueCandidates(value: string): string[] {
  const out = new Set<string>();
  if (value.startsWith('@') && value.length > 1) out.add(value.slice(1));
  for (const part of value.split(/[:,=]/))
    if (part && pathLike(part)) out.add(part.startsWith('@') ? part.slice(1) : part);
  if (pathLike(value)) out.add(value);
  return [...out];
}

function optionCandidates(a: Analyzer, call: Invocation, parsed: ParsedArgs, op: PathOp): void {
  for (const option of parsed.options) {
    if (!isStatic(option.value)) continue;
    for (const candidate of valueCandidates(option.value.value))
      a.path(field(candidate), op, false, `${call.name} ${option.name}`, call.env);
  }
}

// ---------------------------------------------------------------------------------------------
// Unknown programs and simple file programs

/** Unknown program: every argument may be a file it reads or writes. */
export const generic: Handler = (a, call) => {
  const parsed = getopt(call.args, {});
  for (const arg of parsed.positional) {
    if (isStatic(arg) && arg.value.startsWith('@') && arg.value.length > 1) {
      a.path(field(arg.value.slice(1)), 'read', false, `${call.name} @file`, call.env);
    }
    a.path(arg, 'any', false, `${call.name} argument`, call.env);
  }
  optionCandidates(a, call, parsed, 'any');
};

/** Developer tools whose plain words are subcommands or package names: only path-like words are files. */
const devTool: Handler = (a, call) => {
  const parsed = getopt(call.args, {});
  for (const arg of parsed.positional) {
    if (!isStatic(arg)) {
      a.path(arg, 'any', false, `${call.name} argument`, call.env);
      continue;
    }
    for (const candidate of valueCandidates(arg.value))
      a.path(field(candidate), 'any', false, `${call.name} argument`, call.env);
  }
  optionCandidates(a, call, parsed, 'any');
};

interface FileSpec extends OptionSpec {
  /** What the positional arguments are. */
  pos: PathOp | 'none';
  /** Positional arguments before the files that are not files (grep's pattern, chmod's mode). */
  skip?: number;
  /** ...unless one of these options supplied that value instead (grep -e, -f). */
  skipUnless?: readonly string[];
  /** Options that make it recursive. */
  recursiveWith?: readonly string[];
  recursive?: boolean;
  /** Options whose values are files, with the operation. */
  optionPaths?: Readonly<Record<string, PathOp>>;
  /** No positional file means the working folder (ls, du, grep -r, rg). */
  defaultCwd?: boolean;
  /** The last positional is written (cp-like tools handle this themselves). */
  lastWrites?: boolean;
  /** The second positional is written (uniq in out, xxd in out). */
  secondWrites?: boolean;
}

function files(spec: FileSpec): Handler {
  return (a, call) => {
    const parsed = getopt(call.args, spec);
    const recursive = spec.recursive === true || hasOption(parsed, ...(spec.recursiveWith ?? []));
    let positional = parsed.positional;
    const skip = spec.skipUnless && hasOption(parsed, ...spec.skipUnless) ? 0 : (spec.skip ?? 0);
    positional = positional.slice(skip);
    for (const option of parsed.options) {
      const op = spec.optionPaths?.[option.name];
      if (op && option.value) a.path(option.value, op, false, `${call.name} ${option.name}`, call.env);
    }
    const pos = spec.pos;
    if (pos === 'none') return;
    if (positional.length === 0 && spec.defaultCwd) {
      a.path(field('.'), pos, recursive, `${call.name} (working folder)`, call.env);
      return;
    }
    positional.forEach((arg, index) => {
      const writes =
        (spec.lastWrites && index === positional.length - 1 && positional.length > 1) ||
        (spec.secondWrites && index === 1);
      a.path(arg, writes ? 'write' : pos, recursive, `${call.name} argument`, call.env);
    });
  };
}

const none: Handler = () => {};

define([
  'echo',
  'true',
  'false',
  ':',
  'sleep',
  'whoami',
  'id',
  'uname',
  'hostname',
  'pwd',
  'seq',
  'yes',
  'expr',
  'basename',
  'dirname',
  'kill',
  'killall',
  'pkill',
  'pgrep',
  'ps',
  'jobs',
  'wait',
  'exit',
  'return',
  'unalias',
  'type',
  'hash',
  'help',
  'clear',
  'tput',
  'let',
  'test',
  '[',
  'umask',
  'ulimit',
  'break',
  'continue',
  'shift',
  'disown',
  'bg',
  'fg',
  'times',
  'logout',
  'nproc',
  'arch',
  'tty',
  'locale',
  'printenv',
  'groups',
  'users',
  'who',
  'w',
  'uptime',
  'free',
  'top',
  'htop',
  'which',
  'whereis',
  'cal',
  'factor',
  'numfmt',
  'tr',
  'stty',
  'reset',
  'sync',
  'getconf',
  'lscpu',
  'lsblk',
  'vmstat',
  'iostat',
  'mpstat',
  'nvidia-smi',
  'dmesg',
  'set',
  'true',
  'local',
  'declare',
  'typeset',
  'export',
  'readonly',
  'unset',
  'compgen',
  'complete',
  'dirs',
], none);
define('enable', (a, call) => {
  if (call.args.some((arg) => /^-[a-zA-Z]*f/.test(staticValue(arg) ?? '')))
    a.opaque('enable -f loads a builtin from a shared library', call.text);
});
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
define(READERS, files({ pos: 'read', long: ['files0-from'], optionPaths: { '--files0-from': 'read' } }));
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
define(
  'sort',
  files({
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
      '--files0-from': 'read',
      '--random-source': 'read',
      '-T': 'write',
      '--temporary-directory': 'write',
    },
  }),
);
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
  optionPaths: { '-X': 'read', '--exclude-from': 'read', '--files0-from': 'read' },
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
define(['grep', 'egrep', 'fgrep', 'zgrep', 'ugrep'], files({
  pos: 'read',
  short: 'efmABCdD',
  long: [
    'regexp',
    'file',
    'max-count',
    'after-context',
    'before-context',
    'include',
    'exclude',
    'exclude-dir',
    'exclude-from',
    'include-from',
    'label',
    'binary-files',
    'devices',
    'directories',
    'group-separator',
  ],
  skip: 1,
  skipUnless: ['-e', '-f', '--regexp', '--file'],
  recursiveWith: ['-r', '-R', '--recursive', '--dereference-recursive'],
  optionPaths: { '-f': 'read', '--file': 'read', '--exclude-from': 'read', '--include-from': 'read' },
}));
define(['rg', 'ag', 'ack', 'ack-grep', 'sift', 'pt'], (a, call) => {
  const spec: FileSpec = {
    pos: 'read',
    short: 'efgtTmABCjMrEd',
    long: [
      'regexp',
      'file',
      'glob',
      'iglob',
      'type',
      'type-not',
      'type-add',
      'type-clear',
      'max-count',
      'replace',
      'pre',
      'pre-glob',
      'ignore-file',
      'context',
      'after-context',
      'before-context',
      'max-depth',
      'threads',
      'max-columns',
      'encoding',
      'sort',
      'sortr',
      'colors',
      'color',
      'path-separator',
      'context-separator',
      'field-match-separator',
      'engine',
      'dfa-size-limit',
      'regex-size-limit',
      'max-filesize',
    ],
    skip: 1,
    skipUnless: ['-e', '-f', '--regexp', '--file', '--files', '--type-list'],
    recursive: true,
    defaultCwd: true,
    optionPaths: { '-f': 'read', '--file': 'read', '--ignore-file': 'read' },
  };
  const parsed = getopt(call.args, spec);
  for (const pre of optionValues(parsed, '--pre'))
    a.opaque('rg --pre runs a program on every file', staticValue(pre) ?? call.text);
  files(spec)(a, call);
});
define(['find', 'gfind'], (a, call) => findHandler(a, call));
define(['fd', 'fdfind'], files({
  pos: 'read',
  short: 'edtEjxXcSo',
  long: [
    'extension',
    'max-depth',
    'type',
    'exclude',
    'threads',
    'exec',
    'exec-batch',
    'size',
    'changed-within',
    'changed-before',
    'owner',
    'base-directory',
    'search-path',
    'color',
    'ignore-file',
  ],
  skip: 1,
  recursive: true,
  defaultCwd: true,
}));
define('jq', (a, call) => {
  let filterSeen = false;
  let restAreValues = false;
  const args = call.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg) continue;
    const value = staticValue(arg);
    if (restAreValues) continue;
    if (value === '--args' || value === '--jsonargs') {
      restAreValues = true;
      continue;
    }
    if (value === '--arg' || value === '--argjson') {
      i += 2;
      continue;
    }
    if (value === '--slurpfile' || value === '--rawfile') {
      const file = args[i + 2];
      if (file) a.path(file, 'read', false, `jq ${value}`, call.env);
      i += 2;
      continue;
    }
    if (value === '-f' || value === '--from-file') {
      const file = args[i + 1];
      if (file) a.path(file, 'read', false, 'jq -f', call.env);
      filterSeen = true;
      i++;
      continue;
    }
    if (value === '-L' || value === '--indent' || value === '--tab') {
      if (value !== '--tab') i++;
      continue;
    }
    if (value?.startsWith('-') && value !== '-') continue;
    if (!filterSeen) {
      filterSeen = true;
      continue;
    }
    a.path(arg, 'read', false, 'jq input', call.env);
  }
});
define(['yq'], files({
  pos: 'read',
  skip: 1,
  short: 'ioIps',
  long: ['input-format', 'output-format', 'indent', 'split-exp', 'expression'],
  recursiveWith: [],
}));

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
define(['mkdir', 'rmdir', 'mkfifo', 'mknod', 'unlink'], files({ pos: 'write', short: 'm', long: ['mode'] }));
define(['rm', 'srm', 'trash', 'trash-put'], files({ pos: 'write', recursive: true }));
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
  paths(a, call, targets, 'write', recursive, 'target');
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
define([
  'vi',
  'vim',
  'nvim',
  'nano',
  'pico',
  'micro',
  'joe',
  'mcedit',
  'code',
  'subl',
  'gedit',
  'kate',
  'hx',
  'helix',
], (a, call) => {
  const parsed = getopt(call.args, { short: 'cSiTuUwWst', long: ['cmd'] });
  const commands = [
    ...optionValues(parsed, '-c', '--cmd'),
    ...call.args.filter((arg) => isStatic(arg) && arg.value.startsWith('+') && arg.value.length > 1),
  ];
  for (const command of commands)
    a.opaque(`${call.name} runs editor commands`, staticValue(command) ?? call.text);
  for (const script of optionValues(parsed, '-S', '-s', '-u', '-w', '-W'))
    a.path(script, 'any', false, `${call.name} script`, call.env);
  paths(
    a,
    call,
    parsed.positional.filter((arg) => !(isStatic(arg) && arg.value.startsWith('+'))),
    'any',
    false,
    'file',
  );
  if (call.stdin.kind === 'text' || call.stdin.kind === 'unknown')
    a.opaque(
      `${call.name} reads editor commands from standard input`,
      call.stdin.kind === 'text' ? call.stdin.text : call.stdin.text,
    );
});
define(['ed', 'ex', 'red'], (a, call) => {
  paths(a, call, getopt(call.args, { short: 'p' }).positional, 'any', false, 'file');
  foreignStdin(a, call);
});
define(['emacs', 'emacsclient', 'xemacs'], (a, call) => {
  const parsed = getopt(call.args, {
    singleDashLong: true,
    long: [
      'eval',
      'load',
      'funcall',
      'f',
      'l',
      'script',
      'x',
      'insert',
      'file',
      'visit',
      'find-file',
      'directory',
      'chdir',
    ],
  });
  for (const option of parsed.options) {
    if (['--eval', '--funcall', '--f', '--x', '--script'].includes(option.name))
      a.opaque(`${call.name} ${option.name} runs Lisp code`, staticValue(option.value) ?? call.text);
    if (
      option.value &&
      ['--load', '--l', '--insert', '--file', '--visit', '--find-file'].includes(option.name)
    )
      a.path(option.value, 'any', false, `${call.name} ${option.name}`, call.env);
  }
  paths(a, call, parsed.positional, 'any', false, 'file');
});

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
  // Creating a link to a protected file is treated as touching it: the link is how it gets read later.
  if (folder.length > 0 || positional.length === 1)
    return paths(a, call, positional, 'read', false, 'link target');
  paths(a, call, positional.slice(0, -1), 'read', false, 'link target');
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
define('patch', (a, call) => {
  const parsed = getopt(call.args, {
    short: 'iodpBrDFgVxYz',
    long: [
      'input',
      'output',
      'directory',
      'strip',
      'prefix',
      'reject-file',
      'ifdef',
      'fuzz',
      'get',
      'version-control',
      'debug',
      'basename-prefix',
      'suffix',
      'quoting-style',
    ],
  });
  paths(a, call, optionValues(parsed, '-i', '--input'), 'read', false, 'patch file');
  paths(a, call, optionValues(parsed, '-o', '--output', '-r', '--reject-file'), 'write', false, 'output');
  const [original, patchFile] = parsed.positional;
  if (original) a.path(original, 'write', false, 'patch target', call.env);
  if (patchFile) a.path(patchFile, 'read', false, 'patch file', call.env);
  if (!original)
    patchTargets(a, call, optionValues(parsed, '-i', '--input').length > 0 || patchFile !== undefined);
});

/**
 * The files a patch writes are named inside it: read from a static here-document they are
 * checked like any write; from a file or a pipe they cannot be seen, which is opaque.
 */
function patchTargets(a: Analyzer, call: Invocation, fromFile: boolean): void {
  const stdin = call.stdin;
  if (!fromFile && stdin.kind === 'text') {
    for (const match of stdin.text.matchAll(/^(?:\+\+\+|---|rename to|copy to) (?:[ab]\/)?([^\t\n]+)/gm)) {
      const target = (match[1] ?? '').trim();
      if (target && target !== '/dev/null')
        a.path(field(target), 'write', false, `${call.name} patch target`, call.env);
    }
    return;
  }
  a.opaque(
    `${call.name} writes the files named inside a patch ceros cannot see`,
    stdin.kind === 'unknown' ? stdin.text : call.text,
  );
}
define('sed', (a, call) => sedHandler(a, call));
define(['awk', 'gawk', 'mawk', 'nawk', 'busybox-awk'], (a, call) => awkHandler(a, call));
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
  paths(a, call, members, 'read', hasOption(parsed, '-r', '--recurse-paths', '-R'), 'member');
  paths(a, call, optionValues(parsed, '-O', '--output-file'), 'write', false, 'output');
});
define(['unzip', '7z', '7za', '7zz', 'unrar', 'bsdcpio', 'cpio'], (a, call) => {
  const parsed = getopt(call.args, { short: 'dxP', long: [] });
  const [archive, ...members] = parsed.positional;
  if (archive) a.path(archive, 'any', false, `${call.name} archive`, call.env);
  paths(a, call, members, 'any', false, 'member');
  const into = optionValues(parsed, '-d');
  if (into.length > 0) paths(a, call, into, 'write', true, 'extraction folder');
  else a.path(field('.'), 'write', true, `${call.name} extraction (working folder)`, call.env);
});

// ---------------------------------------------------------------------------------------------
// Builtins with effects on the shell state

define(['cd', 'pushd', 'chdir'], (a, call) => {
  const target = call.args.find((arg) => !(isStatic(arg) && /^-[LPe@]+$/.test(arg.value)));
  a.setCwd(call.env, target);
});
define('popd', (a, call) => {
  call.env.cwd = undefined;
  void a;
});
define(['source', '.'], (a, call) => {
  const [file, ...rest] = call.args;
  if (file) shellScript(a, call, file, rest);
});
define('eval', (a, call) => {
  const code = joinAsShell(call.args);
  if (code === undefined) {
    a.opaque('eval of a string that is not statically known', call.text);
    return;
  }
  a.runScript(code, call.env, call.depth + 1);
});
define('trap', (a, call) => {
  const parsed = getopt(call.args, { stopAtPositional: true });
  const [action] = parsed.positional;
  if (!action || (isStatic(action) && /^-?$/.test(action.value))) return;
  runCode(a, call, action, [], 'trap');
});
define('alias', (a, call) => {
  for (const arg of call.args) {
    const value = staticValue(arg);
    const eq = value?.indexOf('=') ?? -1;
    if (value && eq > 0) a.runScript(value.slice(eq + 1), a.childShellEnv(call.env, []), call.depth + 1);
  }
});
define(['read', 'mapfile', 'readarray', 'getopts'], (a, call) => {
  const parsed = getopt(call.args, { short: 'adnNptuCcOs', long: [] });
  for (const name of [...parsed.positional, ...optionValues(parsed, '-a')]) {
    const value = staticValue(name);
    if (value && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
      a.setVar(call.env, value, { kind: 'dynamic' }, false);
  }
});
define('printf', (a, call) => {
  const parsed = getopt(call.args, { short: 'v', stopAtPositional: true });
  for (const name of optionValues(parsed, '-v')) {
    const value = staticValue(name);
    if (value) a.setVar(call.env, value.replace(/\[.*$/, ''), { kind: 'dynamic' }, false);
  }
});
define('shopt', (a, call) => {
  const parsed = getopt(call.args, {});
  if (hasOption(parsed, '-s') && parsed.positional.some((arg) => staticValue(arg) === 'dotglob'))
    call.env.dotglob = true;
  void a;
});
define(['exec'], (a, call) => {
  const parsed = getopt(call.args, { short: 'a', stopAtPositional: true });
  if (parsed.positional.length > 0) runInner(a, call, parsed.positional);
});
define('command', (a, call) => {
  const parsed = getopt(call.args, { stopAtPositional: true });
  if (hasOption(parsed, '-v', '-V')) return;
  runInner(a, call, parsed.positional);
});
define([
  'builtin',
  'nohup',
  'unbuffer',
  'dbus-run-session',
  'catchsegv',
  'fakeroot',
  'coproc',
  'time',
  'proxychains',
  'proxychains4',
  'torsocks',
  'tsocks',
  'rlwrap',
], (a, call) => {
  const parsed = getopt(call.args, { short: 'fo', long: ['format', 'output'], stopAtPositional: true });
  paths(a, call, optionValues(parsed, '-o', '--output'), 'write', false, 'output');
  runInner(a, call, parsed.positional);
});

// ---------------------------------------------------------------------------------------------
// Wrappers: run another command

/** Options per `spec` (before the first word), then `skip(parsed)` words (a duration, a CPU mask), then the command. */
function wrapper(
  spec: OptionSpec,
  skip: (parsed: ParsedArgs) => number = () => 0,
  onOptions?: (a: Analyzer, call: Invocation, parsed: ParsedArgs) => void,
): Handler {
  return (a, call) => {
    const parsed = getopt(call.args, { ...spec, stopAtPositional: true });
    onOptions?.(a, call, parsed);
    const rest = parsed.positional.slice(skip(parsed));
    if (rest.length > 0) runInner(a, call, rest);
  };
}

define(['nice'], wrapper({ short: 'n', long: ['adjustment'] }));
define(['setsid', 'firejail'], wrapper({}));
define('caffeinate', wrapper({ short: 'tw' }));
define(
  'xvfb-run',
  wrapper({
    short: 'nsfpe',
    long: ['server-num', 'server-args', 'auth-file', 'xauth-protocol', 'error-file'],
  }),
);
define('proot', wrapper({ short: 'rbwq' }));
define(['bwrap', 'systemd-inhibit', 'flatpak-spawn', 'chpst', 'runcon', 'setpriv'], (a, call) =>
  a.opaque(`${call.name} runs a command under options ceros does not model`, call.text));
define('stdbuf', wrapper({ short: 'ioe', long: ['input', 'output', 'error'] }));
define('ionice', wrapper({ short: 'cnpPu', long: ['class', 'classdata', 'pid', 'pgid', 'uid'] }));
define(
  'timeout',
  wrapper({ short: 'sk', long: ['signal', 'kill-after'] }, () => 1),
);
define(
  'chrt',
  wrapper({ short: 'T', long: ['sched-runtime', 'sched-deadline', 'sched-period'] }, (parsed) =>
    hasOption(parsed, '-p', '--pid') ? 99 : 1,
  ),
);
define(
  'taskset',
  wrapper({ short: 'c', long: ['cpu-list'] }, (parsed) =>
    hasOption(parsed, '-p', '--pid') ? 99 : hasOption(parsed, '-c', '--cpu-list') ? 0 : 1,
  ),
);
define(['strace', 'ltrace'], wrapper(
  {
    short: 'oeEpPsSuIabX',
    long: ['output', 'expr', 'env', 'attach', 'string-limit', 'user', 'trace', 'signal'],
  },
  () => 0,
  (a, call, parsed) => {
    paths(a, call, optionValues(parsed, '-o', '--output'), 'write', false, 'output');
  },
));
define('nsenter', wrapper({ short: 'tSG', long: ['target', 'setuid', 'setgid'] }));
define(['unshare', 'valgrind'], wrapper({}));
define(
  'systemd-run',
  wrapper({
    short: 'pEMH',
    long: [
      'unit',
      'property',
      'setenv',
      'working-directory',
      'uid',
      'gid',
      'nice',
      'slice',
      'description',
      'machine',
      'host',
    ],
  }),
);
define('chroot', (a, call) => {
  const parsed = getopt(call.args, { long: ['userspec', 'groups'], stopAtPositional: true });
  const [root, ...rest] = parsed.positional;
  if (root) a.path(root, 'any', true, 'chroot folder', call.env);
  if (rest.length > 0) runInner(a, call, rest);
  else a.opaque('chroot starts a shell', call.text);
});
define('env', (a, call) => {
  const parsed = getopt(call.args, {
    short: 'uCSP',
    long: ['unset', 'chdir', 'split-string', 'block-signal', 'default-signal', 'ignore-signal'],
    stopAtPositional: true,
  });
  const env = a.cloneEnv(call.env);
  for (const dir of optionValues(parsed, '-C', '--chdir')) a.setCwd(env, dir);
  // `env -i` clears PATH too: whatever runs next is found through a PATH we cannot see.
  if (hasOption(parsed, '-i', '--ignore-environment', '-P')) env.pathModified = true;
  let index = 0;
  const positional = parsed.positional;
  for (; index < positional.length; index++) {
    const arg = positional[index];
    const value = staticValue(arg);
    if (arg?.kind === 'dynamic') break;
    if (value === '-') {
      env.pathModified = true;
      continue;
    }
    const assignment = value ? /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(value) : null;
    if (!assignment) break;
    if (assignment[1] === 'PATH') env.pathModified = true;
    if (CODE_ENV.test(assignment[1] ?? ''))
      a.opaque(`sets ${assignment[1]}, which makes programs load or run other code`, value ?? call.text);
  }
  const rest = positional.slice(index);
  const split = optionValues(parsed, '-S', '--split-string');
  if (split.length > 0) {
    const tail = quoteForShell(rest);
    const [head] = split;
    if (!isStatic(head) || tail === undefined)
      a.opaque('env -S with a command that is not statically known', call.text);
    else a.runScript(`${head.value} ${tail}`, env, call.depth + 1);
    return;
  }
  if (rest.length > 0) runInner(a, call, rest, env);
});
define(['sudo', 'doas', 'sudoedit', 'please', 'run0', 'pkexec'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'ugCDhprtTURc',
    long: [
      'user',
      'group',
      'close-from',
      'chdir',
      'host',
      'prompt',
      'role',
      'type',
      'command-timeout',
      'other-user',
      'chroot',
      'config',
    ],
    stopAtPositional: true,
  });
  const env = a.cloneEnv(call.env);
  // A different user's PATH: names no longer resolve to what the policy author had in mind.
  env.pathModified = true;
  for (const dir of optionValues(parsed, '-D', '--chdir')) a.setCwd(env, dir);
  if (call.name === 'sudoedit' || hasOption(parsed, '-e', '--edit'))
    return paths(a, call, parsed.positional, 'write', false, 'file');
  if (hasOption(parsed, '-s', '-i', '--shell', '--login')) {
    if (parsed.positional.length === 0)
      return a.opaque(`${call.name} starts an interactive shell`, call.text);
    const code = quoteForShell(parsed.positional);
    if (code === undefined)
      return a.opaque(`${call.name} -s with a command that is not statically known`, call.text);
    return a.runScript(code, env, call.depth + 1);
  }
  if (parsed.positional.length > 0) runInner(a, call, parsed.positional, env);
});
define(['su', 'runuser', 'sg', 'newgrp'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'cgGsCw',
    long: ['command', 'group', 'supp-group', 'shell', 'session-command', 'whitelist-environment'],
  });
  const commands = optionValues(parsed, '-c', '--command', '--session-command', '-C');
  if (call.name === 'sg' && parsed.positional.length >= 2) commands.push(parsed.positional[1] as Field);
  if (commands.length === 0 && call.name !== 'newgrp')
    a.opaque(`${call.name} starts a shell as another user`, call.text);
  for (const command of commands) runCode(a, call, command, [], call.name);
});
define('watch', (a, call) => {
  const parsed = getopt(call.args, { short: 'nq', long: ['interval', 'equexit'], stopAtPositional: true });
  if (hasOption(parsed, '-x', '--exec')) return runInner(a, call, parsed.positional);
  const code = joinAsShell(parsed.positional);
  if (code === undefined) return a.opaque('watch with a command that is not statically known', call.text);
  a.runScript(code, a.childShellEnv(call.env, []), call.depth + 1);
});
define('flock', (a, call) => {
  const parsed = getopt(call.args, {
    short: 'wEc',
    long: ['timeout', 'conflict-exit-code', 'command'],
    stopAtPositional: true,
  });
  const [lock, ...rest] = parsed.positional;
  if (lock && !(isStatic(lock) && /^\d+$/.test(lock.value)))
    a.path(lock, 'write', false, 'flock lock file', call.env);
  for (const command of optionValues(parsed, '-c', '--command')) runCode(a, call, command, [], 'flock -c');
  if (rest.length > 0) runInner(a, call, rest);
});
define('script', (a, call) => {
  const parsed = getopt(call.args, {
    short: 'cEIOBTm',
    long: ['command', 'echo', 'log-in', 'log-out', 'log-io', 'log-timing', 'logging-format'],
  });
  for (const command of optionValues(parsed, '-c', '--command')) runCode(a, call, command, [], 'script -c');
  paths(
    a,
    call,
    [
      ...parsed.positional,
      ...optionValues(parsed, '-I', '-O', '-B', '-T', '--log-in', '--log-out', '--log-io', '--log-timing'),
    ],
    'write',
    false,
    'log file',
  );
});
define(['busybox', 'toybox'], (a, call) => {
  if (call.args.length > 0) runInner(a, call, call.args);
});
define(['at', 'batch'], (a, call) => {
  const parsed = getopt(call.args, { short: 'qfto', long: [] });
  const file = optionValues(parsed, '-f');
  if (file.length > 0) return paths(a, call, file, 'read', false, 'job file');
  shellStdin(a, call, []);
});
define(['parallel', 'sem', 'rush'], (a, call) =>
  a.opaque(`${call.name} builds commands from its input`, call.text));
define(['tmux', 'screen', 'byobu'], (a, call) => {
  const code = joinAsShell(call.args.filter((arg) => !(isStatic(arg) && arg.value.startsWith('-'))));
  if (call.args.length > 0) a.opaque(`${call.name} runs commands in a detached terminal`, code ?? call.text);
});
define('xargs', (a, call) => xargsHandler(a, call));

// ---------------------------------------------------------------------------------------------
// Shells and interpreters

const SHELLS = [
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'ash',
  'posh',
  'yash',
  'rbash',
  'lksh',
  'oksh',
  'loksh',
];
define(SHELLS, (a, call) => {
  let commandMode = false;
  let stdinMode = false;
  let index = 0;
  const args = call.args;
  for (; index < args.length; index++) {
    const arg = args[index];
    const value = staticValue(arg);
    if (value === undefined) break;
    if (value === '--' || value === '-') {
      index++;
      break;
    }
    if (value === '--rcfile' || value === '--init-file') {
      const file = args[index + 1];
      if (file) a.path(file, 'read', false, `${call.name} ${value}`, call.env);
      index++;
      continue;
    }
    if (value.startsWith('--')) continue;
    if (!/^[-+][A-Za-z]+$/.test(value)) break;
    const letters = value.slice(1);
    if (letters.includes('c')) commandMode = true;
    if (letters.includes('s')) stdinMode = true;
    if (letters.includes('o') || letters.includes('O')) index++;
  }
  const rest = args.slice(index);
  if (commandMode) {
    const [code, ...positional] = rest;
    if (!code) return a.opaque(`${call.name} -c without code`, call.text);
    return runCode(a, call, code, positional, `${call.name} -c`);
  }
  const [script, ...scriptArgs] = rest;
  if (script && !stdinMode) return shellScript(a, call, script, scriptArgs);
  shellStdin(a, call, scriptArgs);
});
define([
  'fish',
  'csh',
  'tcsh',
  'nu',
  'elvish',
  'xonsh',
  'pwsh',
  'powershell',
  'cmd',
  'cmd.exe',
  'powershell.exe',
], (a, call) => {
  const code = call.args.find(
    (_arg, index) =>
      index > 0 &&
      /^-(?:c|command|Command|e|ec|EncodedCommand|encodedcommand)$/.test(
        staticValue(call.args[index - 1]) ?? '',
      ),
  );
  if (code) return oneLiner(a, call, code);
  const [script] = getopt(call.args, { short: 'f', long: ['File', 'file'] }).positional;
  if (script) a.path(script, 'read', false, `${call.name} script`, call.env);
  else foreignStdin(a, call);
});

interface InterpreterSpec {
  /** Letters that introduce inline code (`-c`, `-e`), attached or as the next word. */
  code: string;
  /** Letters that take a value, attached or as the next word. */
  value?: string;
  /** Letters whose value can only be attached (`perl -l`, `-0777`, `-Ilib`): never the next word. */
  attached?: string;
  codeLong?: string[];
  valueLong?: string[];
  /** `python -m module`: the rest are the module's arguments. */
  module?: string;
  /** `perl -i`, `ruby -i`: the files are edited in place. */
  inPlace?: string;
}

/**
 * Interpreters. A value-taking option never takes a next word that looks like an option, so
 * `perl -l -e CODE` cannot hide its code behind a misread `-l`.
 */
function interpreter(spec: InterpreterSpec): Handler {
  return (a, call) => {
    const args = call.args;
    let code: Field | undefined;
    let inPlace = false;
    let index = 0;
    let moduleMode = false;
    const takesNext = (k: number) => {
      const next = staticValue(args[k]);
      return args[k] !== undefined && !(next?.startsWith('-') && next.length > 1);
    };
    outer: for (; index < args.length; index++) {
      const arg = args[index];
      const value = staticValue(arg);
      if (value === undefined || !value.startsWith('-') || value === '-') break;
      if (value === '--') {
        index++;
        break;
      }
      if (value.startsWith('--')) {
        const [name, inline] = value.slice(2).split(/=(.*)/s);
        if (spec.codeLong?.includes(name ?? '')) {
          code = inline !== undefined ? field(inline) : args[++index];
          continue;
        }
        if (spec.valueLong?.includes(name ?? '') && inline === undefined && takesNext(index + 1)) index++;
        continue;
      }
      for (let k = 1; k < value.length; k++) {
        const letter = value[k] ?? '';
        const attached = value.slice(k + 1);
        if (spec.code.includes(letter)) {
          code = attached ? field(attached) : args[++index];
          continue outer;
        }
        if (spec.inPlace?.includes(letter)) {
          inPlace = true;
          continue outer;
        }
        if (spec.module?.includes(letter)) {
          moduleMode = true;
          index += attached ? 1 : 2;
          break outer;
        }
        if (spec.attached?.includes(letter)) continue outer;
        if (spec.value?.includes(letter)) {
          if (!attached && takesNext(index + 1)) index++;
          continue outer;
        }
      }
    }
    const rest = args.slice(index);
    if (code) {
      oneLiner(a, call, code);
      paths(a, call, rest, inPlace ? 'any' : 'read', false, 'file');
      return;
    }
    if (moduleMode)
      return paths(
        a,
        call,
        rest.filter((arg) => !(isStatic(arg) && arg.value.startsWith('-'))),
        'any',
        false,
        'module argument',
      );
    const [script, ...scriptArgs] = rest;
    if (
      !script ||
      staticValue(script) === '-' ||
      (isStatic(script) && /^\/dev\/(?:stdin|fd\/0)$/.test(script.value))
    )
      return foreignStdin(a, call);
    if (isStreamPath(script))
      return a.opaque(`${call.name} runs code from a process substitution`, call.text);
    a.path(script, 'read', false, `${call.name} script`, call.env);
    if (inPlace) paths(a, call, scriptArgs, 'any', false, 'file');
  };
}

define(['python', 'python2', 'python3', 'pypy', 'pypy3', 'ipython'], interpreter({
  code: 'c',
  value: 'WXQ',
  module: 'm',
  valueLong: ['check-hash-based-pycs'],
}));
define(['node', 'nodejs'], interpreter({
  code: 'ep',
  value: 'rC',
  codeLong: ['eval', 'print'],
  valueLong: [
    'require',
    'import',
    'loader',
    'experimental-loader',
    'input-type',
    'conditions',
    'env-file',
    'title',
    'max-old-space-size',
    'stack-size',
    'inspect-port',
    'test-reporter',
    'test-reporter-destination',
  ],
}));
define(['perl', 'perl5'], interpreter({ code: 'eE', attached: 'IMmxdDFlC0', inPlace: 'i' }));
define(['ruby', 'irb'], interpreter({ code: 'e', value: 'IrCEF', attached: 'KTWx0', inPlace: 'i' }));
define(['php', 'php-cgi'], interpreter({
  code: 'rBRFE',
  value: 'cdzt',
  codeLong: ['run', 'process-begin', 'process-code', 'process-end'],
}));
define([
  'lua',
  'luajit',
  'Rscript',
  'julia',
  'osascript',
  'tclsh',
  'wish',
  'guile',
  'racket',
  'sbcl',
  'clojure',
  'elixir',
  'erl',
  'scala',
  'groovy',
  'kotlin',
  'dart',
  'swift',
  'jshell',
  'ghci',
  'runghc',
  'R',
  'octave',
  'gnuplot',
  'expect',
], interpreter({ code: 'eEc', value: 'lL', codeLong: ['eval', 'print', 'expr', 'command'] }));
define('deno', (a, call) => {
  const [sub, ...rest] = call.args;
  const subcommand = staticValue(sub);
  if (subcommand === 'eval') return oneLiner(a, call, getopt(rest, {}).positional[0]);
  if (subcommand === 'run' || subcommand === 'test' || subcommand === 'bench' || subcommand === 'compile') {
    const [script] = getopt(rest, {
      long: [
        'config',
        'import-map',
        'allow-read',
        'allow-write',
        'allow-net',
        'location',
        'cert',
        'env-file',
      ],
    }).positional;
    if (script && isStatic(script) && !/^[a-z]+:/.test(script.value))
      a.path(script, 'read', false, 'deno script', call.env);
    return;
  }
  devTool(a, call);
});
define('bun', (a, call) => {
  const args = call.args;
  const first = staticValue(args[0]);
  const code = args.findIndex((arg) => ['-e', '--eval', '-p', '--print'].includes(staticValue(arg) ?? ''));
  if (code >= 0) return oneLiner(a, call, args[code + 1]);
  if (first === 'exec') return runCode(a, call, args[1], [], 'bun exec');
  if (first && /\.(?:[cm]?[jt]sx?|sh)$/.test(first))
    return a.path(args[0] as Field, 'read', false, 'bun script', call.env);
  if (first === 'run') {
    const target = getopt(args.slice(1), {}).positional[0];
    const value = staticValue(target);
    if (target && value && /[./]/.test(value)) a.path(target, 'read', false, 'bun script', call.env);
    return;
  }
  devTool(a, call);
});
define(['npx', 'pnpx'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'cp',
    long: ['call', 'package', 'prefix', 'cache', 'userconfig'],
  });
  for (const command of optionValues(parsed, '-c', '--call'))
    runCode(a, call, command, [], `${call.name} -c`);
  devTool(a, { ...call, args: parsed.positional });
});
define(['npm', 'pnpm', 'yarn'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'cwC',
    long: [
      'call',
      'prefix',
      'workspace',
      'dir',
      'cwd',
      'userconfig',
      'globalconfig',
      'cache',
      'registry',
      'script-shell',
      'filter',
      'tag',
      'otp',
      'access',
    ],
  });
  for (const command of optionValues(parsed, '-c', '--call'))
    runCode(a, call, command, [], `${call.name} exec -c`);
  for (const shell of optionValues(parsed, '--script-shell'))
    a.opaque(`${call.name} --script-shell replaces the shell for scripts`, staticValue(shell) ?? call.text);
  paths(a, call, optionValues(parsed, '--userconfig', '--globalconfig'), 'read', false, 'config');
  const [sub, key] = parsed.positional;
  if (
    staticValue(sub) === 'config' &&
    /^(?:set)$/.test(staticValue(key) ?? '') &&
    /script-shell|node-options|git=/.test(joinAsShell(parsed.positional) ?? '')
  ) {
    a.opaque(`${call.name} config changes the program npm runs scripts with`, call.text);
  }
  devTool(a, { ...call, args: parsed.positional });
});
define(['make', 'gmake', 'bmake'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'CfIoWE',
    long: [
      'directory',
      'file',
      'makefile',
      'include-dir',
      'jobs',
      'load-average',
      'old-file',
      'what-if',
      'new-file',
      'assume-old',
      'assume-new',
      'eval',
    ],
  });
  paths(a, call, optionValues(parsed, '-C', '--directory'), 'read', true, 'folder');
  for (const makefile of optionValues(parsed, '-f', '--file', '--makefile')) {
    if (staticValue(makefile) === '-' || isStreamPath(makefile)) foreignStdin(a, call);
    else a.path(makefile, 'read', false, `${call.name} makefile`, call.env);
  }
  for (const code of optionValues(parsed, '-E', '--eval'))
    a.opaque('make --eval adds make code', staticValue(code) ?? call.text);
});
const DEV_TOOLS = [
  'cargo',
  'rustc',
  'rustup',
  'go',
  'gcc',
  'g++',
  'clang',
  'clang++',
  'cc',
  'c++',
  'ld',
  'tsc',
  'tsx',
  'ts-node',
  'eslint',
  'prettier',
  'biome',
  'jest',
  'vitest',
  'mocha',
  'pytest',
  'pip',
  'pip3',
  'poetry',
  'uv',
  'uvx',
  'pipx',
  'gem',
  'bundle',
  'bundler',
  'rake',
  'mvn',
  'gradle',
  'gradlew',
  'dotnet',
  'java',
  'javac',
  'kotlinc',
  'swiftc',
  'xcodebuild',
  'cmake',
  'ninja',
  'meson',
  'bazel',
  'terraform',
  'kubectl',
  'helm',
  'aws',
  'gcloud',
  'az',
  'gh',
  'hub',
  'glab',
  'heroku',
  'vercel',
  'netlify',
  'firebase',
  'docker-compose',
  'brew',
  'apt',
  'apt-get',
  'yum',
  'dnf',
  'pacman',
  'apk',
  'snap',
  'nix',
  'conda',
  'mamba',
  'pyenv',
  'nvm',
  'volta',
  'corepack',
  'turbo',
  'nx',
  'lerna',
  'vite',
  'webpack',
  'rollup',
  'esbuild',
  'parcel',
  'next',
  'nuxt',
  'astro',
  'ruff',
  'black',
  'isort',
  'mypy',
  'pyright',
  'flake8',
  'pylint',
  'tox',
  'nox',
  'composer',
  'mix',
  'stack',
  'cabal',
  'zig',
  'dune',
  'opam',
  'sbt',
  'lein',
  'shellcheck',
  'hadolint',
  'actionlint',
  'golangci-lint',
  'gofmt',
  'goimports',
  'rustfmt',
  'clippy-driver',
  'clang-format',
  'sqlite-utils',
  'mkdocs',
  'sphinx-build',
  'hugo',
  'jekyll',
  'pre-commit',
  'husky',
  'lint-staged',
  'changeset',
  'semantic-release',
  'playwright',
  'cypress',
  'storybook',
  'prisma',
  'drizzle-kit',
  'wrangler',
  'supabase',
  'ng',
  'vue',
  'expo',
  'react-native',
  'flutter',
  'xcrun',
  'swiftlint',
  'pod',
  'fastlane',
  'ansible',
  'ansible-playbook',
  'packer',
  'vagrant',
  'pulumi',
  'cdk',
  'sam',
  'serverless',
  'skaffold',
  'minikube',
  'kind',
  'k9s',
  'stern',
  'jira',
];
define(DEV_TOOLS, devTool);

// ---------------------------------------------------------------------------------------------
// Network

define(['curl'], (a, call) => curlHandler(a, call));
define(['wget', 'wget2'], (a, call) => wgetHandler(a, call));
define(['http', 'https', 'xh', 'xhs', 'httpie'], (a, call) => httpieHandler(a, call));
define(['aria2c', 'axel', 'lynx', 'links', 'w3m', 'elinks'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'dioxs',
    long: ['dir', 'input-file', 'out', 'max-connection-per-server', 'split'],
  });
  paths(a, call, optionValues(parsed, '-i', '--input-file'), 'read', false, 'input file');
  paths(a, call, optionValues(parsed, '-d', '--dir'), 'write', true, 'download folder');
  paths(a, call, optionValues(parsed, '-o', '--out'), 'write', false, 'output');
  for (const arg of parsed.positional) urlArgument(a, call, arg);
});
define(['ssh', 'mosh', 'autossh', 'ssh-copy-id'], (a, call) => sshHandler(a, call));
define(['scp', 'sftp', 'rsync'], (a, call) => copyRemote(a, call));
define(['nc', 'ncat', 'netcat', 'nc.openbsd', 'nc.traditional'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'ecipsqwxXOPTIVMmg',
    long: ['exec', 'sh-exec', 'lua-exec', 'source-port', 'proxy', 'proxy-type', 'wait', 'output', 'hex-dump'],
  });
  for (const command of optionValues(parsed, '-e', '-c', '--exec', '--sh-exec', '--lua-exec'))
    a.opaque(`${call.name} runs a program on a network socket`, staticValue(command) ?? call.text);
  for (const proxy of optionValues(parsed, '-x', '--proxy'))
    a.host(hostOf(staticValue(proxy)), `${call.name} proxy`);
  paths(a, call, optionValues(parsed, '-o', '--output'), 'write', false, 'output');
  if (hasOption(parsed, '-l', '--listen')) return;
  const [host] = parsed.positional;
  if (host) a.host(isStatic(host) ? host.value : undefined, `${call.name} host`);
});
define('socat', (a, call) => {
  for (const arg of getopt(call.args, { short: 'dlt', long: [] }).positional) {
    const value = staticValue(arg);
    if (value === undefined) {
      a.opaque('socat address is not statically known', call.text);
      continue;
    }
    const [kind = '', ...rest] = value.split(':');
    const upper = kind.toUpperCase();
    if (upper === 'EXEC' || upper === 'SYSTEM') a.opaque('socat runs a program on a socket', rest.join(':'));
    else if (/^(TCP|TCP4|TCP6|UDP|UDP4|UDP6|SSL|OPENSSL|SCTP|SOCKS4A?|PROXY)$/.test(upper))
      a.host(rest[0]?.split(',')[0], 'socat address');
    else if (/^(OPEN|FILE|CREATE|GOPEN|PIPE|UNIX-CONNECT|UNIX-CLIENT|READLINE_)$/.test(upper))
      a.path(field(rest.join(':').split(',')[0] ?? ''), 'any', false, 'socat file', call.env);
    else if (value.startsWith('/') || value.startsWith('.'))
      a.path(field(value.split(',')[0] ?? ''), 'any', false, 'socat file', call.env);
  }
});
define([
  'telnet',
  'ftp',
  'tftp',
  'lftp',
  'ping',
  'ping6',
  'traceroute',
  'tracepath',
  'mtr',
  'whois',
  'nmap',
], (a, call) => {
  const parsed = getopt(call.args, { short: 'cfiIlmpQsStTwWbBe', long: [] });
  const [host] = parsed.positional;
  if (host) a.host(isStatic(host) ? hostOf(host.value) : undefined, `${call.name} host`);
});
define(['dig', 'nslookup', 'host', 'drill', 'kdig'], (a, call) => {
  for (const arg of call.args) {
    const value = staticValue(arg);
    if (arg.kind === 'dynamic') {
      a.host(undefined, `${call.name} name`);
      continue;
    }
    if (!value || value.startsWith('-') || value.startsWith('+')) continue;
    if (/^(?:A|AAAA|MX|TXT|NS|CNAME|SOA|PTR|SRV|ANY|CAA|DS|DNSKEY|AXFR|IN|CH)$/i.test(value)) continue;
    a.host(value.replace(/^@/, ''), `${call.name} name`);
  }
});
define(['docker', 'podman', 'nerdctl', 'finch'], (a, call) => dockerHandler(a, call));
define('git', (a, call) => gitHandler(a, call));
define(['sqlite3', 'sqlite'], (a, call) => {
  const parsed = getopt(call.args, {
    singleDashLong: true,
    long: [
      'cmd',
      'init',
      'separator',
      'newline',
      'nullvalue',
      'vfs',
      'maxsize',
      'mmap',
      'pagecache',
      'lookaside',
      'heap',
    ],
  });
  paths(a, call, optionValues(parsed, '--init'), 'read', false, 'init file');
  const [database, ...sql] = parsed.positional;
  if (database) a.path(database, 'any', false, 'database', call.env);
  const statements = [...sql, ...optionValues(parsed, '--cmd')].map((f) => staticValue(f) ?? '\u0000');
  if (call.stdin.kind === 'text') statements.push(call.stdin.text);
  else if (call.stdin.kind === 'unknown') statements.push('\u0000');
  for (const text of statements) {
    if (
      text === '\u0000' ||
      /^\s*\.(?:shell|system|output|once|read|import|load|backup|save|restore|open|excel)\b|\b(?:attach|load_extension|writefile|readfile|edit)\b/im.test(
        text,
      )
    ) {
      a.opaque('sqlite3 commands can run programs or touch files', text === '\u0000' ? call.text : text);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Larger handlers

function copyLike(a: Analyzer, call: Invocation, move: boolean): void {
  const parsed = getopt(call.args, {
    short: 'tS',
    long: ['target-directory', 'suffix', 'sparse', 'no-preserve'],
  });
  const recursive = move || hasOption(parsed, '-r', '-R', '-a', '--recursive', '--archive');
  const folder = optionValues(parsed, '-t', '--target-directory');
  const op: PathOp = move ? 'write' : 'read';
  if (folder.length > 0) {
    paths(a, call, folder, 'write', true, 'target folder');
    paths(a, call, parsed.positional, op, recursive, 'source');
    return;
  }
  const positional = parsed.positional;
  if (positional.length === 1) {
    paths(a, call, positional, op, recursive, 'source');
    return;
  }
  paths(a, call, positional.slice(0, -1), op, recursive, 'source');
  const dest = positional[positional.length - 1];
  if (dest) a.path(dest, 'write', recursive, 'destination', call.env);
}

/** Field standing for "any file find would produce under `start`" (optionally named `name`). */
function findResults(start: Field, name: string | undefined, env: Env): Field {
  if (!isStatic(start) || start.glob !== undefined)
    return {
      kind: 'dynamic',
      text: `find results under ${start.kind === 'static' ? start.value : start.text}`,
    };
  const base = escapeGlob(start.value.replace(/\/+$/, '') || '/');
  const glob = `${base === '/' ? '' : base}/**${name ? `/${name}` : ''}`;
  void env;
  return { kind: 'static', value: glob, glob, globDot: true };
}

const FIND_VALUE_TESTS = new Set([
  '-name',
  '-iname',
  '-path',
  '-ipath',
  '-wholename',
  '-iwholename',
  '-regex',
  '-iregex',
  '-lname',
  '-ilname',
  '-type',
  '-xtype',
  '-user',
  '-group',
  '-uid',
  '-gid',
  '-perm',
  '-size',
  '-mtime',
  '-mmin',
  '-atime',
  '-amin',
  '-ctime',
  '-cmin',
  '-inum',
  '-links',
  '-maxdepth',
  '-mindepth',
  '-fstype',
  '-used',
  '-context',
  '-regextype',
  '-printf',
  '-newermt',
  '-D',
  '-O',
]);

function findHandler(a: Analyzer, call: Invocation): void {
  const args = call.args;
  let index = 0;
  while (index < args.length && /^-[HLP]$/.test(staticValue(args[index]) ?? '')) index++;
  const starts: Field[] = [];
  for (; index < args.length; index++) {
    const arg = args[index];
    const value = staticValue(arg);
    if (
      arg &&
      (arg.kind === 'dynamic' || !(value?.startsWith('-') || value === '(' || value === '!' || value === ','))
    )
      starts.push(arg);
    else break;
  }
  if (starts.length === 0) starts.push(field('.'));
  const expression = args.slice(index);
  const names = expression.flatMap((arg, k) =>
    /^-i?name$/.test(staticValue(arg) ?? '') ? [expression[k + 1]] : [],
  );
  const simpleName =
    names.length === 1 &&
    !expression.some((arg) => ['-o', '-or', '!', '-not'].includes(staticValue(arg) ?? ''))
      ? staticValue(names[0])
      : undefined;
  const escapedName = simpleName?.replace(/[\\/]/g, '\\$&');
  for (const start of starts) a.path(start, 'read', true, 'find start', call.env);
  for (let k = 0; k < expression.length; k++) {
    const token = staticValue(expression[k]);
    if (!token) continue;
    if (FIND_VALUE_TESTS.has(token)) {
      k++;
      continue;
    }
    if (
      ['-newer', '-anewer', '-cnewer', '-samefile', '-files0-from'].includes(token) ||
      /^-newer[aBcmt][aBcmt]$/.test(token)
    ) {
      const ref = expression[k + 1];
      if (ref) a.path(ref, 'read', false, `find ${token}`, call.env);
      k++;
      continue;
    }
    if (['-fprint', '-fprint0', '-fls', '-fprintf'].includes(token)) {
      const out = expression[k + 1];
      if (out) a.path(out, 'write', false, `find ${token}`, call.env);
      k += token === '-fprintf' ? 2 : 1;
      continue;
    }
    if (token === '-delete') {
      for (const start of starts)
        a.path(findResults(start, escapedName, call.env), 'write', true, 'find -delete', call.env);
      continue;
    }
    if (['-exec', '-execdir', '-ok', '-okdir'].includes(token)) {
      let end = k + 1;
      while (end < expression.length && !/^[;+]$/.test(staticValue(expression[end]) ?? '')) end++;
      const command = expression.slice(k + 1, end);
      for (const start of starts) {
        const result = findResults(start, escapedName, call.env);
        const argv = command.flatMap((arg): Field[] => {
          if (!isStatic(arg) || !arg.value.includes('{}')) return [arg];
          if (arg.value === '{}') return [result];
          return [
            {
              kind: 'dynamic',
              text: arg.value,
              ...(arg.value.indexOf('{}') > 0 ? { prefix: arg.value.slice(0, arg.value.indexOf('{}')) } : {}),
            },
          ];
        });
        a.runArgv(
          argv,
          call.env,
          { kind: 'none' },
          [...call.via, `find ${token}`],
          call.text,
          call.depth + 1,
        );
      }
      k = end;
    }
  }
}

function xargsHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'adEILnPs',
    long: [
      'arg-file',
      'delimiter',
      'eof',
      'replace',
      'max-lines',
      'max-args',
      'max-procs',
      'max-chars',
      'process-slot-var',
    ],
    stopAtPositional: true,
  });
  const argFiles = optionValues(parsed, '-a', '--arg-file');
  paths(a, call, argFiles, 'read', false, 'argument file');
  const replaceOption = parsed.options.find((option) => ['-I', '--replace', '-i'].includes(option.name));
  const replace = replaceOption ? (staticValue(replaceOption.value) ?? '{}') : undefined;
  let items: Field[];
  const stdin = call.stdin;
  if (argFiles.length > 0) items = [{ kind: 'dynamic', text: 'xargs input file' }];
  else if (stdin.kind === 'text') {
    const delimiter = hasOption(parsed, '-0', '--null') ? '\u0000' : undefined;
    const words = delimiter ? stdin.text.split(delimiter) : stdin.text.split(/\s+/);
    items = words.filter(Boolean).map((value) => field(value.replace(/^(['"])(.*)\1$/s, '$2')));
    if (items.length > 64) items = [{ kind: 'dynamic', text: 'xargs input' }];
  } else if (stdin.kind === 'fields') items = stdin.fields;
  else items = [{ kind: 'dynamic', text: stdin.kind === 'unknown' ? stdin.text : 'xargs input' }];
  const command = parsed.positional.length > 0 ? parsed.positional : [field('echo')];
  if (replace !== undefined) {
    for (const item of items.length > 0 ? items : [{ kind: 'dynamic', text: 'xargs input' } as Field]) {
      const argv = command.map((arg): Field => {
        if (!isStatic(arg) || !arg.value.includes(replace)) return arg;
        if (arg.value === replace) return item;
        if (isStatic(item) && item.glob === undefined)
          return field(arg.value.split(replace).join(item.value));
        return { kind: 'dynamic', text: arg.value };
      });
      runInner(a, call, argv, call.env, { kind: 'none' });
    }
    return;
  }
  runInner(a, call, [...command, ...items], call.env, { kind: 'none' });
}

function sedHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'eflsS',
    long: ['expression', 'file', 'line-length'],
  });
  const inPlace = parsed.options.some(
    (option) => option.name === '-i' || option.name.startsWith('--in-place'),
  );
  const scripts = optionValues(parsed, '-e', '--expression');
  const scriptFiles = optionValues(parsed, '-f', '--file');
  paths(a, call, scriptFiles, 'read', false, 'script file');
  let positional = parsed.positional;
  if (scripts.length === 0 && scriptFiles.length === 0) {
    const [script, ...rest] = positional;
    if (script) scripts.push(script);
    positional = rest;
  }
  if (scriptFiles.length > 0) a.opaque('sed script from a file may write files or run commands', call.text);
  for (const script of scripts) {
    const text = staticValue(script);
    if (text === undefined) {
      a.opaque('sed script is not statically known', call.text);
      continue;
    }
    sedScriptEffects(a, call, text);
  }
  paths(a, call, positional, inPlace ? 'any' : 'read', false, 'file');
}

/** GNU sed commands with side effects: `e` (run), `w`/`W` (write a file), `r`/`R` (read a file). */
function sedScriptEffects(a: Analyzer, call: Invocation, script: string): void {
  const address = String.raw`(?:\d+|\$|/(?:[^/\\]|\\.)*/[IM]*)?(?:\s*,\s*(?:\d+|\$|/(?:[^/\\]|\\.)*/[IM]*|[+~]\d+))?!?`;
  const command = new RegExp(String.raw`(?:^|[;\n{}])\s*${address}\s*([rRwWe])(?:\s+([^;\n}]*))?`, 'g');
  for (const match of script.matchAll(command)) {
    const letter = match[1];
    const target = (match[2] ?? '').trim();
    if (letter === 'e') a.opaque('sed e command runs a shell command', script);
    else if (target)
      a.path(
        field(target),
        letter === 'r' || letter === 'R' ? 'read' : 'write',
        false,
        `sed ${letter} command`,
        call.env,
      );
  }
  // s/a/b/flags: the `e` flag runs the pattern space, `w file` writes.
  const substitution = /s(.)(?:(?!\1)[^\\]|\\.)*\1(?:(?!\1)[^\\]|\\.)*\1([gpiImMe0-9]*)(?:w\s+([^;\n}]*))?/g;
  for (const match of script.matchAll(substitution)) {
    if (match[2]?.includes('e')) a.opaque('sed s///e runs a shell command', script);
    if (match[3]) a.path(field(match[3].trim()), 'write', false, 'sed s///w', call.env);
  }
}

function awkHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'fvFeiElLW',
    long: ['file', 'assign', 'field-separator', 'source', 'include', 'exec', 'load', 'lint'],
  });
  const programFiles = optionValues(parsed, '-f', '--file', '-i', '--include', '-E', '--exec');
  paths(a, call, programFiles, 'read', false, 'program file');
  const programs = optionValues(parsed, '-e', '--source');
  let positional = parsed.positional;
  if (programFiles.length === 0 && programs.length === 0) {
    const [program, ...rest] = positional;
    if (program) programs.push(program);
    positional = rest;
  }
  if (programFiles.length > 0) a.opaque('awk program from a file may run commands or write files', call.text);
  for (const program of programs) {
    const text = staticValue(program);
    if (text === undefined) a.opaque('awk program is not statically known', call.text);
    else if (
      /\bsystem\s*\(|\|\s*getline|\bgetline\b[^;{}\n]*</.test(text) ||
      /\b(?:print|printf)\b[^;{}\n]*(?:>|\|)/.test(text) ||
      /\b(?:close|fflush)\s*\(/.test(text)
    ) {
      a.opaque('awk program runs commands or writes files', text);
    }
  }
  const files = positional.filter((arg) => !(isStatic(arg) && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg.value)));
  paths(a, call, files, 'read', false, 'input');
}

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
  paths(
    a,
    call,
    optionValues(parsed, '-T', '--files-from', '-X', '--exclude-from'),
    'read',
    false,
    'list file',
  );
  for (const archive of optionValues(parsed, '-f', '--file')) {
    if (staticValue(archive) === '-') continue;
    a.path(archive, creating ? 'write' : 'read', false, 'tar archive', call.env);
  }
  const env = a.cloneEnv(call.env);
  for (const dir of optionValues(parsed, '-C', '--directory')) a.setCwd(env, dir);
  if (creating) {
    paths(a, { ...call, env }, parsed.positional, 'read', true, 'member');
  } else if (extracting) {
    a.path(field('.'), 'write', true, 'tar extraction (target folder)', env);
    paths(a, { ...call, env }, parsed.positional, 'write', true, 'member');
  } else paths(a, { ...call, env }, parsed.positional, 'read', false, 'member');
}

// Network helpers

function hostOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let text = value.trim();
  const at = text.lastIndexOf('@');
  if (at >= 0 && !text.includes('://')) text = text.slice(at + 1);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  try {
    const url = new URL(text);
    return url.hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/** A URL argument: `file://` is a file read, anything else a host. Globs and braces are expanded. */
function urlArgument(a: Analyzer, call: Invocation, arg: Field): void {
  if (!isStatic(arg)) {
    a.host(undefined, `${call.name} URL`);
    return;
  }
  const value = arg.value;
  const alternatives = /[{[]/.test(value) ? (expandUrlGlob(value) ?? [value]) : [value];
  for (const alternative of alternatives) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(alternative)?.[1]?.toLowerCase();
    if (scheme === 'file') {
      let path = alternative.replace(/^file:(?:\/\/[^/]*)?/i, '');
      try {
        path = decodeURIComponent(path);
      } catch {
        // keep the raw text
      }
      a.path(field(path || '/'), 'read', false, `${call.name} file:// URL`, call.env);
      continue;
    }
    if (scheme === 'dict' || scheme === 'gopher' || scheme === 'telnet' || scheme === 'ldap')
      a.opaque(`${call.name} ${scheme}:// URL can talk to arbitrary services`, alternative);
    a.host(hostOf(alternative), `${call.name} URL`);
  }
}

function expandUrlGlob(value: string): string[] | undefined {
  const out: string[] = [];
  const brace = /\{([^{}]*)\}/.exec(value);
  if (brace) {
    for (const part of (brace[1] ?? '').split(',')) {
      const expanded = expandUrlGlob(
        value.slice(0, brace.index) + part + value.slice(brace.index + brace[0].length),
      );
      if (!expanded) return undefined;
      out.push(...expanded);
      if (out.length > 64) return undefined;
    }
    return out;
  }
  const range = /\[([a-z0-9])-([a-z0-9])(?::\d+)?\]/i.exec(value);
  if (range) {
    const from = (range[1] ?? 'a').charCodeAt(0);
    const to = (range[2] ?? 'a').charCodeAt(0);
    if (to - from > 64) return undefined;
    for (let c = from; c <= to; c++) {
      const expanded = expandUrlGlob(
        value.slice(0, range.index) + String.fromCharCode(c) + value.slice(range.index + range[0].length),
      );
      if (!expanded) return undefined;
      out.push(...expanded);
    }
    return out;
  }
  return [value];
}

const CURL_VALUED_LONG = [
  'abstract-unix-socket',
  'alt-svc',
  'aws-sigv4',
  'cacert',
  'capath',
  'cert',
  'cert-type',
  'ciphers',
  'config',
  'connect-timeout',
  'connect-to',
  'continue-at',
  'cookie',
  'cookie-jar',
  'create-file-mode',
  'crlfile',
  'curves',
  'data',
  'data-ascii',
  'data-binary',
  'data-raw',
  'data-urlencode',
  'delegation',
  'dns-interface',
  'dns-ipv4-addr',
  'dns-ipv6-addr',
  'dns-servers',
  'doh-url',
  'dump-header',
  'ech',
  'egd-file',
  'engine',
  'etag-compare',
  'etag-save',
  'expect100-timeout',
  'form',
  'form-string',
  'ftp-account',
  'ftp-alternative-to-user',
  'ftp-method',
  'ftp-port',
  'ftp-ssl-ccc-mode',
  'happy-eyeballs-timeout-ms',
  'header',
  'hostpubmd5',
  'hostpubsha256',
  'hsts',
  'interface',
  'ip-tos',
  'ipfs-gateway',
  'json',
  'keepalive-time',
  'keepalive-cnt',
  'key',
  'key-type',
  'krb',
  'libcurl',
  'limit-rate',
  'local-port',
  'login-options',
  'mail-auth',
  'mail-from',
  'mail-rcpt',
  'max-filesize',
  'max-redirs',
  'max-time',
  'netrc-file',
  'noproxy',
  'oauth2-bearer',
  'output',
  'output-dir',
  'parallel-max',
  'pass',
  'pinnedpubkey',
  'preproxy',
  'proto',
  'proto-default',
  'proto-redir',
  'proxy',
  'proxy-cacert',
  'proxy-capath',
  'proxy-cert',
  'proxy-cert-type',
  'proxy-ciphers',
  'proxy-crlfile',
  'proxy-header',
  'proxy-key',
  'proxy-key-type',
  'proxy-pass',
  'proxy-pinnedpubkey',
  'proxy-service-name',
  'proxy-tls13-ciphers',
  'proxy-tlsauthtype',
  'proxy-tlspassword',
  'proxy-tlsuser',
  'proxy-user',
  'proxy1.0',
  'pubkey',
  'quote',
  'random-file',
  'range',
  'rate',
  'referer',
  'request',
  'request-target',
  'resolve',
  'retry',
  'retry-delay',
  'retry-max-time',
  'sasl-authzid',
  'service-name',
  'socks4',
  'socks4a',
  'socks5',
  'socks5-gssapi-service',
  'socks5-hostname',
  'speed-limit',
  'speed-time',
  'stderr',
  'telnet-option',
  'tftp-blksize',
  'time-cond',
  'tls-max',
  'tls13-ciphers',
  'tlsauthtype',
  'tlspassword',
  'tlsuser',
  'trace',
  'trace-ascii',
  'trace-config',
  'unix-socket',
  'upload-file',
  'url',
  'url-query',
  'user',
  'user-agent',
  'variable',
  'write-out',
  'ssl-sessions',
  'vlan-priority',
  'ip-tos',
];

function curlHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, { short: 'AbcCdDeEFHKmoPQrtTuUwxXyYz', long: CURL_VALUED_LONG });
  const env = call.env;
  for (const config of optionValues(parsed, '-K', '--config')) {
    const text = staticValue(config);
    a.opaque(
      'curl --config can set any option, including output files',
      text === '-' && call.stdin.kind === 'text' ? call.stdin.text : call.text,
    );
  }
  const urls = [...parsed.positional, ...optionValues(parsed, '--url')];
  for (const url of urls) urlArgument(a, call, url);
  const readOptions = [
    '-T',
    '--upload-file',
    '-K',
    '--config',
    '-E',
    '--cert',
    '--key',
    '--cacert',
    '--capath',
    '--crlfile',
    '--netrc-file',
    '--proxy-cacert',
    '--proxy-cert',
    '--proxy-key',
    '--etag-compare',
    '--random-file',
    '--egd-file',
    '--unix-socket',
    '--abstract-unix-socket',
  ];
  const writeOptions = [
    '-o',
    '--output',
    '-c',
    '--cookie-jar',
    '-D',
    '--dump-header',
    '--trace',
    '--trace-ascii',
    '--stderr',
    '--libcurl',
    '--etag-save',
    '--hsts',
    '--alt-svc',
  ];
  for (const option of parsed.options) {
    const value = option.value;
    if (!value) {
      if (option.name === '-n' || option.name === '--netrc' || option.name === '--netrc-optional') {
        for (const home of a.homeCandidates(env, ''))
          a.path(field(`${home}/.netrc`), 'read', false, 'curl --netrc', env);
      }
      if (
        option.name === '-O' ||
        option.name === '--remote-name' ||
        option.name === '-J' ||
        option.name === '--remote-name-all'
      ) {
        a.path(field('.'), 'write', false, 'curl --remote-name (working folder)', env);
      }
      continue;
    }
    const text = staticValue(value);
    if (readOptions.includes(option.name)) {
      if (text !== '-')
        a.path(
          text !== undefined && (option.name === '-E' || option.name === '--cert')
            ? field(text.replace(/(?<!\\):.*$/s, ''))
            : value,
          'read',
          false,
          `curl ${option.name}`,
          env,
        );
    } else if (writeOptions.includes(option.name)) {
      if (text !== '-') a.path(value, 'write', option.name === '--output-dir', `curl ${option.name}`, env);
    } else if (option.name === '--output-dir') a.path(value, 'write', true, 'curl --output-dir', env);
    else if (option.name === '-b' || option.name === '--cookie') {
      if (text !== undefined && !text.includes('=')) a.path(value, 'read', false, 'curl --cookie file', env);
    } else if (
      /^(?:-d|--data|--data-ascii|--data-binary|--data-urlencode|--json|--url-query|--variable)$/.test(
        option.name,
      )
    ) {
      if (text === undefined) a.path(value, 'read', false, `curl ${option.name} (may be @file)`, env);
      else {
        const at =
          option.name === '--data-urlencode' || option.name === '--url-query' || option.name === '--variable'
            ? text.indexOf('@')
            : text.startsWith('@')
              ? 0
              : -1;
        if (at >= 0 && text.slice(at + 1) !== '-')
          a.path(field(text.slice(at + 1)), 'read', false, `curl ${option.name} @file`, env);
      }
    } else if (option.name === '-F' || option.name === '--form') {
      if (text === undefined) a.path(value, 'read', false, 'curl --form (may be @file)', env);
      else {
        const match = /^[^=]*=[@<]([^;]*)/s.exec(text);
        if (match?.[1] && match[1] !== '-') a.path(field(match[1]), 'read', false, 'curl --form file', env);
      }
    } else if (option.name === '-w' || option.name === '--write-out') {
      for (const match of (text ?? '').matchAll(/%output\{(>>)?([^}]*)\}/g))
        a.path(field(match[2] ?? ''), 'write', false, 'curl --write-out %output', env);
      if (text?.startsWith('@')) a.path(field(text.slice(1)), 'read', false, 'curl --write-out @file', env);
    } else if (
      [
        '-x',
        '--proxy',
        '--preproxy',
        '--socks4',
        '--socks4a',
        '--socks5',
        '--socks5-hostname',
        '--doh-url',
      ].includes(option.name)
    ) {
      a.host(hostOf(text), `curl ${option.name}`);
    } else if (option.name === '--resolve' || option.name === '--connect-to') {
      // HOST:PORT:ADDR and H1:P1:H2:P2: the connection really goes to the third field.
      const target = text
        ?.split(':')
        .slice(2)
        .join(':')
        .split(':')[0]
        ?.replace(/^\[|\]$/g, '');
      a.host(target || (text === undefined ? undefined : hostOf(text.split(':')[0])), `curl ${option.name}`);
    }
  }
}

function wgetHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'OoaPiBetTwQlARDIXUY',
    long: [
      'output-document',
      'output-file',
      'append-output',
      'directory-prefix',
      'input-file',
      'base',
      'execute',
      'tries',
      'timeout',
      'wait',
      'quota',
      'level',
      'accept',
      'reject',
      'domains',
      'include-directories',
      'exclude-directories',
      'user-agent',
      'post-file',
      'body-file',
      'post-data',
      'body-data',
      'method',
      'load-cookies',
      'save-cookies',
      'ca-certificate',
      'certificate',
      'private-key',
      'config',
      'use-askpass',
      'header',
      'user',
      'password',
      'http-user',
      'http-password',
      'referer',
      'proxy-user',
      'proxy-password',
      'bind-address',
      'limit-rate',
      'restrict-file-names',
      'default-page',
      'cut-dirs',
      'read-timeout',
      'connect-timeout',
      'dns-timeout',
      'waitretry',
      'local-encoding',
      'remote-encoding',
      'ca-directory',
      'certificate-type',
      'private-key-type',
      'secure-protocol',
      'hsts-file',
      'warc-file',
      'rejected-log',
      'progress',
      'report-speed',
    ],
  });
  for (const url of parsed.positional) urlArgument(a, call, url);
  for (const base of optionValues(parsed, '-B', '--base')) urlArgument(a, call, base);
  for (const command of optionValues(parsed, '-e', '--execute', '--use-askpass'))
    a.opaque('wget -e runs wgetrc commands', staticValue(command) ?? call.text);
  const inputs = optionValues(parsed, '-i', '--input-file');
  paths(a, call, inputs, 'read', false, 'input file');
  if (inputs.length > 0) a.host(undefined, 'wget --input-file URLs');
  paths(
    a,
    call,
    optionValues(
      parsed,
      '--post-file',
      '--body-file',
      '--load-cookies',
      '--ca-certificate',
      '--certificate',
      '--private-key',
      '--config',
    ),
    'read',
    false,
    'file',
  );
  paths(
    a,
    call,
    optionValues(
      parsed,
      '-o',
      '--output-file',
      '-a',
      '--append-output',
      '--save-cookies',
      '--hsts-file',
      '--warc-file',
      '--rejected-log',
    ),
    'write',
    false,
    'file',
  );
  const documents = optionValues(parsed, '-O', '--output-document');
  paths(
    a,
    call,
    documents.filter((doc) => staticValue(doc) !== '-'),
    'write',
    false,
    'output',
  );
  const recursive = hasOption(parsed, '-r', '--recursive', '-m', '--mirror');
  const prefix = optionValues(parsed, '-P', '--directory-prefix');
  if (prefix.length > 0) paths(a, call, prefix, 'write', true, 'download folder');
  else if (documents.length === 0)
    a.path(field('.'), 'write', recursive, 'wget download (working folder)', call.env);
}

function httpieHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'aAob',
    long: [
      'auth',
      'auth-type',
      'output',
      'session',
      'session-read-only',
      'verify',
      'cert',
      'cert-key',
      'proxy',
      'timeout',
      'max-redirects',
      'pretty',
      'style',
      'print',
      'format-options',
      'boundary',
      'raw',
      'ssl',
      'ciphers',
      'response-charset',
      'response-mime',
    ],
  });
  paths(a, call, optionValues(parsed, '-o', '--output', '--session'), 'write', false, 'output');
  paths(a, call, optionValues(parsed, '--cert', '--cert-key', '--session-read-only'), 'read', false, 'file');
  for (const proxy of optionValues(parsed, '--proxy'))
    a.host(hostOf(staticValue(proxy)?.replace(/^[a-z]+:/, '')), 'httpie proxy');
  let urlSeen = false;
  for (const arg of parsed.positional) {
    const value = staticValue(arg);
    if (!urlSeen) {
      if (value && /^[A-Z]+$/.test(value)) continue;
      urlSeen = true;
      if (value?.startsWith(':')) a.host('localhost', 'httpie URL');
      else urlArgument(a, call, arg);
      continue;
    }
    if (value === undefined) {
      a.path(arg, 'read', false, 'httpie item (may be @file)', call.env);
      continue;
    }
    const match = /^(?:[^=:@]*)(?::=@|=@|@)(.+)$/s.exec(value);
    if (match?.[1]) a.path(field(match[1]), 'read', false, 'httpie file item', call.env);
  }
}

const SSH_DANGEROUS_OPTIONS =
  /^(?:ProxyCommand|LocalCommand|PermitLocalCommand|KnownHostsCommand|Match|RemoteCommand|SecurityKeyProvider|PKCS11Provider|IdentityAgent|ControlPath)\b/i;

function sshOptions(a: Analyzer, call: Invocation, parsed: ParsedArgs): void {
  for (const option of optionValues(parsed, '-o')) {
    const text = staticValue(option);
    if (text === undefined || SSH_DANGEROUS_OPTIONS.test(text))
      a.opaque(`${call.name} -o option can run local commands`, text ?? call.text);
    const file = /^(?:IdentityFile|UserKnownHostsFile|CertificateFile|Include)\s*[= ]\s*(.+)$/i.exec(
      text ?? '',
    );
    if (file?.[1]) a.path(field(file[1]), 'read', false, `${call.name} -o file`, call.env);
  }
  paths(a, call, optionValues(parsed, '-i', '-F'), 'read', false, 'key or config');
  for (const jump of optionValues(parsed, '-J'))
    for (const hop of (staticValue(jump) ?? '').split(','))
      a.host(hostOf(hop) ?? undefined, `${call.name} jump host`);
  for (const program of optionValues(parsed, '-S', '-D'))
    if (call.name !== 'ssh') a.opaque(`${call.name} -S runs a program`, staticValue(program) ?? call.text);
}

function sshHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, { short: 'BbcDEeFIiJLlmOoPpQRSWw', stopAtPositional: true });
  sshOptions(a, call, parsed);
  paths(a, call, optionValues(parsed, '-E'), 'write', false, 'log file');
  for (const forward of optionValues(parsed, '-W'))
    a.host(hostOf(staticValue(forward)?.replace(/:\d+$/, '')), 'ssh -W');
  const [target] = parsed.positional;
  if (target)
    a.host(
      isStatic(target) ? hostOf(target.value.replace(/^ssh:\/\//, 'ssh://')) : undefined,
      `${call.name} host`,
    );
}

function copyRemote(a: Analyzer, call: Invocation): void {
  const rsync = call.name === 'rsync';
  const parsed = rsync
    ? getopt(call.args, {
        short: 'eBfMT@',
        long: [
          'rsh',
          'rsync-path',
          'files-from',
          'exclude-from',
          'include-from',
          'password-file',
          'log-file',
          'backup-dir',
          'temp-dir',
          'compare-dest',
          'copy-dest',
          'link-dest',
          'partial-dir',
          'filter',
          'exclude',
          'include',
          'chmod',
          'chown',
          'out-format',
          'log-file-format',
          'max-size',
          'min-size',
          'bwlimit',
          'port',
          'sockopts',
          'timeout',
          'contimeout',
          'address',
          'iconv',
          'checksum-choice',
          'compress-choice',
          'info',
          'debug',
          'usermap',
          'groupmap',
          'block-size',
          'modify-window',
          'max-delete',
          'suffix',
          'stop-after',
          'stop-at',
          'write-batch',
          'read-batch',
          'only-write-batch',
          'remote-option',
        ],
      })
    : getopt(call.args, { short: 'cFiJloPSDbBs', long: [] });
  if (rsync) {
    for (const rsh of optionValues(parsed, '-e', '--rsh')) {
      const text = staticValue(rsh);
      if (text === undefined) a.opaque('rsync -e with a program that is not statically known', call.text);
      else a.runScript(text, a.childShellEnv(call.env, []), call.depth + 1);
    }
    paths(
      a,
      call,
      optionValues(
        parsed,
        '--files-from',
        '--exclude-from',
        '--include-from',
        '--password-file',
        '--read-batch',
      ),
      'read',
      false,
      'file',
    );
    paths(
      a,
      call,
      optionValues(
        parsed,
        '--log-file',
        '--write-batch',
        '--only-write-batch',
        '--backup-dir',
        '--partial-dir',
        '--temp-dir',
      ),
      'write',
      false,
      'file',
    );
  } else sshOptions(a, call, parsed);
  const positional = parsed.positional;
  const recursive = rsync || hasOption(parsed, '-r');
  positional.forEach((arg, index) => {
    const value = staticValue(arg);
    const isDest = index === positional.length - 1 && positional.length > 1;
    if (call.name === 'sftp' && index === 0) {
      a.host(hostOf(value?.replace(/:.*$/, '')), 'sftp host');
      return;
    }
    if (value === undefined) {
      a.path(arg, isDest ? 'write' : 'read', recursive, isDest ? 'destination' : 'source', call.env);
      a.host(undefined, `${call.name} endpoint`);
      return;
    }
    const remote = /^(?:[a-z]+:\/\/)?(?:[^@/:]+@)?(\[[^\]]+\]|[^/:]+):/i.exec(value);
    if (remote && !value.startsWith('/') && !value.startsWith('.')) {
      a.host(hostOf(remote[1]?.replace(/^\[|\]$/g, '')), `${call.name} remote`);
      return;
    }
    a.path(arg, isDest ? 'write' : 'read', recursive, isDest ? 'destination' : 'source', call.env);
  });
}

function dockerHandler(a: Analyzer, call: Invocation): void {
  const args = call.args;
  const parsed = getopt(args, {
    short: 'vefwHcplu',
    long: [
      'volume',
      'mount',
      'env-file',
      'file',
      'workdir',
      'host',
      'config',
      'context',
      'label-file',
      'cidfile',
      'name',
      'network',
      'publish',
      'user',
      'entrypoint',
      'env',
      'label',
      'platform',
      'tag',
      'build-arg',
      'target',
      'secret',
      'ssh',
      'output',
      'iidfile',
      'volumes-from',
      'device',
      'memory',
      'cpus',
      'restart',
      'hostname',
      'add-host',
      'dns',
      'log-driver',
      'log-opt',
      'security-opt',
      'cap-add',
      'cap-drop',
      'pid',
      'ipc',
      'uts',
      'userns',
      'cgroupns',
      'runtime',
      'gpus',
      'shm-size',
      'ulimit',
      'sysctl',
      'tmpfs',
      'health-cmd',
      'stop-signal',
      'format',
      'filter',
    ],
  });
  const [sub, ...rest] = parsed.positional;
  const subcommand = staticValue(sub);
  for (const volume of optionValues(parsed, '-v', '--volume')) {
    const text = staticValue(volume);
    if (text === undefined) {
      a.path(volume, 'any', true, 'docker volume', call.env);
      continue;
    }
    const source = text.split(':')[0] ?? '';
    if (source.startsWith('/') || source.startsWith('.') || source.startsWith('~'))
      a.path(field(source), 'any', true, 'docker bind mount', call.env);
  }
  for (const mount of optionValues(parsed, '--mount')) {
    const text = staticValue(mount) ?? '';
    const source = /(?:^|,)(?:source|src)=([^,]+)/.exec(text)?.[1];
    if (/(?:^|,)type=bind/.test(text) && source)
      a.path(field(source), 'any', true, 'docker bind mount', call.env);
  }
  paths(
    a,
    call,
    optionValues(parsed, '--env-file', '-f', '--file', '--label-file', '--secret'),
    'read',
    false,
    'file',
  );
  paths(a, call, optionValues(parsed, '--cidfile', '--iidfile', '-o', '--output'), 'write', false, 'output');
  if (subcommand === 'build' || subcommand === 'buildx') {
    const context = rest.filter((arg) => staticValue(arg) !== 'build').at(-1) ?? field('.');
    if (!(isStatic(context) && /^[a-z]+:\/\//.test(context.value)))
      a.path(context, 'read', true, 'docker build context', call.env);
  } else if (subcommand === 'cp') {
    rest.forEach((arg, index) => {
      const value = staticValue(arg);
      if (value !== undefined && /^[^/.~][^:/]*:/.test(value)) return;
      a.path(arg, index === rest.length - 1 ? 'write' : 'read', true, 'docker cp', call.env);
    });
  } else if (subcommand === 'load' || subcommand === 'import') {
    paths(a, call, optionValues(parsed, '-i', '--input'), 'read', false, 'input');
  }
}

const GIT_DANGEROUS_CONFIG =
  /^(?:alias\..*|core\.(?:sshcommand|pager|editor|hookspath|fsmonitor|gitproxy|askpass|attributesfile)|.*\.(?:textconv|command|helper|program|clean|smudge|process|cmd)|diff\.external|sequence\.editor|ssh\.variant|uploadpack\..*|receivepack\..*|protocol\..*|include\.path|includeif\..*|credential\..*|filter\..*|url\..*)$/i;

/**
 * Git options that always take a value. Options whose value is optional (`--stat[=n]`,
 * `--color[=when]`) or that are flags in some subcommands (`-p`, `-u`, `-n`, `-t`) are left out:
 * declaring them would let them swallow the path that follows.
 */
const GIT_VALUED = {
  short: 'mbBFoX',
  long: [
    'message',
    'author',
    'date',
    'format',
    'depth',
    'branch',
    'grep',
    'since',
    'until',
    'after',
    'before',
    'set-upstream-to',
    'onto',
    'strategy',
    'strategy-option',
    'origin',
    'reference',
    'separate-git-dir',
    'template',
    'upload-pack',
    'receive-pack',
    'exec',
    'output',
    'output-directory',
    'prefix',
    'file',
    'config',
    'jobs',
    'filter',
    'shallow-since',
    'shallow-exclude',
    'max-count',
    'reuse-message',
    'reedit-message',
    'fixup',
    'trailer',
    'extcmd',
    'tool',
    'push-option',
    'repo',
    'server-option',
    'diff-filter',
    'src-prefix',
    'dst-prefix',
    'line-prefix',
    'inter-hunk-context',
    'conflict',
    'pathspec-from-file',
    'points-at',
    'encoding',
    'decorate-refs',
    'decorate-refs-exclude',
    'chmod',
    'object-format',
    'initial-branch',
    'whitespace',
  ],
};

const GIT_WRITES = new Set([
  'checkout',
  'restore',
  'rm',
  'mv',
  'clean',
  'reset',
  'stash',
  'apply',
  'am',
  'init',
  'switch',
  'worktree',
  'sparse-checkout',
  'archive',
  'bundle',
  'format-patch',
]);
const GIT_REMOTE = new Set(['clone', 'fetch', 'pull', 'push', 'ls-remote', 'remote', 'submodule', 'archive']);

function gitHandler(a: Analyzer, call: Invocation): void {
  const args = call.args;
  const env = a.cloneEnv(call.env);
  let index = 0;
  for (; index < args.length; index++) {
    const arg = args[index];
    const value = staticValue(arg);
    if (value === undefined || !value.startsWith('-')) break;
    const next = args[index + 1];
    if (value === '-C') {
      if (next) {
        a.path(next, 'read', true, 'git -C folder', env);
        a.setCwd(env, next);
      }
      index++;
    } else if (value === '-c') {
      const setting = staticValue(next);
      if (setting === undefined || GIT_DANGEROUS_CONFIG.test(setting.split('=')[0] ?? ''))
        a.opaque('git -c sets a configuration that can run commands', setting ?? call.text);
      index++;
    } else if (value.startsWith('--config-env')) {
      a.opaque('git --config-env sets configuration from the environment', call.text);
      if (!value.includes('=')) index++;
    } else if (/^--(?:git-dir|work-tree)(?:=|$)/.test(value)) {
      const dir = value.includes('=') ? field(value.slice(value.indexOf('=') + 1)) : next;
      if (dir) a.path(dir, 'any', true, `git ${value.split('=')[0]}`, env);
      if (!value.includes('=')) index++;
    } else if (/^--(?:namespace|exec-path|super-prefix|list-cmds)$/.test(value)) index++;
    else if (value.startsWith('--exec-path=')) a.opaque('git --exec-path replaces git programs', value);
  }
  const sub = staticValue(args[index]);
  if (args[index]?.kind === 'dynamic') {
    a.opaque('git subcommand is not statically known', call.text);
    return;
  }
  if (sub === undefined) return;
  const rest = args.slice(index + 1);
  const parsed = getopt(rest, GIT_VALUED);
  const gitCall: Invocation = { ...call, env };
  for (const option of parsed.options) {
    const value = option.value;
    if (
      ['--upload-pack', '--receive-pack', '-u'].includes(option.name) &&
      GIT_REMOTE.has(sub) &&
      sub !== 'remote' &&
      sub !== 'push'
    )
      a.opaque(`git ${sub} ${option.name} runs a program`, staticValue(value) ?? call.text);
    if (['--receive-pack', '--exec'].includes(option.name) && sub === 'push')
      a.opaque('git push --receive-pack runs a program', staticValue(value) ?? call.text);
    if (option.name === '--exec' && sub === 'rebase') runCode(a, gitCall, value, [], 'git rebase --exec');
    if (option.name === '--extcmd' && sub === 'difftool')
      runCode(a, gitCall, value, [], 'git difftool --extcmd');
    if ((option.name === '-F' || option.name === '--file' || option.name === '--pathspec-from-file') && value)
      a.path(value, 'read', false, `git ${sub} ${option.name}`, env);
    if (
      (option.name === '-o' || option.name === '--output' || option.name === '--output-directory') &&
      value &&
      sub !== 'clone'
    )
      a.path(value, 'write', true, `git ${sub} output`, env);
    if ((option.name === '--template' || option.name === '--reference') && value)
      a.path(value, 'read', true, `git ${sub} ${option.name}`, env);
    if (option.name === '--separate-git-dir' && value)
      a.path(value, 'write', true, `git ${sub} ${option.name}`, env);
  }
  // Short options whose meaning depends on the subcommand, read from the raw words.
  rest.forEach((arg, k) => {
    const flag = staticValue(arg);
    const next = rest[k + 1];
    if (flag === '-x' && (sub === 'rebase' || sub === 'difftool'))
      runCode(a, gitCall, next, [], `git ${sub} -x`);
    if ((flag === '-O' || flag?.startsWith('--open-files-in-pager')) && sub === 'grep')
      a.opaque('git grep -O runs a pager program', call.text);
    if ((flag === '-c' || flag === '--config') && (sub === 'clone' || sub === 'submodule')) {
      const setting = staticValue(next);
      if (setting === undefined || GIT_DANGEROUS_CONFIG.test(setting.split('=')[0] ?? ''))
        a.opaque(`git ${sub} -c sets a configuration that can run commands`, setting ?? call.text);
    }
    if (
      flag?.startsWith('--config=') &&
      (sub === 'clone' || sub === 'submodule') &&
      GIT_DANGEROUS_CONFIG.test(flag.slice('--config='.length).split('=')[0] ?? '')
    ) {
      a.opaque(`git ${sub} --config sets a configuration that can run commands`, flag);
    }
  });
  const positional = parsed.positional;
  switch (sub) {
    case 'config': {
      const scope = parsed.options.map((option) => option.name);
      const reading =
        scope.some((name) =>
          ['--get', '--get-all', '--get-regexp', '-l', '--list', '--show-origin'].includes(name),
        ) || ['get', 'list'].includes(staticValue(positional[0]) ?? '');
      const keyIndex = staticValue(positional[0]) === 'set' ? 1 : 0;
      const key = staticValue(positional[keyIndex]);
      if (
        !reading &&
        positional.length > keyIndex + 1 &&
        (key === undefined || GIT_DANGEROUS_CONFIG.test(key))
      )
        a.opaque('git config sets a value that can run commands', call.text);
      if (!reading && scope.includes('--system'))
        a.path(field('/etc/gitconfig'), 'write', false, 'git config --system', env);
      if (!reading && scope.includes('--global'))
        for (const home of a.homeCandidates(env, ''))
          a.path(field(`${home}/.gitconfig`), 'write', false, 'git config --global', env);
      paths(
        a,
        gitCall,
        optionValues(parsed, '-f', '--file'),
        reading ? 'read' : 'write',
        false,
        'config file',
      );
      return;
    }
    case 'clone': {
      const [url, dir] = positional;
      if (url) remoteArgument(a, gitCall, url);
      if (dir) a.path(dir, 'write', true, 'git clone folder', env);
      else if (url) a.path(field(repoName(staticValue(url))), 'write', true, 'git clone folder', env);
      return;
    }
    case 'remote': {
      for (const arg of positional.slice(1))
        if (looksRemote(staticValue(arg))) remoteArgument(a, gitCall, arg);
      return;
    }
    case 'fetch':
    case 'pull':
    case 'push':
    case 'ls-remote': {
      const [remote] = positional;
      if (remote && (remote.kind === 'dynamic' || looksRemote(remote.value)))
        remoteArgument(a, gitCall, remote);
      return;
    }
    case 'submodule': {
      const action = staticValue(positional[0]);
      if (action === 'foreach') {
        const commandArgs = positional.slice(1).filter((arg) => staticValue(arg) !== '--recursive');
        const code = joinAsShell(commandArgs);
        if (code === undefined)
          a.opaque('git submodule foreach with a command that is not statically known', call.text);
        else a.runScript(code, a.childShellEnv(env, []), call.depth + 1);
      } else if (action === 'add' && positional[1]) remoteArgument(a, gitCall, positional[1]);
      return;
    }
    case 'apply':
    case 'am': {
      const patches = positional.filter((arg) => !(isStatic(arg) && arg.value.startsWith('-')));
      paths(a, gitCall, patches, 'read', false, 'patch file');
      if (!hasOption(parsed, '--stat', '--numstat', '--summary', '--check'))
        patchTargets(a, gitCall, patches.length > 0);
      return;
    }
    case 'bisect':
      if (staticValue(positional[0]) === 'run')
        runInner(a, gitCall, positional.slice(1), env, { kind: 'none' });
      return;
    case 'filter-branch':
    case 'filter-repo':
      a.opaque(`git ${sub} runs filter commands`, call.text);
      return;
    default: {
      const op: PathOp = GIT_WRITES.has(sub) ? 'write' : 'read';
      a.path(field('.'), 'read', false, `git ${sub} (repository)`, env);
      paths(a, gitCall, positional, op, op === 'write', 'path');
    }
  }
}

function looksRemote(value: string | undefined): boolean {
  if (value === undefined) return true;
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ||
    /^[^/\s]+@[^/\s:]+:/.test(value) ||
    /^[a-z0-9.-]+\.[a-z]{2,}:/i.test(value)
  );
}

function remoteArgument(a: Analyzer, call: Invocation, arg: Field): void {
  const value = staticValue(arg);
  if (value === undefined) {
    a.host(undefined, `git ${call.name} remote`);
    return;
  }
  if (/^file:\/\//i.test(value) || value.startsWith('/') || value.startsWith('.') || value.startsWith('~')) {
    a.path(field(value.replace(/^file:\/\//i, '')), 'read', true, 'git local repository', call.env);
    return;
  }
  if (/^ext::/i.test(value)) {
    a.opaque('git ext:: remote runs a command', value);
    return;
  }
  const scp = /^(?:[^@/]+@)?([^/:]+):/.exec(value);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && scp) a.host(scp[1]?.toLowerCase(), 'git remote');
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) a.host(hostOf(value), 'git remote');
  else a.path(arg, 'read', true, 'git local repository', call.env);
}

function repoName(url: string | undefined): string {
  if (!url) return '.';
  const base = url
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split(/[/:]/)
    .pop();
  return base || '.';
}

// ---------------------------------------------------------------------------------------------
// What a command prints, for the next pipeline stage (xargs, a shell reading stdin) and `$(...)`

export function producerOutput(a: Analyzer, argv: readonly Field[], stdin: Stdin, env: Env): Stdin {
  const [head, ...args] = argv;
  const name = staticValue(head)?.split('/').pop();
  const unknown: Stdin = {
    kind: 'unknown',
    text: argv.map((f) => (f.kind === 'static' ? f.value : f.text)).join(' '),
  };
  if (!name) return unknown;
  switch (name) {
    case 'echo': {
      let newline = true;
      let escapes = false;
      let index = 0;
      for (; index < args.length; index++) {
        const flag = staticValue(args[index]);
        if (!flag || !/^-[neE]+$/.test(flag)) break;
        if (flag.includes('n')) newline = false;
        if (flag.includes('e')) escapes = true;
        if (flag.includes('E')) escapes = false;
      }
      const text = joinAsShell(args.slice(index));
      if (text === undefined) return unknown;
      return { kind: 'text', text: (escapes ? decodeAnsiC(text) : text) + (newline ? '\n' : '') };
    }
    case 'printf': {
      const [format, ...values] = args;
      const formatText = staticValue(format);
      const valueTexts = values.map(staticValue);
      if (formatText === undefined || formatText === '-v' || valueTexts.some((v) => v === undefined))
        return unknown;
      const text = printf(formatText, valueTexts as string[]);
      return text === undefined ? unknown : { kind: 'text', text };
    }
    case 'pwd':
      return env.cwd?.length === 1 ? { kind: 'text', text: `${env.cwd[0]}\n` } : unknown;
    case 'cat':
    case 'tee':
    case 'sort':
    case 'uniq':
    case 'head':
    case 'tail':
      if (args.some((arg) => !(isStatic(arg) && arg.value.startsWith('-')))) return unknown;
      return stdin.kind === 'text' || stdin.kind === 'fields' ? stdin : unknown;
    case 'base64': {
      if (
        stdin.kind !== 'text' ||
        !args.some((arg) => ['-d', '--decode', '-D'].includes(staticValue(arg) ?? ''))
      )
        return unknown;
      return { kind: 'text', text: Buffer.from(stdin.text.replace(/\s+/g, ''), 'base64').toString('latin1') };
    }
    case 'rev':
      if (stdin.kind !== 'text' || args.length > 0) return unknown;
      return {
        kind: 'text',
        text: stdin.text
          .split('\n')
          .map((line) => [...line].reverse().join(''))
          .join('\n'),
      };
    case 'basename':
    case 'dirname': {
      const value = staticValue(args[0]);
      if (value === undefined || args.length !== 1) return unknown;
      const trimmed = value.replace(/\/+$/, '') || '/';
      const slash = trimmed.lastIndexOf('/');
      if (name === 'basename')
        return { kind: 'text', text: `${slash >= 0 ? trimmed.slice(slash + 1) || '/' : trimmed}\n` };
      return { kind: 'text', text: `${slash > 0 ? trimmed.slice(0, slash) : slash === 0 ? '/' : '.'}\n` };
    }
    case 'find':
    case 'gfind':
    case 'fd':
    case 'fdfind':
    case 'ls':
    case 'git':
    case 'rg': {
      const positional = args.filter((arg) => !(isStatic(arg) && arg.value.startsWith('-')));
      if (
        name === 'git' &&
        staticValue(positional[0]) !== 'ls-files' &&
        staticValue(positional[0]) !== 'diff'
      )
        return unknown;
      if (name === 'rg' && !args.some((arg) => staticValue(arg) === '--files' || staticValue(arg) === '-l'))
        return unknown;
      const starts = name === 'find' || name === 'gfind' ? positional.slice(0, 1) : [];
      const start = starts[0] ?? field('.');
      const fields: Field[] = [];
      for (const base of env.cwd ?? []) {
        const dir =
          isStatic(start) && start.glob === undefined
            ? start.value.startsWith('/')
              ? start.value
              : `${base}/${start.value}`
            : undefined;
        if (dir === undefined) return unknown;
        const glob = `${escapeGlob(dir)}/${name === 'ls' ? '*' : '**'}`;
        fields.push({
          kind: 'static',
          value: glob,
          glob,
          globDot: name !== 'ls' || args.some((arg) => /^-[a-zA-Z]*[aA]/.test(staticValue(arg) ?? '')),
        });
      }
      return fields.length > 0 ? { kind: 'fields', fields } : unknown;
    }
    default:
      void a;
      return unknown;
  }
}

/** bash printf for %s %b %c %d %i %u %x %o %%, reusing the format for extra arguments. */
function printf(format: string, values: string[]): string | undefined {
  let out = '';
  let index = 0;
  let guard = 0;
  do {
    let consumed = false;
    const rendered = decodeAnsiC(format.replace(/%%/g, '\u0001')).replace(
      /%[-+ #0]*\d*(?:\.\d+)?([sbcdiuxXo])/g,
      (_m, conversion: string) => {
        consumed = true;
        const value = values[index++] ?? '';
        switch (conversion) {
          case 's':
            return value;
          case 'b':
            return decodeAnsiC(value);
          case 'c':
            return value.slice(0, 1);
          case 'x':
            return (Number.parseInt(value, 10) || 0).toString(16);
          case 'X':
            return (Number.parseInt(value, 10) || 0).toString(16).toUpperCase();
          case 'o':
            return (Number.parseInt(value, 10) || 0).toString(8);
          default:
            return String(Number.parseInt(value, 10) || 0);
        }
      },
    );
    out += rendered.replaceAll(String.fromCharCode(1), '%');
    if (!consumed) break;
  } while (index < values.length && ++guard < 64);
  return out;
}

export const PROGRAMS: ProgramTable = createProgramTable([family], generic);
