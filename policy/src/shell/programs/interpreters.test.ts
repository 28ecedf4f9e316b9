import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('shells and interpreters (bash, python, node, perl, ruby, php, deno, bun)', () => {
  test.each<[string, string[]]>([
    ["bash -c 'cat ~/.ssh/id_rsa'", ['read /home/u/.ssh/id_rsa']],
    ['sh script.sh arg', ['read /home/u/p/script.sh']],
    ['bash -s < install.sh', ['read /home/u/p/install.sh', 'read /home/u/p/install.sh']],
    ['zsh -c "$CODE"', []],
    ["python3 -c 'print(1)'", []],
    ['python3 -m pytest tests', ['any /home/u/p/tests']],
    ['python3 manage.py runserver', ['read /home/u/p/manage.py']],
    ["node -e 'console.log(1)'", []],
    ['node server.js', ['read /home/u/p/server.js']],
    ["perl -pi -e 's/a/b/' file.txt", ['any /home/u/p/file.txt']],
    ["ruby -e 'puts 1'", []],
    ["php -r 'echo 1;'", []],
    ['deno run main.ts', ['read /home/u/p/main.ts']],
    ["deno eval 'console.log(1)'", []],
    ['bun run build', []],
    ['bun ./scripts/x.ts', ['read /home/u/p/./scripts/x.ts']],
    ["bun exec 'cat x'", ['read /home/u/p/x']],
    ["fish -c 'cat x'", []],
    ['lua script.lua', ['read /home/u/p/script.lua']],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ["bash -c 'cat ~/.ssh/id_rsa'", ['bash', 'cat']],
    ["bun exec 'cat x'", ['bun', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each([
    'zsh -c "$CODE"',
    "python3 -c 'print(1)'",
    "node -e 'console.log(1)'",
    "perl -pi -e 's/a/b/' file.txt",
    "ruby -e 'puts 1'",
    "php -r 'echo 1;'",
    "deno eval 'console.log(1)'",
    "fish -c 'cat x'",
  ])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    "bash -c 'cat ~/.ssh/id_rsa'",
    'sh script.sh arg',
    'bash -s < install.sh',
    'python3 -m pytest tests',
    'python3 manage.py runserver',
    'node server.js',
    'deno run main.ts',
    'bun run build',
    'bun ./scripts/x.ts',
    "bun exec 'cat x'",
    'lua script.lua',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
