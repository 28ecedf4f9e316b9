import type { Analyzer, Invocation } from '../analyze.ts';
import { getopt, hasOption, optionValues, staticValue } from '../getopt.ts';
import { field, files, paths } from './helpers.ts';
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
