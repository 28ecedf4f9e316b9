import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { failed, ok, unknown, worstStatus } from '../probe.ts';
import type {
  DiskEncryptionInfo,
  ProbeOutcome,
  ProbeStatus,
  VolumeEncryption,
  VolumeRole,
} from '../types.ts';
import { findMount, type MountEntry, parseMountInfo } from './mountinfo.ts';

export interface VolumeTarget {
  role: VolumeRole;
  path: string;
}

/** How deep to follow stacked devices (LVM on LUKS on RAID...) and loop devices' backing files. */
const MAX_DEPTH = 8;

/** Filesystems that encrypt file contents themselves, above the block layer. */
const ENCRYPTING_FILESYSTEMS: Readonly<Record<string, string>> = {
  ecryptfs: 'eCryptfs',
  'fuse.gocryptfs': 'gocryptfs',
  'fuse.cryfs': 'CryFS',
  'fuse.encfs': 'EncFS',
};

const NETWORK_FILESYSTEMS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'fuse.sshfs',
  'ceph',
  'glusterfs',
  '9p',
  'virtiofs',
]);

/**
 * The dm-crypt target of a device-mapper uuid (cryptsetup sets `CRYPT-<TYPE>-...`). VERITY,
 * INTEGRITY and SUBDEV (LUKS2 integrity sub-devices) are CRYPT- prefixed but do not encrypt.
 */
export function dmCryptMechanism(uuid: string): string | null {
  const match = /^CRYPT-([A-Z0-9]+)/.exec(uuid);
  if (!match?.[1]) return null;
  switch (match[1]) {
    case 'VERITY':
    case 'INTEGRITY':
    case 'SUBDEV':
      return null;
    case 'LUKS1':
    case 'LUKS2':
      return `dm-crypt (${match[1]})`;
    case 'PLAIN':
      return 'dm-crypt (plain)';
    case 'BITLK':
      return 'dm-crypt (BitLocker)';
    case 'TCRYPT':
      return 'dm-crypt (TrueCrypt/VeraCrypt)';
    default:
      return `dm-crypt (${match[1]})`;
  }
}

/** The kind part of a device-mapper uuid: `CRYPT-LUKS2`, `LVM`, `mpath`, `part1`. */
function dmKind(uuid: string): string {
  const parts = uuid.split('-');
  return parts[0] === 'CRYPT' ? `CRYPT-${parts[1] ?? ''}` : (parts[0] ?? uuid);
}

