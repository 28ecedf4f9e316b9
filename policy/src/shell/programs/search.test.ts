import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines, programNames } from './table-support.ts';

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
});
