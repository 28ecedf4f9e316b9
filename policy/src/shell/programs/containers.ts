import type { Analyzer, Invocation } from '../analyze.ts';
import { getopt, optionValues, staticValue } from '../getopt.ts';
import { field, isStatic, paths } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Container engines: `docker`, `podman`, `nerdctl`, `finch` (bind mounts, build contexts, `cp`). */
const { define, family } = createFamily('containers');
export const containers = family;

define(['docker', 'podman', 'nerdctl', 'finch'], (a, call) => dockerHandler(a, call));

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
