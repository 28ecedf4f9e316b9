import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compilePolicy,
  createShellParser,
  type EvaluationContext,
  evaluate,
  parsePolicy,
  type ShellParser,
  starterPolicy,
} from '@ceros/policy';
import { readdirEntries } from './readdir.ts';
import { realpathDeepest } from './realpath.ts';

// A real home on disk: ~/.ssh/id_rsa, a project with a symlinked folder keys -> ~/.ssh.
let root: string;
let home: string;
let project: string;
let shell: ShellParser;

beforeAll(async () => {
  root = realpathDeepest(mkdtempSync(join(tmpdir(), 'ceros-readdir-')));
  home = join(root, 'home');
  project = join(home, 'project');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'id_rsa'), 'not a real key\n', { mode: 0o600 });
  mkdirSync(join(project, 'src'), { recursive: true, mode: 0o700 });
  writeFileSync(join(project, 'src', 'index.ts'), 'export {};\n', { mode: 0o600 });
  symlinkSync(join(home, '.ssh'), join(project, 'keys'));
  shell = await createShellParser();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('readdirEntries()', () => {
  test('lists names with their own kind, a symlink as a symlink', () => {
    const entries = readdirEntries(project) ?? [];
    expect(entries.map((entry) => `${entry.name}:${entry.kind}`).sort()).toEqual(['keys:symlink', 'src:dir']);
  });

  test('lists the target of a symlinked folder', () => {
    expect(readdirEntries(join(project, 'keys'))?.map((entry) => entry.name)).toEqual(['id_rsa']);
  });

  test('answers undefined for a file or a missing folder', () => {
    expect(readdirEntries(join(project, 'src', 'index.ts'))).toBeUndefined();
    expect(readdirEntries(join(project, 'missing'))).toBeUndefined();
  });
});

describe('evaluate() with the real realpath and readdir', () => {
  const baseline = () => {
    const parsed = parsePolicy(starterPolicy('baseline'));
    if (!parsed.ok) throw new Error('baseline starter is invalid');
    return compilePolicy(parsed.value);
  };
  const decide = (command: string) => {
    const ctx: EvaluationContext = {
      home,
      cerosHome: join(home, '.ceros'),
      cerosBinary: '/usr/local/bin/ceros',
      realpath: realpathDeepest,
      readdir: readdirEntries,
      shell,
    };
    return evaluate(
      baseline(),
      { toolName: 'Bash', toolInput: { command }, cwd: project, projectDir: project },
      ctx,
    );
  };

  test('denies a glob that reaches ~/.ssh through a symlinked folder below its prefix', () => {
    const decision = decide('cat */id_rsa');
    expect(decision.effect).toBe('deny');
    expect(decision.rule).toBe('ssh-keys');
  });

  test('denies grep -R, which follows the symlink, and allows grep -r, which does not', () => {
    expect(decide('grep -R PRIVATE .').effect).toBe('deny');
    expect(decide('grep -r PRIVATE .').effect).toBe('allow');
  });

  test('allows globs that only match project files', () => {
    expect(decide('cat src/*.ts').effect).toBe('allow');
    expect(decide('du -sh *').effect).toBe('allow');
  });
});
