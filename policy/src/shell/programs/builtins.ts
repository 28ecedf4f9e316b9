import { getopt, hasOption, optionValues, staticValue } from '../getopt.ts';
import type { Field } from '../words.ts';
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
  'help',
  'clear',
  'tput',
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
], none);
define('enable', (a, call) => {
  if (call.args.some((arg) => /^-[a-zA-Z]*f/.test(staticValue(arg) ?? '')))
    a.opaque('enable -f loads a builtin from a shared library', call.text);
});

// Builtins with effects on the shell state

const cdTarget = (args: readonly Field[]) =>
  args.find((arg) => !(isStatic(arg) && /^-[LPe@n]+$/.test(arg.value)));
define(['cd', 'chdir'], (a, call) => a.setCwd(call.env, cdTarget(call.args)));
define('pushd', (a, call) => a.pushd(call.env, cdTarget(call.args)));
define('popd', (a, call) => a.popd(call.env));
define('dirs', (_a, call) => {
  if (call.args.some((arg) => staticValue(arg) === '-c')) call.env.dirStack = [];
});
define('hash', (a, call) => {
  const parsed = getopt(call.args, { short: 'pd', long: [] });
  if (hasOption(parsed, '-r')) call.env.hashed.clear();
  for (const name of optionValues(parsed, '-d')) {
    const value = staticValue(name);
    if (value) call.env.hashed.delete(value);
  }
  const [program] = optionValues(parsed, '-p');
  if (!program) return;
  for (const name of parsed.positional) {
    const value = staticValue(name);
    if (value === undefined) a.opaque('hash -p names a command that is not statically known', call.text);
    else call.env.hashed.set(value, program);
  }
});
// Array subscripts in arithmetic are expanded when evaluated: `let 'a[$(id)]=1'` runs id.
define('let', (a, call) => {
  for (const arg of call.args)
    if (!isStatic(arg) || /\$\(|`|\$\{/.test(arg.value))
      a.opaque('let evaluates an expression that can run commands', isStatic(arg) ? arg.value : arg.text);
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
  // `mapfile -C CALLBACK` evaluates the callback as shell code for every chunk of lines.
  if (call.name === 'mapfile' || call.name === 'readarray')
    for (const callback of optionValues(parsed, '-C')) runCode(a, call, callback, [], `${call.name} -C`);
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
  const setting = hasOption(parsed, '-s') ? true : hasOption(parsed, '-u') ? false : undefined;
  if (setting === undefined) return;
  for (const arg of parsed.positional) {
    const option = staticValue(arg);
    if (option === undefined) a.opaque('shopt changes an option that is not statically known', call.text);
    // Turning an option off is ignored for dotglob: matching more names is the safe side.
    else if (option === 'dotglob') call.env.dotglob ||= setting;
    else if (option === 'nocaseglob') call.env.nocaseglob ||= setting;
  }
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
