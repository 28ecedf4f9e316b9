import { afterAll, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBunFileHasher } from '../ancestry/bun-file-hasher.ts';
import { createHashCache } from '../ancestry/hash-cache.ts';
import { capturePosture } from './capture-posture.ts';
import { captureTrust } from './capture-trust.ts';
import { postureDigest } from './digest.ts';
import type { CommandRunner } from './exec.ts';
import { createFakeRoot } from './linux/fake-root.ts';
import { checkRequirements } from './requirements.ts';
import { PROBE_NAMES } from './types.ts';

/** Live tests hash real binaries and run sha256sum on 2 shared cores: allow for a busy machine. */
const LIVE_TIMEOUT_MS = 30_000;

const isLinux = process.platform === 'linux';
const hasher = createBunFileHasher();
const fakeRoots: { cleanup(): void }[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'ceros-capture-'));
/** A small stand-in for ceros's binary where its identity is not the point. */
const smallBinary = join(scratch, 'ceros');
writeFileSync(smallBinary, 'ceros stand-in');
afterAll(() => {
  hasher.close();
  for (const root of fakeRoots) root.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});
const fixtures = join(import.meta.dir, '../../../tests/fixtures/posture/linux');

function sha256sum(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? '';
}

test.if(isLinux)(
  'capturePosture() on this machine reports every probe with evidence, and disk encryption as not ok',
  async () => {
    const hashCache = createHashCache({ file: null, hashFile: hasher });
    const snapshot = await capturePosture({
      env: process.env,
      cwd: process.cwd(),
      projectDir: process.cwd(),
      cerosVersion: '0.0.0-test',
      hashCache,
    });
    for (const name of PROBE_NAMES) {
      const probe = snapshot.probes[name];
      expect(['ok', 'failed', 'unknown']).toContain(probe.status);
      expect(probe.evidence.length).toBeGreaterThan(0);
      expect(probe.ms).toBeGreaterThanOrEqual(0);
    }
    expect(['failed', 'unknown']).toContain(snapshot.probes.diskEncryption.status);
    expect(snapshot.probes.ceros.value?.sha256).toBe(sha256sum(process.execPath));
    const claude = snapshot.probes.claudeCode;
    if (claude.status === 'ok' && claude.value)
      expect(claude.value.sha256).toBe(sha256sum(claude.value.path));

    const unmet = checkRequirements(snapshot, { diskEncryption: 'required' });
    expect(unmet.length).toBeGreaterThan(0);
    expect(unmet[0]?.requirement).toBe('diskEncryption');
    expect(unmet[0]?.message).toMatch(/it is not encrypted|could not determine it/);
  },
  LIVE_TIMEOUT_MS,
);

test('capturePosture() reads a synthetic LUKS laptop through the root option', async () => {
  const fake = createFakeRoot({
    mountinfo: readFileSync(join(fixtures, 'mountinfo-fedora-btrfs-luks.txt'), 'utf8'),
    blockDevices: [
      { name: 'dm-0', majorMinor: '253:0', dmUuid: 'CRYPT-LUKS2-abc-luks-abc', slaves: ['nvme0n1p3'] },
      { name: 'nvme0n1p3', majorMinor: '259:3' },
    ],
    devLinks: { 'dev/mapper/luks-3f2c9a1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d': '../dm-0' },
    firmware: { efi: true, secureBoot: 1, setupMode: 0 },
    processes: [
      { pid: 1, comm: 'systemd', argv: ['/usr/lib/systemd/systemd', '--switched-root'] },
      {
        pid: 911,
        comm: 'falcon-sensor',
        argv: ['/opt/CrowdStrike/falcon-sensor'],
        exe: '/opt/CrowdStrike/falcon-sensor',
      },
    ],
    files: {
      'etc/os-release':
        'NAME="Fedora Linux"\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40 (Workstation Edition)"\n',
      'etc/ufw/ufw.conf': 'ENABLED=yes\n',
      'proc/sys/kernel/osrelease': '6.10.6-200.fc40.x86_64\n',
      'proc/sys/kernel/hostname': 'alice-laptop\n',
      'proc/self/status': 'Uid:\t1000\t1000\t1000\t1000\n',
      'etc/passwd': 'alice:x:1000:1000::/home/alice:/bin/bash\n',
      'sys/kernel/security/lockdown': 'none [integrity] confidentiality\n',
      'opt/claude/claude': 'pretend binary',
      'opt/CrowdStrike/falcon-sensor': 'pretend falcon sensor',
    },
  });
  fakeRoots.push(fake);
  const claudeBinary = join(fake.root, 'opt/claude/claude');
  const hashCache = createHashCache({ file: null, hashFile: hasher });
  const snapshot = await capturePosture({
    root: fake.root,
    platform: 'linux',
    env: {},
    cwd: '/home/alice/app',
    home: '/home/alice',
    projectDir: '/home/alice/app',
    cerosVersion: '1.2.3',
    cerosBinary: claudeBinary,
    claudeBinary,
    hashCache,
  });
  const statuses = Object.fromEntries(PROBE_NAMES.map((name) => [name, snapshot.probes[name].status]));
  expect(statuses).toEqual({
    os: 'ok',
    kernel: 'ok',
    arch: 'ok',
    hostname: 'ok',
    user: 'ok',
    diskEncryption: 'ok',
    secureBoot: 'ok',
    firewall: 'ok',
    screenLock: 'unknown',
    // The synthetic install counts only when its file is root's, as a real one is (tests run as root).
    endpointProtection: process.getuid?.() === 0 ? 'ok' : 'failed',
    codeIntegrity: 'ok',
    ceros: 'ok',
    claudeCode: 'ok',
  });
  expect(snapshot.probes.claudeCode.value?.sha256).toBe(sha256sum(claudeBinary));
  expect(
    checkRequirements(snapshot, {
      diskEncryption: 'required',
      secureBoot: 'required',
      endpointProtection: 'required',
    }),
  ).toEqual([]);
});

