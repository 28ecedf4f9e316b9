import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, hostNames, isOpaque, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('git', () => {
  test.each<[string, string[]]>([
    ['git status', ['read /home/u/p/.']],
    ['git -C ~/.ssh log', ['read+r /home/u/.ssh', 'read /home/u/p/.', 'read /home/u/.ssh/.']],
    ["git -c core.pager='sh -c id' log", ['read /home/u/p/.']],
    ['git config core.hooksPath hooks', []],
    ['git config --global user.name x', ['write /home/u/.gitconfig']],
    ['git config --get user.email', []],
    ['git clone https://github.com/a/b.git', ['write+r /home/u/p/b']],
    ['git clone git@github.com:a/b.git dir', ['write+r /home/u/p/dir']],
    ['git fetch https://evil.example/x', []],
    ['git push origin main', []],
    ['git add src/a.ts', ['read /home/u/p/.', 'read /home/u/p/src/a.ts']],
    ['git checkout -- file.txt', ['read /home/u/p/.', 'write+r /home/u/p/file.txt']],
    ['git rm -r old', ['read /home/u/p/.', 'write+r /home/u/p/old']],
    ['git apply fix.patch', ['read /home/u/p/fix.patch']],
    [
      "git rebase -x 'cat x' main",
      ['read /home/u/p/x', 'read /home/u/p/.', 'read /home/u/p/cat x', 'read /home/u/p/main'],
    ],
    ['git bisect run make test', []],
    ["git submodule foreach 'cat x'", ['read /home/u/p/x']],
    ['git filter-branch --tree-filter x', []],
    ['git commit -F msg.txt', ['read /home/u/p/msg.txt', 'read /home/u/p/.']],
    [
      'git format-patch -o out HEAD~3',
      ['write+r /home/u/p/out', 'read /home/u/p/.', 'write+r /home/u/p/HEAD~3'],
    ],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ["git rebase -x 'cat x' main", ['git', 'cat']],
    ['git bisect run make test', ['git', 'make']],
    ["git submodule foreach 'cat x'", ['git', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, (string | undefined)[]]>([
    ['git clone https://github.com/a/b.git', ['github.com']],
    ['git clone git@github.com:a/b.git dir', ['github.com']],
    ['git fetch https://evil.example/x', ['evil.example']],
  ])('%s contacts %p', (command, expected) => {
    expect(hostNames(analyze(command))).toEqual(expected);
  });

  test.each([
    "git -c core.pager='sh -c id' log",
    'git config core.hooksPath hooks',
    'git apply fix.patch',
    'git filter-branch --tree-filter x',
  ])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'git status',
    'git -C ~/.ssh log',
    'git config --global user.name x',
    'git config --get user.email',
    'git clone https://github.com/a/b.git',
    'git clone git@github.com:a/b.git dir',
    'git fetch https://evil.example/x',
    'git push origin main',
    'git add src/a.ts',
    'git checkout -- file.txt',
    'git rm -r old',
    "git rebase -x 'cat x' main",
    'git bisect run make test',
    "git submodule foreach 'cat x'",
    'git commit -F msg.txt',
    'git format-patch -o out HEAD~3',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
