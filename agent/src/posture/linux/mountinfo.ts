export interface MountEntry {
  mountId: number;
  /** `major:minor` of the filesystem's device (st_dev); major 0 for virtual and btrfs subvolumes. */
  majorMinor: string;
  /** The mount point, unescaped. */
  mountPoint: string;
  fsType: string;
  /** The mount source: `/dev/mapper/luks-...`, `tmpfs`, `server:/export`. */
  source: string;
  superOptions: string;
}

/** proc(5) escapes space, tab, newline and backslash in paths as octal: `\040`. */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Parses /proc/self/mountinfo (proc(5)): "id parent maj:min root mountpoint options
 * [optional fields...] - fstype source superoptions". Lines that do not parse are skipped.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields.length < separator + 3) continue;
    const [id, , majorMinor, , mountPoint] = fields;
    if (!id || !majorMinor || !mountPoint || !/^\d+:\d+$/.test(majorMinor)) continue;
    mounts.push({
      mountId: Number(id),
      majorMinor,
      mountPoint: unescapeOctal(mountPoint),
      fsType: fields[separator + 1] ?? '',
      source: unescapeOctal(fields[separator + 2] ?? ''),
      superOptions: fields[separator + 3] ?? '',
    });
  }
  return mounts;
}

/**
 * The mount holding `path` (absolute, already resolved): the longest mount point that is a
 * prefix of it, the later one when two are mounted on the same point (it hides the earlier).
 */
export function findMount(mounts: readonly MountEntry[], path: string): MountEntry | null {
  let best: MountEntry | null = null;
  for (const mount of mounts) {
    const point = mount.mountPoint;
    const contains = point === '/' || path === point || path.startsWith(`${point}/`);
    if (!contains) continue;
    if (best === null || point.length >= best.mountPoint.length) best = mount;
  }
  return best;
}
