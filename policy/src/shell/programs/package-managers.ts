import { getopt, optionValues, staticValue } from '../getopt.ts';
import { devTool, joinAsShell, paths, runCode } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Package managers that run scripts and packages: `npm`, `pnpm`, `yarn`, `npx`. */
const { define, family } = createFamily('package-managers');
export const packageManagers = family;

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
