import { readdirSync } from 'node:fs';
import type { DirEntry, ReaddirFn } from '@ceros/policy';

/**
 * The real ReaddirFn for evaluate(): the folder is reached through symlinks, each entry reports
 * its own kind (a symlink stays a symlink). A path that is not a readable folder lists nothing.
 */
export const readdirEntries: ReaddirFn = (path) => {
  try {
    return readdirSync(path, { withFileTypes: true }).map(
      (entry): DirEntry => ({
        name: entry.name,
        kind: entry.isSymbolicLink()
          ? 'symlink'
          : entry.isDirectory()
            ? 'dir'
            : entry.isFile()
              ? 'file'
              : 'other',
      }),
    );
  } catch {
    return undefined;
  }
};
