import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

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

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['tar -czhf /tmp/p.tgz .', ['write /tmp/p.tgz', 'read+r /home/u/p/. [follows links]']],
    ['tar czf /tmp/p.tgz src', ['write /tmp/p.tgz', 'read+r /home/u/p/src [no-follow]']],
    ['echo /etc/shadow | tar -cf x.tar -T -', ['read /etc/shadow [no-follow]', 'write /home/u/p/x.tar']],
    ['tar -cf x.tar -T list.txt', ['read /home/u/p/list.txt', 'write /home/u/p/x.tar']],
    ['echo /etc/shadow | cpio -o > x.cpio', ['write /home/u/p/x.cpio', 'read /etc/shadow [no-follow]']],
    ['echo a | cpio -p /tmp/out', ['read /home/u/p/a [no-follow]', 'write+r /tmp/out']],
    ['cpio -i < x.cpio', ['read /home/u/p/x.cpio', 'write+r /home/u/p/.']],
    [
      'echo ~/.ssh/id_rsa | zip k.zip -@',
      ['any /home/u/p/k.zip', 'read+r /home/u/.ssh/id_rsa [follows links]'],
    ],
    ['zip -r out.zip src', ['any /home/u/p/out.zip', 'read+r /home/u/p/src [follows links]']],
    ['zip -ry out.zip src', ['any /home/u/p/out.zip', 'read+r /home/u/p/src [no-follow]']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ['echo /etc/shadow | tar -cf x.tar -T -', ['echo', 'tar']],
    ['echo /etc/shadow | cpio -o > x.cpio', ['echo', 'cpio']],
    ['echo a | cpio -p /tmp/out', ['echo', 'cpio']],
    ['echo ~/.ssh/id_rsa | zip k.zip -@', ['echo', 'zip']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, boolean]>([
    ['tar -czhf /tmp/p.tgz .', false],
    ['tar czf /tmp/p.tgz src', false],
    ['echo /etc/shadow | tar -cf x.tar -T -', false],
    ['tar -cf x.tar -T list.txt', true],
    ['echo /etc/shadow | cpio -o > x.cpio', false],
    ['echo a | cpio -p /tmp/out', false],
    ['cpio -i < x.cpio', false],
    ['echo ~/.ssh/id_rsa | zip k.zip -@', false],
    ['zip -r out.zip src', false],
    ['zip -ry out.zip src', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
