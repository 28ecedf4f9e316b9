import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from '../state/secure-fs.ts';

/** sun_path holds 108 bytes on Linux (104 on macOS): keep socket paths well under. */
const MAX_SOCKET_PATH = 100;

/**
 * The folder for a session's socket and settings: CEROS_HOME/run, or a per-user 0700 folder in
 * the temp dir when that path would be too long for a Unix socket. A folder owned by someone
 * else is refused: another user could otherwise plant a socket there.
 */
export function runtimeDir(home: string, uid: number): string {
  const preferred = join(home, 'run');
  if (join(preferred, 'ffffffff.sock').length <= MAX_SOCKET_PATH) return ensurePrivateDir(preferred);
  const fallback = ensurePrivateDir(join(tmpdir(), `ceros-${uid}`));
  const owner = statSync(fallback).uid;
  if (owner !== uid) throw new Error(`Refusing to use "${fallback}": it belongs to uid ${owner}, not ${uid}`);
  return fallback;
}
