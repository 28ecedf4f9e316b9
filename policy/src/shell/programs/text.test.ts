import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('text tools and editors (jq, yq, sed, awk, patch, vim, emacs, ed)', () => {
  test.each<[string, string[]]>([
    ['jq .name package.json', ['read /home/u/p/package.json']],
    ["jq --slurpfile s data.json -n '$s'", ['read /home/u/p/data.json']],
    ['jq -f filter.jq in.json', ['read /home/u/p/filter.jq', 'read /home/u/p/in.json']],
    ["yq '.a' config.yaml", ['read /home/u/p/config.yaml']],
    ["sed -i 's/a/b/' file.txt", ['any /home/u/p/file.txt']],
    ["sed 's/x/y/w out.txt' in.txt", ['write /home/u/p/out.txt', 'read /home/u/p/in.txt']],
    ["sed -n '1e id' x", ['read /home/u/p/x']],
    ["awk '{print $1}' data.txt", ['read /home/u/p/data.txt']],
    ['awk \'BEGIN { system("id") }\'', []],
    ['patch -p1 < fix.patch', ['read /home/u/p/fix.patch']],
    ['patch file.c fix.diff', ['write /home/u/p/file.c', 'read /home/u/p/fix.diff']],
    ["vim -c ':!id' x", ['any /home/u/p/x']],
    ['nano notes.md', ['any /home/u/p/notes.md']],
    ['emacs --eval \'(shell-command "id")\'', []],
    ["ed file.txt <<< ',p'", ['any /home/u/p/file.txt']],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each([
    "sed -n '1e id' x",
    'awk \'BEGIN { system("id") }\'',
    'patch -p1 < fix.patch',
    "vim -c ':!id' x",
    'emacs --eval \'(shell-command "id")\'',
    "ed file.txt <<< ',p'",
  ])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'jq .name package.json',
    "jq --slurpfile s data.json -n '$s'",
    'jq -f filter.jq in.json',
    "yq '.a' config.yaml",
    "sed -i 's/a/b/' file.txt",
    "sed 's/x/y/w out.txt' in.txt",
    "awk '{print $1}' data.txt",
    'patch file.c fix.diff',
    'nano notes.md',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
