import { afterAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dmCryptMechanism, probeLinuxDiskEncryption } from './disk-encryption.ts';
import { createFakeRoot, type FakeRoot, type FakeRootSpec } from './fake-root.ts';
import { findMount, parseMountInfo } from './mountinfo.ts';

const fixtures = join(import.meta.dir, '../../../../tests/fixtures/posture/linux');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

const roots: FakeRoot[] = [];
afterAll(() => {
  for (const root of roots) root.cleanup();
});
function fake(spec: FakeRootSpec): string {
  const root = createFakeRoot(spec);
  roots.push(root);
  return root.root;
}

const LUKS_UUID = 'CRYPT-LUKS2-3f2c9a1e7b4d4e8a9c2f1d5e6a7b8c9d-luks-3f2c9a1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d';

test('parseMountInfo() unescapes paths and reads device, type and source', () => {
  const mounts = parseMountInfo(fixture('mountinfo-ubuntu-lvm-luks.txt'));
  expect(mounts.find((m) => m.majorMinor === '8:17')).toMatchObject({
    mountPoint: '/media/alice/Scratch Disk',
    fsType: 'ext4',
    source: '/dev/sdb1',
  });
  expect(findMount(mounts, '/media/alice/Scratch Disk/src')?.majorMinor).toBe('8:17');
  expect(findMount(mounts, '/home/alice')?.majorMinor).toBe('253:1');
  expect(findMount(mounts, '/bootstrap')?.mountPoint).toBe('/');
});

test('dmCryptMechanism() names dm-crypt targets and ignores verity and integrity devices', () => {
  expect(dmCryptMechanism(LUKS_UUID)).toBe('dm-crypt (LUKS2)');
  expect(dmCryptMechanism('CRYPT-PLAIN-cryptswap')).toBe('dm-crypt (plain)');
  expect(dmCryptMechanism('CRYPT-BITLK-abc-win')).toBe('dm-crypt (BitLocker)');
  expect(dmCryptMechanism('CRYPT-VERITY-abc-root')).toBeNull();
  expect(dmCryptMechanism('CRYPT-SUBDEV-abc')).toBeNull();
  expect(dmCryptMechanism('LVM-Kx2b...')).toBeNull();
});

test('probeLinuxDiskEncryption() finds LUKS under btrfs subvolumes (anonymous device, Fedora layout)', async () => {
  const root = fake({
    mountinfo: fixture('mountinfo-fedora-btrfs-luks.txt'),
    blockDevices: [
      { name: 'dm-0', majorMinor: '253:0', dmUuid: LUKS_UUID, slaves: ['nvme0n1p3'] },
      { name: 'nvme0n1p3', majorMinor: '259:3' },
    ],
    devLinks: { 'dev/mapper/luks-3f2c9a1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d': '../dm-0' },
  });
  const result = await probeLinuxDiskEncryption(root, [
    { role: 'home', path: '/home/alice' },
    { role: 'project', path: '/home/alice/src/app' },
  ]);
  expect(result.status).toBe('ok');
  expect(result.value?.volumes.map((v) => [v.status, v.mechanism, v.device])).toEqual([
    ['ok', 'dm-crypt (LUKS2)', '/dev/dm-0 (253:0)'],
    ['ok', 'dm-crypt (LUKS2)', '/dev/dm-0 (253:0)'],
  ]);
  expect(result.evidence).toContain('CRYPT-LUKS2');
});

test('probeLinuxDiskEncryption() follows LVM down to LUKS (Ubuntu layout)', async () => {
  const root = fake({
    mountinfo: fixture('mountinfo-ubuntu-lvm-luks.txt'),
    blockDevices: [
      { name: 'dm-1', majorMinor: '253:1', dmUuid: 'LVM-abc123', slaves: ['dm-0'] },
      { name: 'dm-0', majorMinor: '253:0', dmUuid: LUKS_UUID, slaves: ['nvme0n1p3'] },
      { name: 'nvme0n1p3', majorMinor: '259:3' },
      { name: 'sdb1', majorMinor: '8:17' },
    ],
  });
  const result = await probeLinuxDiskEncryption(root, [
    { role: 'home', path: '/home/alice' },
    { role: 'project', path: '/media/alice/Scratch Disk/app' },
  ]);
  const [home, project] = result.value?.volumes ?? [];
  expect(home).toMatchObject({ status: 'ok', mechanism: 'dm-crypt (LUKS2)' });
  expect(home?.evidence).toContain('dm-1 (253:1, LVM) > dm-0 (253:0, CRYPT-LUKS2)');
  expect(project).toMatchObject({ status: 'failed', mechanism: null, device: '/dev/sdb1 (8:17)' });
  expect(result.status).toBe('failed');
});

