import { join } from 'node:path';
import { writePrivateFile } from '../state/secure-fs.ts';

/** Where damaged journal bytes are kept (0600 files in a 0700 folder): never deleted by ceros. */
export const SET_ASIDE_DIR = 'damaged';

/**
 * Keeps `bytes` cut from the journal at `offset` in `<journal dir>/damaged/`, fsync'd, and returns
 * the file's path. Nothing ceros removes from the journal is destroyed: a torn line or a garbage
 * line may be evidence, and a person decides what it was.
 */
export function setAside(journalDir: string, bytes: Uint8Array, offset: number, now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const path = join(journalDir, SET_ASIDE_DIR, `journal-${stamp}-at-${offset}.bin`);
  writePrivateFile(path, bytes);
  return path;
}
