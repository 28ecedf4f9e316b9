import { expect, test } from 'bun:test';
import { diffPosture } from './diff.ts';
import { postureDigest } from './digest.ts';
import { createFakeSnapshot } from './fake-snapshot.ts';

test('diffPosture() finds nothing between snapshots that differ only in timings and capture time', () => {
  const a = createFakeSnapshot();
  const b = { ...createFakeSnapshot({}, '2026-01-01T00:05:00.000Z'), totalMs: 99 };
  b.probes.os = { ...b.probes.os, ms: 42 };
  expect(diffPosture(a, b)).toEqual([]);
  expect(postureDigest(a)).toBe(postureDigest(b));
});

test('diffPosture() reports a status change with a one-line summary', () => {
  const a = createFakeSnapshot();
  const b = createFakeSnapshot({
    firewall: { status: 'failed', value: { enabled: false, source: 'ufw' }, evidence: 'ENABLED=no', ms: 1 },
  });
  const changes = diffPosture(a, b);
  expect(changes).toHaveLength(1);
  expect(changes[0]).toMatchObject({
    probe: 'firewall',
    from: { status: 'ok', value: { enabled: true, source: 'ufw' } },
    to: { status: 'failed', value: { enabled: false, source: 'ufw' } },
    summary: 'firewall: ok -> failed (ENABLED=no)',
  });
  expect(postureDigest(a)).not.toBe(postureDigest(b));
});

test('diffPosture() reports a binary replaced mid-session as a value change', () => {
  const a = createFakeSnapshot();
  const claude = a.probes.claudeCode.value;
  if (!claude) throw new Error('fixture has a claude value');
  const b = createFakeSnapshot({
    claudeCode: { ...a.probes.claudeCode, value: { ...claude, sha256: 'c'.repeat(64) } },
  });
  expect(diffPosture(a, b).map((c) => c.summary)).toEqual(['claudeCode: ok, value changed (fake)']);
});

test('postureDigest() is a SHA-256 hex digest', () => {
  expect(postureDigest(createFakeSnapshot())).toMatch(/^[0-9a-f]{64}$/);
});