test('probeLinuxDiskEncryption() fails an LVM volume that spans an encrypted and a plain disk', async () => {
  const root = fake({
    mountinfo: '30 1 253:2 / / rw,relatime - ext4 /dev/mapper/vg-root rw\n',
    blockDevices: [
      { name: 'dm-2', majorMinor: '253:2', dmUuid: 'LVM-span', slaves: ['dm-0', 'sdc1'] },
      { name: 'dm-0', majorMinor: '253:0', dmUuid: LUKS_UUID, slaves: ['sda2'] },
      { name: 'sda2', majorMinor: '8:2' },
      { name: 'sdc1', majorMinor: '8:33' },
    ],
  });
  const result = await probeLinuxDiskEncryption(root, [{ role: 'home', path: '/home/a' }]);
  expect(result.status).toBe('failed');
  expect(result.evidence).toContain('dm-2 (253:2, LVM) > [dm-0 (253:0, CRYPT-LUKS2) | sdc1 (8:33)]');
});

test('probeLinuxDiskEncryption() does not count dm-verity as encryption', async () => {
  const root = fake({
    mountinfo: '30 1 253:4 / / ro,relatime - ext4 /dev/mapper/root rw\n',
    blockDevices: [
      { name: 'dm-4', majorMinor: '253:4', dmUuid: 'CRYPT-VERITY-abc-root', slaves: ['vda2'] },
      { name: 'vda2', majorMinor: '254:2' },
    ],
  });
  expect((await probeLinuxDiskEncryption(root, [{ role: 'home', path: '/root' }])).status).toBe('failed');
});

test('probeLinuxDiskEncryption() reports an unencrypted plain disk as failed with evidence', async () => {
  const root = fake({
    mountinfo: fixture('mountinfo-plain-virtio.txt'),
    blockDevices: [{ name: 'vda', majorMinor: '254:0' }],
  });
  const result = await probeLinuxDiskEncryption(root, [{ role: 'home', path: '/root' }]);
  expect(result.status).toBe('failed');
  expect(result.evidence).toContain('no dm-crypt layer: vda (254:0)');
});

test('probeLinuxDiskEncryption() is unknown for a container overlay, tmpfs and NFS', async () => {
  const overlay = fake({
    mountinfo: fixture('mountinfo-docker-overlay.txt'),
    blockDevices: [{ name: 'nvme0n1p3', majorMinor: '259:3' }],
  });
  const inContainer = await probeLinuxDiskEncryption(overlay, [
    { role: 'home', path: '/root' },
    { role: 'project', path: '/workspace/app' },
  ]);
  const [home, project] = inContainer.value?.volumes ?? [];
  expect(home?.status).toBe('unknown');
  expect(home?.evidence).toContain('outside this mount namespace');
  // The bind-mounted project has a real device, readable from the container.
  expect(project?.status).toBe('failed');
  // Any volume failing makes the probe fail.
  expect(inContainer.status).toBe('failed');

  const fedora = fake({ mountinfo: fixture('mountinfo-fedora-btrfs-luks.txt') });
  const other = await probeLinuxDiskEncryption(fedora, [
    { role: 'home', path: '/tmp/x' },
    { role: 'project', path: '/home/alice/mnt/nas/app' },
  ]);
  expect(other.status).toBe('unknown');
  expect(other.value?.volumes[0]?.evidence).toContain('memory-backed');
  expect(other.value?.volumes[1]?.evidence).toContain('network filesystem');
});

test('probeLinuxDiskEncryption() follows a loop device to its backing file', async () => {
  const root = fake({
    mountinfo: [
      '30 1 253:0 / / rw - ext4 /dev/mapper/root rw',
      '40 30 7:0 / /srv/image rw - ext4 /dev/loop0 rw',
    ].join('\n'),
    blockDevices: [
      { name: 'dm-0', majorMinor: '253:0', dmUuid: LUKS_UUID, slaves: ['sda2'] },
      { name: 'sda2', majorMinor: '8:2' },
      { name: 'loop0', majorMinor: '7:0', loopBackingFile: '/var/lib/images/disk.img' },
    ],
  });
  const result = await probeLinuxDiskEncryption(root, [{ role: 'project', path: '/srv/image/app' }]);
  expect(result.status).toBe('ok');
  expect(result.evidence).toContain('backing file on');
});

test('probeLinuxDiskEncryption() is unknown without a readable mountinfo', async () => {
  const root = fake({});
  const result = await probeLinuxDiskEncryption(root, [{ role: 'home', path: '/root' }]);
  expect(result.status).toBe('unknown');
  expect(result.evidence).toContain('/proc/self/mountinfo');
});

test.if(process.platform === 'linux')(
  'probeLinuxDiskEncryption() on this unencrypted machine is failed or unknown with evidence, never ok',
  async () => {
    const result = await probeLinuxDiskEncryption('/', [
      { role: 'home', path: homedir() },
      { role: 'project', path: process.cwd() },
    ]);
    expect(['failed', 'unknown']).toContain(result.status);
    expect(result.evidence.length).toBeGreaterThan(20);
    for (const volume of result.value?.volumes ?? []) expect(volume.status).not.toBe('ok');
  },
);
