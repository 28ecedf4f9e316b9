import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded database and the files SQLite keeps beside it in WAL mode. They hold every
 * recorded conversation and each organization's signing keys, so only the edge's own user may
 * read them (BRIEF: every file 0600 in a 0700 folder).
 */
export const DATABASE_FILE = 'edge.db';
export const DATABASE_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`] as const;

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

export type DataFolderResult = { ok: true; warnings: string[] } | { ok: false; error: string };

/**
 * Makes the data folder 0700 and the database files 0600 before the database is opened: creates
 * what is missing with those modes, and tightens what an earlier version (or an operator's umask)
 * left readable by others, saying so. The database file is created here, empty, because SQLite
 * gives its -wal and -shm files the mode of the database file (unix VFS, findCreateFileMode), not
 * the process umask's.
 */
export function secureDataFolder(dir: string): DataFolderResult {
  const warnings: string[] = [];
  const tighten = (path: string, wanted: number, why: string): string | null => {
    const mode = statSync(path).mode;
    if ((mode & 0o077) === 0) return null;
    try {
      chmodSync(path, wanted);
    } catch (error) {
      return `Cannot make "${path}" ${octal(wanted)} (it is ${octal(mode)}, ${why}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; run "chmod ${octal(wanted).slice(1)} ${path}" as its owner`;
    }
    warnings.push(`Tightened "${path}" from ${octal(mode)} to ${octal(wanted)}: ${why}`);
    return null;
  };
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    else {
      if (!statSync(dir).isDirectory())
        return { ok: false, error: `Cannot use "${dir}": it is not a folder` };
      const error = tighten(dir, 0o700, 'other local users could list and open the database files');
      if (error) return { ok: false, error };
    }
    for (const name of DATABASE_FILES) {
      const path = join(dir, name);
      if (!existsSync(path)) continue;
      const error = tighten(
        path,
        0o600,
        'other local users could read every conversation and the signing keys in it',
      );
      if (error) return { ok: false, error };
    }
    const database = join(dir, DATABASE_FILE);
    if (!existsSync(database)) closeSync(openSync(database, 'a', 0o600));
  } catch (error) {
    return { ok: false, error: `Cannot prepare the data folder "${dir}": ${(error as Error).message}` };
  }
  return { ok: true, warnings };
}