test('capturePosture() turns a probe that misses its deadline into unknown, not ok', async () => {
  const hang: CommandRunner = () => new Promise(() => undefined);
  const hashCache = createHashCache({ file: null, hashFile: hasher });
  const snapshot = await capturePosture({
    platform: 'darwin',
    env: {},
    cwd: '/',
    home: '/Users/a',
    projectDir: '/Users/a/p',
    cerosVersion: 'x',
    cerosBinary: smallBinary,
    claudeBinary: null,
    hashCache,
    exec: hang,
    timeoutMs: 30,
  });
  expect(snapshot.probes.firewall).toMatchObject({
    status: 'unknown',
    evidence: 'Probe timed out after 30 ms',
  });
  expect(snapshot.probes.claudeCode.status).toBe('failed');
});

test('capturePosture() answers unknown on a platform without probes', async () => {
  const hashCache = createHashCache({ file: null, hashFile: hasher });
  const snapshot = await capturePosture({
    platform: 'aix',
    env: {},
    cwd: '/',
    projectDir: '/',
    cerosVersion: 'x',
    cerosBinary: smallBinary,
    claudeBinary: null,
    hashCache,
  });
  expect(snapshot.probes.secureBoot.status).toBe('unknown');
  expect(snapshot.probes.secureBoot.evidence).toBe('No posture probes for platform "aix"');
});

test.if(isLinux)(
  'captureTrust() gives stable digests and hashes a shared binary once',
  async () => {
    const hashCache = createHashCache({ file: null, hashFile: hasher });
    const options = {
      env: process.env,
      cwd: process.cwd(),
      projectDir: process.cwd(),
      cerosVersion: 'x',
      hashCache,
      pid: process.pid,
    };
    const first = await captureTrust(options);
    const second = await captureTrust(options);
    expect(first.ancestry?.chain[0]?.sha256).toBe(first.posture.probes.ceros.value?.sha256 as string);
    expect(second.postureDigest).toBe(postureDigest(second.posture));
    expect(second.ancestryDigest).toBe(first.ancestryDigest as string);
    expect(hashCache.stats().misses).toBe(hashCache.stats().entries);
  },
  LIVE_TIMEOUT_MS,
);

test('captureTrust() records why the ancestry could not be read', async () => {
  const hashCache = createHashCache({ file: null, hashFile: hasher });
  const result = await captureTrust({
    platform: 'aix',
    env: {},
    cwd: '/',
    projectDir: '/',
    cerosVersion: 'x',
    cerosBinary: smallBinary,
    claudeBinary: null,
    hashCache,
    pid: 1,
  });
  expect(result.ancestry).toBeNull();
  expect(result.ancestryError).toBe('Cannot read process ancestry on "aix"');
});
