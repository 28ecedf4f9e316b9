import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

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

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['node -r ./setup.js app.js', ['read /home/u/p/./setup.js', 'read /home/u/p/app.js']],
    ['node --env-file=.env app.js', ['read /home/u/p/.env', 'read /home/u/p/app.js']],
    ['node --import data:text/javascript,1 app.js', ['read /home/u/p/app.js']],
    ['node --import tsx app.ts', ['read /home/u/p/app.ts']],
    ['php -d auto_prepend_file=x.php -r 1', ['read /home/u/p/x.php']],
    ["perl '-MFoo;system(1)' x.pl", ['read /home/u/p/x.pl']],
    ['ruby -r ./x.rb y.rb', ['read /home/u/p/./x.rb', 'read /home/u/p/y.rb']],
    ['bun x cat x', ['read /home/u/p/x']],
    ['bun --env-file=.env run dev', ['read /home/u/p/.env', 'any /home/u/p/.env']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([['bun x cat x', ['bun', 'cat']]])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, boolean]>([
    ['node -r ./setup.js app.js', false],
    ['node --env-file=.env app.js', false],
    ['node --import data:text/javascript,1 app.js', true],
    ['node --import tsx app.ts', false],
    ['php -d auto_prepend_file=x.php -r 1', true],
    ["perl '-MFoo;system(1)' x.pl", true],
    ['ruby -r ./x.rb y.rb', false],
    ['bun x cat x', false],
    ['bun --env-file=.env run dev', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
