import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where Claude Code reads managed settings on Linux; it has no setting to read them elsewhere. */
export const MANAGED_DIR = '/etc/claude-code';

/**
 * A command prefix that runs its command in a private mount namespace whose `/etc/claude-code` is
 * `folder`, so `ceros install --system` and Claude Code use the real path without writing the
 * machine's /etc, and parallel runs of other checkouts never see each other's drop-in. /etc is
 * overlaid on a tmpfs first, so the mount point exists even on a machine without /etc/claude-code
 * (nothing is created there). Every command run with the same `folder` sees the same settings, as
 * processes of one machine would. Needs root (unshare, mount), as `install --system` does.
 */
export function inPrivateManagedSettings(folder: string): string[] {
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  const scratch = `${folder}.ns`;
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const script = [
    'set -e',
    `mount -t tmpfs -o mode=0700 tmpfs '${scratch}'`,
    `mkdir '${join(scratch, 'upper')}' '${join(scratch, 'work')}'`,
    `mount -t overlay overlay -o 'lowerdir=/etc,upperdir=${join(scratch, 'upper')},workdir=${join(scratch, 'work')}' /etc`,
    `mkdir -p ${MANAGED_DIR}`,
    `mount --bind '${folder}' ${MANAGED_DIR}`,
    'exec "$@"',
  ].join('\n');
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh'];
}
