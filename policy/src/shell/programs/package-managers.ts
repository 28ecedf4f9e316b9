import { getopt, type OptionSpec, optionValues, staticValue } from '../getopt.ts';
import { devTool, joinAsShell, paths, runCode, runInner, subcommandRunner } from './helpers.ts';
import { createFamily } from './registry.ts';

/**
 * Package and environment managers that run scripts, packages and commands: `npm`, `pnpm`,
 * `yarn`, `npx`, `bunx`, and the `run`/`exec` of `uv`, `poetry`, `bundle`, `conda`, `nix`...
 */
const { define, family } = createFamily('package-managers');
export const packageManagers = family;

define(['npx', 'pnpx'], (a, call) => {
  const parsed = getopt(call.args, {
    short: 'cp',
    long: ['call', 'package', 'prefix', 'cache', 'userconfig'],
  });
  for (const command of optionValues(parsed, '-c', '--call'))
    runCode(a, call, command, [], `${call.name} -c`);
  // `npx PKG ARGS`: the package's program runs with the words after it.
  const command = getopt(call.args, { ...NPX_OPTIONS, stopAtPositional: true }).positional;
  if (command.length > 0 && optionValues(parsed, '-c', '--call').length === 0) runInner(a, call, command);
});
const NPX_OPTIONS: OptionSpec = { short: 'cp', long: ['call', 'package', 'prefix', 'cache', 'userconfig'] };
define('bunx', (a, call) => {
  const command = getopt(call.args, {
    long: ['package', 'bun-version'],
    short: 'p',
    stopAtPositional: true,
  }).positional;
  if (command.length > 0) runInner(a, call, command);
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
  // `npm exec CMD`, `npm x`, `pnpm exec`, `pnpm dlx`, `yarn exec`, `yarn dlx`: CMD runs as given.
  const words = call.args;
  const at = words.findIndex((word) => /^(?:exec|x|dlx)$/.test(staticValue(word) ?? ''));
  if (
    at >= 0 &&
    staticValue(sub) === staticValue(words[at]) &&
    optionValues(parsed, '-c', '--call').length === 0
  ) {
    const command = getopt(words.slice(at + 1), {
      short: 'p',
      long: ['package', 'workspace', 'filter', 'call'],
      stopAtPositional: true,
    }).positional;
    if (command.length > 0) return runInner(a, call, command);
  }
  devTool(a, { ...call, args: parsed.positional });
});

/** `tool run CMD`, `tool exec CMD`: the command after the subcommand's options runs. */
define(['uv', 'poetry', 'pipenv', 'pdm', 'hatch', 'rye', 'devbox', 'pixi'], subcommandRunner({
  run: {
    spec: {
      short: 'pew',
      long: ['with', 'python', 'package', 'env-file', 'directory', 'project', 'group', 'extra'],
    },
  },
  exec: {},
}));
define('uvx', (a, call) => {
  const command = getopt(call.args, { long: ['from', 'with', 'python'], stopAtPositional: true }).positional;
  if (command.length > 0) runInner(a, call, command);
});
define(['bundle', 'bundler', 'rbenv', 'pyenv', 'nodenv', 'goenv', 'asdf'], subcommandRunner({ exec: {} }));
define(['mise', 'rtx'], subcommandRunner({ exec: {}, x: {}, run: {} }));
define(['conda', 'mamba', 'micromamba'], subcommandRunner({
  run: { spec: { short: 'np', long: ['name', 'prefix', 'cwd'] } },
}));
// direnv exec DIR CMD, op run -- CMD, doppler run -- CMD, aws-vault exec PROFILE -- CMD.
define('direnv', subcommandRunner({ exec: { skip: 1 } }));
define(['op', 'doppler', 'infisical', 'teller', 'chamber'], subcommandRunner({
  run: { spec: { long: ['env-file', 'project', 'config', 'env', 'token'] } },
  exec: {},
}));
define('aws-vault', subcommandRunner({ exec: { skip: 1 } }));
define(['nix', 'nix-shell', 'nix-env'], (a, call) => {
  // nix-shell --run/--command CODE, nix develop -c CMD, nix shell PKG -c CMD.
  const args = call.args;
  for (let k = 0; k < args.length; k++) {
    const flag = staticValue(args[k]);
    if ((flag === '--run' || flag === '--command') && call.name === 'nix-shell')
      return runCode(a, call, args[k + 1], [], `nix-shell ${flag}`);
    if ((flag === '-c' || flag === '--command') && call.name === 'nix')
      return runInner(a, call, args.slice(k + 1));
  }
  devTool(a, call);
});
