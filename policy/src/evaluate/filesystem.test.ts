import { beforeAll, describe, expect, test } from 'bun:test';
import { parsePolicy } from '../document/parse-policy.ts';
import { compilePathGlob } from '../glob/path-glob.ts';
import { createFakeReaddir, type ReaddirFn } from '../paths/readdir.ts';
import { createFakeRealpath } from '../paths/resolve.ts';
import { createShellParser, type ShellParser } from '../shell/parser.ts';
import { starterPolicy } from '../starters/starters.ts';
import type { EvaluationContext } from '../types.ts';
import { compilePolicy } from './compile-policy.ts';
import { evaluate } from './evaluate.ts';
import { expandGlob, linksBelow, MAX_LISTED_ENTRIES } from './filesystem.ts';

const links = { '/h/p/keys': '/h/.ssh', '/h/p/loop': '/h/p', '/h/p/src/key.txt': '/h/.ssh/id_rsa' };
const files = [
  '/h/.ssh/id_rsa',
  '/h/.ssh/config',
  '/h/p/src/a.ts',
  '/h/p/src/.hidden.ts',
  '/h/p/src/deep/b.ts',
];
const readdir = createFakeReaddir(files, links);
const realpath = createFakeRealpath(links);
const budget = () => ({ entries: MAX_LISTED_ENTRIES });
const expand = (glob: string) =>
  expandGlob(compilePathGlob(glob, { shell: true }), readdir, budget()).paths.sort();

describe('createFakeReaddir()', () => {
  test('lists files, folders and links, and a folder reached through a link', () => {
    expect(
      readdir('/h/p')
        ?.map((entry) => `${entry.name}:${entry.kind}`)
        .sort(),
    ).toEqual(['keys:symlink', 'loop:symlink', 'src:dir']);
    expect(
      readdir('/h/p/keys')
        ?.map((entry) => entry.name)
        .sort(),
    ).toEqual(['config', 'id_rsa']);
    expect(readdir('/h/p/src/a.ts')).toBeUndefined();
  });
});

describe('expandGlob()', () => {
  test('matches names like bash: no dotfiles for *, literal segments appended', () => {
    expect(expand('/h/p/src/*.ts')).toEqual(['/h/p/src/a.ts']);
    expect(expand('/h/p/src/*.txt')).toEqual(['/h/p/src/key.txt']);
    expect(expand('/h/p/*/id_rsa')).toEqual(['/h/p/keys/id_rsa', '/h/p/loop/id_rsa', '/h/p/src/id_rsa']);
  });

  test('descends ** through folders but not through links', () => {
    expect(expand('/h/p/**/*.ts')).toEqual(['/h/p/src/a.ts', '/h/p/src/deep/b.ts']);
  });

  test('reports a folder it cannot list, and a listing past the budget', () => {
    const missing = expandGlob(compilePathGlob('/h/none/*', { shell: true }), readdir, budget());
    expect(missing).toEqual({ paths: [], truncated: false, listed: false });
    const tight = expandGlob(compilePathGlob('/h/p/*/*', { shell: true }), readdir, { entries: 2 });
    expect(tight.truncated).toBe(true);
  });
});

describe('linksBelow()', () => {
  test('finds every link a link-following recursion meets, and stops at loops', () => {
    expect(linksBelow('/h/p', readdir, realpath, budget()).paths.sort()).toEqual([
      '/h/p/keys',
      '/h/p/loop',
      '/h/p/src/key.txt',
    ]);
  });
});

describe('evaluate() with a readdir', () => {
  let shell: ShellParser;
  beforeAll(async () => {
    shell = await createShellParser();
  });
  const starter = (name: 'baseline' | 'strict') => {
    const parsed = parsePolicy(starterPolicy(name));
    if (!parsed.ok) throw new Error(`${name} starter is invalid`);
    return compilePolicy(parsed.value);
  };
  const context = (listing: ReaddirFn): EvaluationContext => ({
    home: '/h',
    cerosHome: '/h/.ceros',
    cerosBinary: '/usr/local/bin/ceros',
    realpath,
    readdir: listing,
    shell,
  });
  const bash = (command: string) => ({
    toolName: 'Bash',
    toolInput: { command },
    cwd: '/h/p',
    projectDir: '/h/p',
  });

  test('a glob that matches more names than ceros lists is opaque: strict denies, baseline asks', () => {
    const huge: ReaddirFn = (path) =>
      path === '/h/p/src'
        ? Array.from({ length: MAX_LISTED_ENTRIES + 1 }, (_, k) => ({
            name: `f${k}.ts`,
            kind: 'file' as const,
          }))
        : readdir(path);
    const strict = evaluate(starter('strict'), bash('cat src/*.ts'), context(huge));
    expect(strict).toMatchObject({ effect: 'deny', rule: 'opaque', opaque: true });
    expect(evaluate(starter('baseline'), bash('cat src/*.ts'), context(huge)).effect).toBe('ask');
  });

  test('a program opening find results follows the file symlinks among them, by name', () => {
    expect(evaluate(starter('baseline'), bash('find src -exec cat {} +'), context(readdir)).rule).toBe(
      'ssh-keys',
    );
    expect(
      evaluate(starter('baseline'), bash("find src -name '*.ts' | xargs cat"), context(readdir)).effect,
    ).toBe('allow');
    // git lists what it tracks; its names are not looked up on disk.
    expect(evaluate(starter('baseline'), bash('git ls-files src | xargs cat'), context(readdir)).effect).toBe(
      'allow',
    );
  });

  test('a readdir that throws fails closed', () => {
    const broken: ReaddirFn = () => {
      throw new Error('EIO');
    };
    expect(evaluate(starter('baseline'), bash('cat src/*.ts'), context(broken))).toMatchObject({
      effect: 'deny',
      rule: 'internal-error',
    });
  });

  test('a glob whose folder is written earlier in the same command is still checked as a pattern', () => {
    // `*v` matches no file in src, but could match a `prod.env` that tar x creates before it expands.
    expect(evaluate(starter('baseline'), bash('cat src/*v'), context(readdir)).effect).toBe('allow');
    expect(evaluate(starter('baseline'), bash('tar xf a.tar && cat src/*v'), context(readdir)).effect).toBe(
      'deny',
    );
    expect(evaluate(starter('baseline'), bash('cat src/*'), context(readdir)).rule).toBe('ssh-keys');
  });
});
