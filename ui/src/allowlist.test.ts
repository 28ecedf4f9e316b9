import { expect, test } from 'bun:test';
import { allowedServerNames, allowlistMisses, newAllowlistPolicy, withServerAllowed } from './allowlist.ts';

test('withServerAllowed() appends the server to mcp.allow and keeps the rest of the policy', () => {
  const source = JSON.stringify({
    version: 1,
    default: 'allow',
    mcp: { allow: ['github', { name: 'linear' }] },
    rules: [],
  });
  const next = withServerAllowed(source, 'shady');
  expect(JSON.parse(next ?? '')).toEqual({
    version: 1,
    default: 'allow',
    mcp: { allow: ['github', { name: 'linear' }, 'shady'] },
    rules: [],
  });
  expect(allowedServerNames(next ?? '')).toEqual(['github', 'linear', 'shady']);
});

test('withServerAllowed() leaves a policy that already allows the server unchanged', () => {
  const source = '{"version":1,"default":"deny","mcp":{"allow":["github"]}}';
  expect(withServerAllowed(source, 'github')).toBe(source);
});

test('withServerAllowed() refuses YAML sources, which this view cannot rewrite', () => {
  expect(withServerAllowed('version: 1\ndefault: allow\n', 'github')).toBeNull();
});

test('newAllowlistPolicy() allows tools and only the approved server', () => {
  expect(allowedServerNames(newAllowlistPolicy('github'))).toEqual(['github']);
  expect(JSON.parse(newAllowlistPolicy('github')).default).toBe('allow');
});

test('allowlistMisses() tells when an allowlist leaves a server out, and cannot tell for YAML', () => {
  const listed = '{"version":1,"default":"allow","mcp":{"allow":["shady",{"name":"linear"}]}}';
  expect(allowlistMisses(listed, 'docs')).toBe(true);
  expect(allowlistMisses(listed, 'linear')).toBe(false);
  expect(allowlistMisses('{"version":1,"default":"allow"}', 'docs')).toBe(false);
  expect(allowlistMisses('version: 1\n', 'docs')).toBeNull();
});
