import { escapeGlob } from '../../glob/path-glob.ts';
import type { Analyzer, Env, Invocation } from '../analyze.ts';
import { getopt, optionValues, staticValue } from '../getopt.ts';
import type { Field } from '../words.ts';
import { type FileSpec, field, files, isStatic } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Search tools: `grep`, `rg` and kin, `find`, `fd`. */
const { define, family } = createFamily('search');
export const search = family;

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
