import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, pathLines } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('archivers (tar, gzip, zip, unzip, 7z)', () => {
  test.each<[string, string[]]>([
    ['tar czf out.tgz src', ['write /home/u/p/out.tgz', 'read+r /home/u/p/src']],
    ['tar -xzf out.tgz -C /tmp/x', ['read /home/u/p/out.tgz', 'write+r /home/u/p/.', 'write+r /tmp/x/.']],
    ['tar tf out.tgz', ['read /home/u/p/out.tgz']],
    ["tar -I 'sh -c id' -cf x.tar y", ['write /home/u/p/x.tar', 'read+r /home/u/p/y']],
    ["tar --to-command='sh -c cat' -xf x.tar", ['read /home/u/p/x.tar', 'write+r /home/u/p/.']],
    ['gzip -k data.csv', ['any /home/u/p/data.csv']],
    ['zip -r out.zip src', ['any /home/u/p/out.zip', 'read+r /home/u/p/src']],
    ["zip -TT 'sh -c id' a.zip b", ['any /home/u/p/sh -c id', 'read /home/u/p/a.zip', 'read /home/u/p/b']],
    ['unzip pkg.zip -d vendor', ['any /home/u/p/pkg.zip', 'write+r /home/u/p/vendor']],
    ['7z x archive.7z', ['any /home/u/p/x', 'any /home/u/p/archive.7z', 'write+r /home/u/p/.']],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each([
    "tar -I 'sh -c id' -cf x.tar y",
    "tar --to-command='sh -c cat' -xf x.tar",
    "zip -TT 'sh -c id' a.zip b",
  ])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'tar czf out.tgz src',
    'tar -xzf out.tgz -C /tmp/x',
    'tar tf out.tgz',
    'gzip -k data.csv',
    'zip -r out.zip src',
    'unzip pkg.zip -d vendor',
    '7z x archive.7z',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });
});
