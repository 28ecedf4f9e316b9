import { getopt, hasOption, optionValues, staticValue } from '../getopt.ts';
import { isStatic, joinAsShell, none, runCode, runInner, shellScript } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Shell builtins and commands without file effects: `cd`, `pushd`, `source`, `eval`, `trap`, `alias`, `read`, `shopt`, `exec`, `command`... */
const { define, family } = createFamily('builtins');
export const builtins = family;

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
