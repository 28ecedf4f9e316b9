import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('search tools (grep, rg, find, fd)', () => {
  test.each<[string, string[]]>([
    ['grep -r TODO src', ['read+r /home/u/p/src']],
    ['grep -e foo -f patterns.txt file.txt', ['read /home/u/p/patterns.txt', 'read /home/u/p/file.txt']],
    ['grep foo', []],
    ['rg -n TODO', ['read+r /home/u/p/.']],
    ["rg --pre 'sh -c cat' x", ['read+r /home/u/p/.']],
    ["find . -name '*.ts'", ['read+r /home/u/p/.']],
    [
      'find src -newer stamp -delete',
      ['read+r /home/u/p/src', 'read /home/u/p/stamp', 'write+r /home/u/p/src'],
    ],
    ['find . -exec cat {} +', ['read+r /home/u/p/.', 'read+r /home/u/p/.']],
    ['find / -fprint out.txt', ['read+r /', 'write /home/u/p/out.txt']],
    ['fd -e ts', ['read+r /home/u/p/.']],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([['find . -exec cat {} +', ['find', 'cat']]])(
    '%s runs %p',
    (command, expected) => {
      expect(programNames(analyze(command))).toEqual(expected);
    },
  );

  test.each(["rg --pre 'sh -c cat' x"])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'grep -r TODO src',
    'grep -e foo -f patterns.txt file.txt',
    'grep foo',
    'rg -n TODO',
    "find . -name '*.ts'",
    'find src -newer stamp -delete',
    'find . -exec cat {} +',
    'find / -fprint out.txt',
    'fd -e ts',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['grep -R x .', ['read+r /home/u/p/. [follows links]']],
    ['grep -r --include=.env x .', ['read+r /home/u/p/.', 'read+r files named .env below /home/u/p/.']],
    [
      "grep -r --include='*.{ts,env}' x src",
      [
        'read+r /home/u/p/src',
        'read+r files named *.ts below /home/u/p/src',
        'read+r files named *.env below /home/u/p/src',
      ],
    ],
    ['rg -g .env x', ['read+r /home/u/p/.', 'read+r files named .env below /home/u/p/.']],
    ["rg --iglob '.ENV' x", ['read+r /home/u/p/.', 'read+r files named .ENV below /home/u/p/.']],
    ["rg -g '!*.md' x", ['read+r /home/u/p/.']],
    ['find -L . -name x', ['read+r /home/u/p/. [follows links]']],
    [
      'find . -name .env -exec cat {} +',
      ['read+r /home/u/p/. [no-follow]', 'read+r files named .env below /home/u/p/.', 'read+r /home/u/p/.'],
    ],
    [
      "find . -name '*.log' -delete",
      [
        'read+r /home/u/p/. [no-follow]',
        'write+r files named *.log below /home/u/p/.',
        'write glob /home/u/p/./**/*.log (dotfiles) [deletes, protection only]',
        'write+r /home/u/p/.',
      ],
    ],
    ['find . -delete', ['read+r /home/u/p/. [no-follow]', 'write+r /home/u/p/. [deletes]']],
    ['fd id_rsa ~ -x cat', ['read+r /home/u', 'read+r /home/u']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ['find . -name .env -exec cat {} +', ['find', 'cat']],
    ['fd id_rsa ~ -x cat', ['fd', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, boolean]>([
    ['grep -R x .', false],
    ['grep -r --include=.env x .', false],
    ["grep -r --include='*.{ts,env}' x src", false],
    ['rg -g .env x', false],
    ["rg --iglob '.ENV' x", false],
    ["rg -g '!*.md' x", false],
    ['find -L . -name x', false],
    ['find . -name .env -exec cat {} +', false],
    ["find . -name '*.log' -delete", false],
    ['find . -delete', false],
    ['fd id_rsa ~ -x cat', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