interface BlockVerdict {
  status: ProbeStatus;
  mechanism: string | null;
  /** The device stack as read, top first: `dm-1 (253:1, LVM) > dm-0 (253:0, CRYPT-LUKS2) > nvme0n1p3 (259:3)`. */
  stack: string;
  name: string;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Walks a block device down through its `slaves/` (device-mapper, md) looking for a dm-crypt
 * layer. A device is encrypted if it is a crypt mapping, or if it is stacked and every device
 * under it is encrypted (an LVM volume spanning one encrypted and one plain disk is not).
 */
function walkBlock(
  root: string,
  majorMinor: string,
  mounts: readonly MountEntry[],
  depth: number,
): BlockVerdict {
  const dir = join(root, 'sys/dev/block', majorMinor);
  if (!existsSync(dir))
    return {
      status: 'unknown',
      mechanism: null,
      stack: `${majorMinor} (not in /sys/dev/block)`,
      name: majorMinor,
    };
  let name = majorMinor;
  try {
    name = basename(realpathSync(dir));
  } catch {
    name = /^DEVNAME=(.+)$/m.exec(readText(join(dir, 'uevent')) ?? '')?.[1] ?? majorMinor;
  }
  const uuid = readText(join(dir, 'dm/uuid'));
  const label = `${name} (${majorMinor}${uuid ? `, ${dmKind(uuid)}` : ''})`;
  const mechanism = uuid ? dmCryptMechanism(uuid) : null;
  if (mechanism) return { status: 'ok', mechanism, stack: label, name };
  if (depth >= MAX_DEPTH) return { status: 'unknown', mechanism: null, stack: `${label} > (too deep)`, name };

  // A loop device is as encrypted as the filesystem holding its backing file.
  const backing = readText(join(dir, 'loop/backing_file'));
  if (backing) {
    const mount = findMount(mounts, backing.replace(/ \(deleted\)$/, ''));
    if (!mount)
      return { status: 'unknown', mechanism: null, stack: `${label} > backing file "${backing}"`, name };
    const inner = classifyMount(root, mount, mounts, depth + 1);
    return {
      status: inner.status,
      mechanism: inner.mechanism,
      stack: `${label} > backing file on ${inner.stack}`,
      name,
    };
  }

  let slaves: string[] = [];
  try {
    slaves = readdirSync(join(dir, 'slaves'));
  } catch {
    slaves = [];
  }
  if (slaves.length === 0) return { status: 'failed', mechanism: null, stack: label, name };
  const below = slaves.map((slave) => {
    const dev = readText(join(root, 'sys/class/block', slave, 'dev'));
    return dev
      ? walkBlock(root, dev, mounts, depth + 1)
      : { status: 'unknown' as const, mechanism: null, stack: `${slave} (unreadable)`, name: slave };
  });
  const status = worstStatus(below.map((b) => b.status));
  const mechanisms = [...new Set(below.map((b) => b.mechanism).filter((m): m is string => m !== null))];
  const stack = `${label} > ${below.length === 1 ? below[0]?.stack : `[${below.map((b) => b.stack).join(' | ')}]`}`;
  return { status, mechanism: status === 'ok' ? mechanisms.join(', ') || null : null, stack, name };
}

/** The block device behind a mount whose st_dev is anonymous (major 0): btrfs, bcachefs. */
function deviceOfSource(root: string, source: string): string | null {
  if (!source.startsWith('/dev/')) return null;
  const path = join(root, source);
  const candidates = [basename(source)];
  try {
    // /dev/mapper/luks-... is a symlink to ../dm-0.
    candidates.unshift(basename(realpathSync(path)));
  } catch {
    try {
      candidates.unshift(basename(readlinkSync(path)));
    } catch {
      // Not a symlink, or /dev not visible.
    }
  }
  for (const name of candidates) {
    const dev = readText(join(root, 'sys/class/block', name, 'dev'));
    if (dev) return dev;
  }
  // /dev/mapper/<name> without /dev: find the dm device by its name.
  if (source.startsWith('/dev/mapper/')) {
    const wanted = basename(source);
    try {
      for (const name of readdirSync(join(root, 'sys/class/block')))
        if (readText(join(root, 'sys/class/block', name, 'dm/name')) === wanted)
          return readText(join(root, 'sys/class/block', name, 'dev'));
    } catch {
      return null;
    }
  }
  return null;
}

interface MountVerdict {
  status: ProbeStatus;
  mechanism: string | null;
  device: string | null;
  stack: string;
}

function classifyMount(
  root: string,
  mount: MountEntry,
  mounts: readonly MountEntry[],
  depth: number,
): MountVerdict {
  const where = `"${mount.mountPoint}" (${mount.fsType} from ${mount.source})`;
  const fsMechanism = ENCRYPTING_FILESYSTEMS[mount.fsType];
  if (fsMechanism)
    return { status: 'ok', mechanism: fsMechanism, device: mount.source, stack: `${where}: ${fsMechanism}` };
  let majorMinor: string | null = mount.majorMinor.startsWith('0:') ? null : mount.majorMinor;
  if (majorMinor === null) majorMinor = deviceOfSource(root, mount.source);
  if (majorMinor === null) {
    if (mount.fsType === 'overlay' && depth < MAX_DEPTH) {
      const upper = /(?:^|,)upperdir=([^,]+)/.exec(mount.superOptions)?.[1];
      const upperMount = upper ? findMount(mounts, upper) : null;
      if (upper && upperMount && upperMount.mountPoint !== mount.mountPoint) {
        const inner = classifyMount(root, upperMount, mounts, depth + 1);
        return { ...inner, stack: `${where}, upper directory on ${inner.stack}` };
      }
      return {
        status: 'unknown',
        mechanism: null,
        device: null,
        stack: `${where}: its upper directory is outside this mount namespace (a container); ask the host`,
      };
    }
    const reason =
      mount.fsType === 'tmpfs' || mount.fsType === 'ramfs'
        ? 'memory-backed, on disk only through swap'
        : NETWORK_FILESYSTEMS.has(mount.fsType)
          ? 'a network filesystem: encryption at rest is up to the server'
          : mount.fsType === 'zfs'
            ? 'ZFS native encryption is not visible in sysfs'
            : 'no block device to inspect';
    return { status: 'unknown', mechanism: null, device: null, stack: `${where}: ${reason}` };
  }
  const block = walkBlock(root, majorMinor, mounts, depth);
  const device = `/dev/${block.name} (${majorMinor})`;
  const verdict =
    block.status === 'ok'
      ? `encrypted by ${block.mechanism}: ${block.stack}`
      : block.status === 'failed'
        ? `no dm-crypt layer: ${block.stack} (self-encrypting drives and hypervisor disk encryption are not visible here)`
        : `cannot tell: ${block.stack}`;
  return { status: block.status, mechanism: block.mechanism, device, stack: `${where} on ${verdict}` };
}

/**
 * Disk encryption of the volumes holding the home folder and the project, read in process:
 * /proc/self/mountinfo gives each path's mount and device, /sys/dev/block and `slaves/` give the
 * device stack, and a device-mapper uuid starting `CRYPT-` is a dm-crypt (LUKS) layer.
 */
export async function probeLinuxDiskEncryption(
  root: string,
  targets: readonly VolumeTarget[],
): Promise<ProbeOutcome<DiskEncryptionInfo>> {
  let mounts: MountEntry[];
  try {
    mounts = parseMountInfo(readFileSync(join(root, 'proc/self/mountinfo'), 'utf8'));
  } catch (error) {
    return unknown(
      `/proc/self/mountinfo: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const volumes: VolumeEncryption[] = [];
  for (const target of targets) {
    let path = target.path;
    // Resolve symlinks only on the live system; a synthetic root holds paths as given.
    if (root === '/') path = await realpath(target.path).catch(() => target.path);
    const mount = findMount(mounts, path);
    if (!mount) {
      volumes.push({
        role: target.role,
        path: target.path,
        status: 'unknown',
        device: null,
        mechanism: null,
        evidence: `No mount in /proc/self/mountinfo holds "${path}"`,
      });
      continue;
    }
    const verdict = classifyMount(root, mount, mounts, 0);
    volumes.push({
      role: target.role,
      path: target.path,
      status: verdict.status,
      device: verdict.device,
      mechanism: verdict.mechanism,
      evidence: `${target.role} "${target.path}" is on ${verdict.stack}`,
    });
  }
  const status = worstStatus(volumes.map((v) => v.status));
  const evidence = volumes.map((v) => v.evidence).join('; ');
  const value = { volumes };
  if (status === 'ok') return ok(value, evidence);
  return status === 'failed' ? failed(evidence, value) : unknown(evidence, value);
}
