import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('coreutils (readers, listings, writers, cp, mv, install, ln, dd)', () => {
  test.each<[string, string[]]>([
    ['cat a b', ['read /home/u/p/a', 'read /home/u/p/b']],
    ['head -n 5 README.md', ['read /home/u/p/README.md']],
    ['tail -f logs/app.log', ['read /home/u/p/logs/app.log']],
    ['sort -o out.txt in.txt', ['write /home/u/p/out.txt', 'read /home/u/p/in.txt']],
    ['uniq in.txt out.txt', ['read /home/u/p/in.txt', 'write /home/u/p/out.txt']],
    ['ls -la src', ['read /home/u/p/src']],
    ['ls', ['read /home/u/p/.']],
    ['du -sh node_modules', ['read+r /home/u/p/node_modules']],
    ['tree -o tree.txt', ['write /home/u/p/tree.txt', 'read+r /home/u/p/.']],
    ['tee -a log.txt', ['write /home/u/p/log.txt']],
    ['touch -r ref.txt new.txt', ['read /home/u/p/ref.txt', 'write /home/u/p/new.txt']],
    ['mkdir -p build/out', ['write /home/u/p/build/out']],
    ['rm -rf dist', ['write+r /home/u/p/dist']],
    ['chmod -R 755 scripts', ['write+r /home/u/p/755', 'write+r /home/u/p/scripts']],
    ['cp -r src dest', ['read+r /home/u/p/src', 'write+r /home/u/p/dest']],
    ['cp a b c dir/', ['read /home/u/p/a', 'read /home/u/p/b', 'read /home/u/p/c', 'write /home/u/p/dir/']],
    ['mv old new', ['write+r /home/u/p/old', 'write+r /home/u/p/new']],
    ['install -m 755 bin/x /usr/local/bin/x', ['read /home/u/p/bin/x', 'write+r /usr/local/bin/x']],
    ['ln -s ~/.ssh/id_rsa key', ['read /home/u/.ssh/id_rsa', 'write /home/u/p/key']],
    ['dd if=/dev/sda of=disk.img', ['read /dev/sda', 'write /home/u/p/disk.img']],
    ['split --filter=\'sh -c "cat > $FILE"\' big.txt', ['read /home/u/p/big.txt']],
    ["man -P 'sh -c id' ls", []],
    ['date -f dates.txt', ['read /home/u/p/dates.txt']],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each(['split --filter=\'sh -c "cat > $FILE"\' big.txt', "man -P 'sh -c id' ls"])(
    '%s is opaque',
    (command) => {
      expect(isOpaque(analyze(command))).toBe(true);
    },
  );

  test.each([
    'cat a b',
    'head -n 5 README.md',
    'tail -f logs/app.log',
    'sort -o out.txt in.txt',
    'uniq in.txt out.txt',
    'ls -la src',
    'ls',
    'du -sh node_modules',
    'tree -o tree.txt',
    'tee -a log.txt',
    'touch -r ref.txt new.txt',
    'mkdir -p build/out',
    'rm -rf dist',
    'chmod -R 755 scripts',
    'cp -r src dest',
    'cp a b c dir/',
    'mv old new',
    'install -m 755 bin/x /usr/local/bin/x',
    'ln -s ~/.ssh/id_rsa key',
    'dd if=/dev/sda of=disk.img',
    'date -f dates.txt',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['rm -rf dist', ['write+r /home/u/p/dist [no-follow, deletes]']],
    ['rmdir old', ['write /home/u/p/old [no-follow, deletes]']],
    ['mv a b', ['write+r /home/u/p/a [no-follow, deletes]', 'write+r /home/u/p/b']],
    ['cp -rL src /tmp/x', ['read+r /home/u/p/src [follows links]', 'write+r /tmp/x']],
    ['cp -r src /tmp/x', ['read+r /home/u/p/src [no-follow]', 'write+r /tmp/x']],
    ['cp -l a b', ['any /home/u/p/a', 'write /home/u/p/b']],
    ['ln a b', ['any /home/u/p/a', 'write /home/u/p/b']],
    ['ln -s a b', ['read /home/u/p/a', 'write /home/u/p/b']],
    ['du -sh *', ['read+r glob /home/u/p/* [no-follow]']],
    ['du -L dir', ['read+r /home/u/p/dir [follows links]']],
    ['wc -c --files0-from=- <<< /etc/shadow', ['read /etc/shadow']],
    ['sort --compress-program=gzip data.txt', ['read /home/u/p/data.txt']],
    ['chmod -R -L 755 .', ['write+r /home/u/p/755 [follows links]', 'write+r /home/u/p/. [follows links]']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([['sort --compress-program=gzip data.txt', ['sort', 'gzip']]])(
    '%s runs %p',
    (command, expected) => {
      expect(programNames(analyze(command))).toEqual(expected);
    },
  );

  test.each<[string, boolean]>([
    ['rm -rf dist', false],
    ['rmdir old', false],
    ['mv a b', false],
    ['cp -rL src /tmp/x', false],
    ['cp -r src /tmp/x', false],
    ['cp -l a b', false],
    ['ln a b', false],
    ['ln -s a b', false],
    ['du -sh *', false],
    ['du -L dir', false],
    ['wc -c --files0-from=- <<< /etc/shadow', false],
    ['sort --compress-program=gzip data.txt', false],
    ['chmod -R -L 755 .', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
