import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** Every folder ceros creates is 0700 and every file 0600 (the brief: secrets stay with the user). */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Creates `dir` (and parents it has to create) with mode 0700, and tightens `dir` itself if it exists. */
export function ensurePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const mode = statSync(dir).mode & 0o777;
  if (mode !== DIR_MODE) chmodSync(dir, DIR_MODE);
  return dir;
}

/** Writes a whole file atomically (temp + fsync + rename) with mode 0600. */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  ensurePrivateDir(dirname(path));
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', FILE_MODE);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Where ceros keeps its state: `CEROS_HOME`, else `~/.ceros`. */
export function cerosHome(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env.CEROS_HOME;
  if (explicit) return explicit;
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) throw new Error('Cannot find the ceros state folder: set CEROS_HOME or HOME');
  return join(home, '.ceros');
}
