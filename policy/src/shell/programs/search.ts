import { expandBraces } from '../../glob/braces.ts';
import { escapeGlob } from '../../glob/path-glob.ts';
import type { Analyzer, Env, Invocation } from '../analyze.ts';
import type { PathMarks } from '../facts.ts';
import { getopt, hasOption, optionValues, type ParsedArgs, staticValue } from '../getopt.ts';
import type { Field } from '../words.ts';
import { type FileSpec, field, files, isStatic } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Search tools: `grep`, `rg` and kin, `find`, `fd`. */
const { define, family } = createFamily('search');
export const search = family;

const grepSpec: FileSpec = {
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
  followWith: ['-R', '--dereference-recursive'],
  optionPaths: { '-f': 'read', '--file': 'read', '--exclude-from': 'read', '--include-from': 'read' },
};
define(['grep', 'egrep', 'fgrep', 'zgrep', 'ugrep'], (a, call) => {
  files(grepSpec)(a, call);
  const parsed = getopt(call.args, grepSpec);
  if (hasOption(parsed, '-r', '-R', '--recursive', '--dereference-recursive'))
    includeFilters(a, call, parsed, grepSpec, optionValues(parsed, '--include'), false);
});

/**
 * `--include=.env`, `-g .env`: the search reads the files of that name below each root, which is
 * what a deny rule on `**\/.env` is about even though a plain recursive search is not counted
 * against it (`grep -r TODO .` stays allowed).
 */
function includeFilters(
  a: Analyzer,
  call: Invocation,
  parsed: ParsedArgs,
  spec: FileSpec,
  filters: readonly Field[],
  nocase: boolean,
): void {
  if (filters.length === 0) return;
  const skip = spec.skipUnless && hasOption(parsed, ...spec.skipUnless) ? 0 : (spec.skip ?? 0);
  const roots = parsed.positional.slice(skip);
  for (const filter of filters) {
    const name = staticValue(filter);
    if (name === undefined || name.startsWith('!')) continue;
    for (const root of roots.length > 0 ? roots : [field('.')])
      for (const alternative of expandBraces(name) ?? [name])
        a.search(
          root,
          alternative.replace(/^(?:\*\*\/)+/, ''),
          'read',
          `${call.name} ${name} filter`,
          call.env,
          false,
          nocase,
        );
  }
}
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
    followWith: ['-L', '--follow'],
    optionPaths: { '-f': 'read', '--file': 'read', '--ignore-file': 'read' },
  };
  const parsed = getopt(call.args, spec);
  for (const pre of optionValues(parsed, '--pre'))
    a.opaque('rg --pre runs a program on every file', staticValue(pre) ?? call.text);
  files(spec)(a, call);
  includeFilters(a, call, parsed, spec, optionValues(parsed, '-g', '--glob'), false);
  includeFilters(a, call, parsed, spec, optionValues(parsed, '--iglob'), true);
});
define(['find', 'gfind'], (a, call) => findHandler(a, call));
const fdSpec: FileSpec = {
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
  followWith: ['-L', '--follow'],
};
// fd -x/-X runs the rest of the words as a command for its results (all words after it are the command).
define(['fd', 'fdfind'], (a, call) => {
  const at = call.args.findIndex((arg) => /^(?:-x|-X|--exec|--exec-batch)$/.test(staticValue(arg) ?? ''));
  const own = at >= 0 ? call.args.slice(0, at) : call.args;
  files(fdSpec)(a, { ...call, args: own });
  if (at < 0) return;
  const parsed = getopt(own, fdSpec);
  const roots = parsed.positional.slice(1);
  const command = call.args.slice(at + 1).filter((arg) => staticValue(arg) !== ';');
  for (const root of roots.length > 0 ? roots : [field('.')]) {
    const results = findResults(root, undefined, call.env);
    const argv = command.some((arg) => isStatic(arg) && arg.value.includes('{'))
      ? command.map((arg) => (isStatic(arg) && /^\{[/.]*\}$/.test(arg.value) ? results : arg))
      : [...command, results];
    if (argv.length > 0)
      a.runArgv(
        argv,
        call.env,
        { kind: 'none' },
        [...call.via, `fd ${staticValue(call.args[at])}`],
        call.text,
        call.depth + 1,
      );
  }
});

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
  const follows = args
    .slice(0, index)
    .concat(expression)
    .some((arg) => ['-L', '-follow'].includes(staticValue(arg) ?? ''));
  // Without -L (or -H) find does not follow a symlink it is given, nor those it meets.
  const marks: PathMarks = follows
    ? { followsLinks: true }
    : args.slice(0, index).some((arg) => staticValue(arg) === '-H')
      ? {}
      : { noFollow: true };
  for (const start of starts) a.path(start, 'read', true, 'find start', call.env, false, marks);
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
        a.path(findResults(start, escapedName, call.env), 'write', true, 'find -delete', call.env, false, {
          deletes: true,
        });
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
