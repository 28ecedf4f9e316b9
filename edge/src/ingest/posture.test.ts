import { describe, expect, test } from 'bun:test';
import type { JsonValue } from '@ceros/protocol';
import { applyPostureChanges, claudeVersionOf, failedProbes, postureVerdict, probeText } from './posture.ts';

const snapshot = (probes: Record<string, JsonValue>): JsonValue => ({
  v: 1,
  platform: 'linux',
  capturedAt: '2026-01-15T12:00:00.000Z',
  totalMs: 10,
  probes,
});
const ok = (value?: JsonValue): JsonValue =>
  value === undefined
    ? { status: 'ok', evidence: 'e', ms: 1 }
    : { status: 'ok', value, evidence: 'e', ms: 1 };

describe('postureVerdict()', () => {
  test.each([
    [snapshot({ os: ok(), firewall: ok() }), true],
    [snapshot({ os: ok(), firewall: { status: 'failed', evidence: 'off', ms: 1 } }), false],
    [snapshot({ os: ok(), screenLock: { status: 'unknown', evidence: 'no display', ms: 1 } }), null],
    [snapshot({}), null],
    [{ ok: true }, null],
    ['ok', null],
  ] as [JsonValue, boolean | null][])('reads %j as %p', (value, verdict) => {
    expect(postureVerdict(value)).toBe(verdict);
  });
});

test('failedProbes() names the failed probes in order', () => {
  const value = snapshot({
    diskEncryption: { status: 'failed', evidence: 'x', ms: 1 },
    os: ok(),
    secureBoot: { status: 'failed', value: 'unsupported', evidence: 'bios', ms: 1 },
  });
  expect(failedProbes(value)).toEqual(['diskEncryption', 'secureBoot']);
  expect(failedProbes(null)).toEqual([]);
});

test('claudeVersionOf() and probeText() read probe values', () => {
  const value = snapshot({
    claudeCode: ok({ path: '/bin/claude', version: '2.1.197', sha256: 'f', size: 1 }),
    hostname: ok('laptop'),
    os: ok({ name: 'Debian GNU/Linux 12', version: '12', build: null }),
    arch: { status: 'unknown', evidence: 'x', ms: 1 },
  });
  expect(claudeVersionOf(value)).toBe('2.1.197');
  expect(probeText(value, 'hostname')).toBe('laptop');
  expect(probeText(value, 'os')).toBe('Debian GNU/Linux 12');
  expect(probeText(value, 'arch')).toBeNull();
  expect(claudeVersionOf(snapshot({ claudeCode: ok({ version: null }) }))).toBeNull();
});

describe('applyPostureChanges()', () => {
  test('replaces each changed probe with its new status and value, the summary as evidence', () => {
    const before = snapshot({ os: ok(), firewall: ok({ enabled: true, source: 'ufw' }) });
    const after = applyPostureChanges(
      before,
      [
        {
          probe: 'firewall',
          from: { status: 'ok', value: { enabled: true, source: 'ufw' } },
          to: { status: 'failed', value: { enabled: false, source: 'ufw' } },
          summary: 'firewall: ok -> failed (ufw inactive)',
        },
      ],
      '2026-01-15T13:00:00.000Z',
    );
    expect(after.capturedAt).toBe('2026-01-15T13:00:00.000Z');
    expect(after.probes).toEqual({
      os: ok(),
      firewall: {
        status: 'failed',
        value: { enabled: false, source: 'ufw' },
        evidence: 'firewall: ok -> failed (ufw inactive)',
      },
    });
    expect(postureVerdict(after)).toBe(false);
  });

  test('without a previous snapshot the result holds the changed probes only', () => {
    const after = applyPostureChanges(
      undefined,
      [
        { probe: 'os', from: { status: 'unknown' }, to: { status: 'ok' }, summary: 'os: unknown -> ok' },
        'junk',
      ],
      't',
    );
    expect(after.probes).toEqual({ os: { status: 'ok', evidence: 'os: unknown -> ok' } });
  });
});
