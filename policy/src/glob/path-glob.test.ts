import { describe, expect, test } from 'bun:test';
import { expandBraces } from './braces.ts';
import { compilePathGlob, globsMayIntersect, mayContainMatch, type Segment } from './path-glob.ts';

const literal = (path: string): Segment[] =>
  path
    .split('/')
    .filter(Boolean)
    .map((text) => ({ kind: 'literal', text }));

describe('compilePathGlob()', () => {
  test.each([
    ['/home/u/.ssh/**', '/home/u/.ssh', true],
    ['/home/u/.ssh/**', '/home/u/.ssh/id_rsa', true],
    ['/home/u/.ssh/**', '/home/u/.sshx/id_rsa', false],
    ['/**/.env', '/p/.env', true],
    ['/**/.env', '/.env', true],
    ['/**/.env', '/p/.env.local', false],
    ['/etc/*', '/etc/passwd', true],
    ['/etc/*', '/etc/ssl/cert.pem', false],
    ['/p/src/*.ts', '/p/src/.hidden.ts', true],
    ['/p/[!a]*', '/p/b', true],
    ['/p/[!a]*', '/p/a', false],
    ['/p/\\*', '/p/*', true],
    ['/p/\\*', '/p/x', false],
  ])('%s matches %s: %p', (glob, path, expected) => {
    expect(compilePathGlob(glob).regex.test(path)).toBe(expected);
  });

  test('shell globs do not let a wildcard supply a leading dot (bash without dotglob)', () => {
    expect(compilePathGlob('/home/u/*', { shell: true }).regex.test('/home/u/.ssh')).toBe(false);
    expect(compilePathGlob('/home/u/.s*', { shell: true }).regex.test('/home/u/.ssh')).toBe(true);
  });
});

describe('globsMayIntersect()', () => {
  const shell = (glob: string) => compilePathGlob(glob, { shell: true }).segments;
  const policy = (glob: string) => compilePathGlob(glob).segments;
  test.each([
    ['/home/u/.ss?/id_*', '/home/u/.ssh/**', true],
    ['/home/u/*', '/home/u/.ssh/**', false],
    ['/home/u/.*', '/home/u/.ssh/**', true],
    ['/e??/sha*', '/etc/**', true],
    ['/p/src/*.ts', '/**/.env', false],
    ['/p/*.e*', '/**/.env', false],
    ['/p/.e*', '/**/.env', true],
  ])('%s may meet %s: %p', (pattern, glob, expected) => {
    expect(globsMayIntersect(shell(pattern), policy(glob))).toBe(expected);
  });
});

describe('mayContainMatch()', () => {
  test.each([
    ['/home/u', '/home/u/.ssh/**', true],
    ['/', '/**/.env', true],
    ['/p/.claude', '/**/.claude/settings*.json', true],
    ['/p/dist', '/**/.env', false],
    ['/home/u/project', '/home/u/.ssh/**', false],
  ])('a recursive access of %s reaches %s: %p', (dir, glob, expected) => {
    expect(mayContainMatch(literal(dir), compilePathGlob(glob).segments)).toBe(expected);
  });
});

describe('expandBraces()', () => {
  test.each([
    ['~/.{ssh,aws}/x', ['~/.ssh/x', '~/.aws/x']],
    ['id_{rsa,ed25519}', ['id_rsa', 'id_ed25519']],
    ['x{1..3}', ['x1', 'x2', 'x3']],
    ['\\{a,b\\}', ['\\{a,b\\}']],
    ['${HOME}', ['${HOME}']],
    ['{a,{b,c}}', ['a', 'b', 'c']],
  ])('%s expands to %p', (input, output) => {
    expect(expandBraces(input)).toEqual(output);
  });

  test('refuses to expand past the limit rather than truncating', () => {
    expect(expandBraces('{1..100}{1..100}', 256)).toBeUndefined();
  });
});
