import type { PostureProbes, PostureSnapshot, ProbeResult } from './types.ts';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

/**
 * A fully compliant Linux snapshot with every probe ok, for tests of what consumes snapshots
 * (requirements, diffs, the monitor, the session). Override any probe.
 */
export function createFakeSnapshot(
  overrides: Partial<PostureProbes> = {},
  capturedAt = '2026-01-01T00:00:00.000Z',
): PostureSnapshot {
  const ok = <T>(value: T, evidence = 'fake'): ProbeResult<T> => ({ status: 'ok', value, evidence, ms: 0.1 });
  const probes: PostureProbes = {
    os: ok({ name: 'Debian GNU/Linux 12 (bookworm)', version: '12', build: 'bookworm' }),
    kernel: ok({ release: '6.1.0-18-amd64', version: null }),
    arch: ok('x86_64'),
    hostname: ok('dev-box'),
    user: ok({ name: 'alice', uid: '1000' }),
    diskEncryption: ok({
      volumes: [
        {
          role: 'home',
          path: '/home/alice',
          status: 'ok',
          device: '/dev/dm-0 (253:0)',
          mechanism: 'dm-crypt (LUKS2)',
          evidence: 'fake',
        },
        {
          role: 'project',
          path: '/home/alice/app',
          status: 'ok',
          device: '/dev/dm-0 (253:0)',
          mechanism: 'dm-crypt (LUKS2)',
          evidence: 'fake',
        },
      ],
    }),
    secureBoot: ok('on'),
    firewall: ok({ enabled: true, source: 'ufw' }),
    screenLock: ok({ enabled: true, delaySeconds: 300 }),
    endpointProtection: ok({ running: ['crowdstrike'], installed: ['crowdstrike'] }),
    codeIntegrity: ok({ lockdown: true }),
    ceros: ok({ path: '/usr/local/bin/ceros', version: '0.1.0', sha256: SHA_A, size: 100 }),
    claudeCode: ok({ path: '/usr/local/bin/claude', version: '2.1.197', sha256: SHA_B, size: 200 }),
    ...overrides,
  };
  return { v: 1, platform: 'linux', capturedAt, totalMs: 1, probes };
}
