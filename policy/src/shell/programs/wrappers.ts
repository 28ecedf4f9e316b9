import type { Analyzer, Handler, Invocation } from '../analyze.ts';
import { CODE_ENV } from '../code-env.ts';
import { getopt, hasOption, type OptionSpec, optionValues, type ParsedArgs, staticValue } from '../getopt.ts';
import type { Field } from '../words.ts';
import {
  field,
  isStatic,
  joinAsShell,
  paths,
  quoteForShell,
  runCode,
  runInner,
  runValue,
  shellStdin,
} from './helpers.ts';
import { createFamily } from './registry.ts';

/** Programs that run another command: `env`, `sudo`, `su`, `nice`, `timeout`, `watch`, `flock`, `xargs`... */
const { define, family } = createFamily('wrappers');
export const wrappers = family;

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
  // `flock FILE -c CODE`: the options may follow the lock file.
  const code = staticValue(rest[0]);
  if (code === '-c' || code === '--command') return runCode(a, call, rest[1], [], 'flock -c');
  if (rest.length > 0) runInner(a, call, rest);
});

// Programs that run the command after their options, like nice does.
define('ssh-agent', wrapper({ short: 'aEtP' }));
define('prlimit', wrapper({ short: 'po', long: ['pid', 'output'] }));
define([
  'dbus-launch',
  'eatmydata',
  'chronic',
  'ifne',
  'linux32',
  'linux64',
  'cgexec',
  'numactl',
  'torify',
], wrapper({ short: 'gmNCpPi', long: ['membind', 'cpunodebind', 'physcpubind', 'interleave', 'preferred'] }));
define(
  'setarch',
  wrapper({}, () => 1),
);
define(
  'faketime',
  wrapper({ short: 'f' }, (parsed) => (hasOption(parsed, '-f') ? 0 : 1)),
);
define(
  'sshpass',
  wrapper(
    { short: 'pfde', long: [] },
    () => 0,
    (a, call, parsed) => {
      paths(a, call, optionValues(parsed, '-f'), 'read', false, 'password file');
    },
  ),
);
define('cross-env', (a, call) => {
  const index = call.args.findIndex((arg) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(staticValue(arg) ?? '='));
  for (const arg of call.args.slice(0, index < 0 ? undefined : index)) {
    const name = (staticValue(arg) ?? '').split('=')[0] ?? '';
    if (CODE_ENV.test(name)) a.opaque(`sets ${name}, which makes programs load or run other code`, call.text);
  }
  if (index >= 0) runInner(a, call, call.args.slice(index));
});
// Each word is a whole command line (`hyperfine 'make -j4'`, `concurrently "npm:watch" "tsc -w"`).
define(['hyperfine', 'concurrently', 'npm-run-all', 'run-p', 'run-s'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'wrmMpSnNsckPLI',
    long: [
      'prepare',
      'setup',
      'cleanup',
      'conclude',
      'names',
      'prefix',
      'warmup',
      'runs',
      'parameter-list',
      'kill-others-on-fail',
      'success',
      'export-json',
      'export-markdown',
    ],
  });
  for (const option of parsed.options)
    if (
      ['--prepare', '--setup', '--cleanup', '--conclude', '-p'].includes(option.name) &&
      call.name === 'hyperfine'
    )
      runValue(a, call, option.value, `${call.name} ${option.name}`);
  for (const command of parsed.positional) {
    if (isStatic(command) && /^npm:/.test(command.value)) continue;
    if (call.name === 'npm-run-all' || call.name === 'run-p' || call.name === 'run-s') continue;
    runValue(a, call, command, call.name);
  }
});
define(['nodemon', 'watchexec', 'entr', 'chokidar'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'xwe',
    long: ['exec', 'watch', 'ext', 'ignore', 'delay', 'signal', 'shell'],
  });
  for (const command of optionValues(parsed, '-x', '--exec'))
    runValue(a, call, command, `${call.name} --exec`);
  // `watchexec -- CMD`, `entr CMD`: the words after the options.
  const rest = getopt(call.args, {
    short: 'xwe',
    long: ['exec', 'watch', 'ext', 'ignore', 'delay', 'signal', 'shell'],
    stopAtPositional: true,
  }).positional;
  if (call.name === 'entr' || call.name === 'watchexec') {
    if (rest.length > 0) runInner(a, call, rest);
  } else paths(a, call, parsed.positional, 'read', false, 'script');
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
