import { posix } from 'node:path';
import { createFakeRealpath, normaliseAbsolute } from './resolve.ts';

/**
 * Lists a folder for glob expansion and for recursions that follow symlinks. Injected by the
 * agent (it does the I/O, `agent/src/policy-cli/readdir.ts`); tests pass `createFakeReaddir`.
 * The folder itself is reached through symlinks (like `ls link/`); each entry's kind is its own
 * (`lstat`: a symlink is reported as one). Undefined when the path is not a readable folder.
 * Must not throw; evaluate() fails closed if it does.
 */
export type ReaddirFn = (absolutePath: string) => readonly DirEntry[] | undefined;

export interface DirEntry {
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
}

/**
 * A pure readdir over a list of files and the symlink table `createFakeRealpath` takes: every
 * file's ancestors are folders, every link is an entry of its folder, and a folder reached
 * through a link lists its target.
 */
export function createFakeReaddir(
  files: readonly string[],
  links: Readonly<Record<string, string>> = {},
): ReaddirFn {
  const realpath = createFakeRealpath(links);
  const folders = new Map<string, Map<string, DirEntry['kind']>>();
  const add = (path: string, kind: DirEntry['kind']) => {
    const normal = normaliseAbsolute(path);
    if (normal === '/') return;
    const parent = posix.dirname(normal);
    const name = posix.basename(normal);
    let entries = folders.get(parent);
    if (!entries) {
      entries = new Map();
      folders.set(parent, entries);
      add(parent, 'dir');
    }
    const before = entries.get(name);
    if (before === undefined || (before === 'file' && kind === 'dir')) entries.set(name, kind);
  };
  for (const file of files) add(file, 'file');
  for (const link of Object.keys(links)) add(link, 'symlink');
  for (const [folder] of folders) if (folder !== '/') add(folder, 'dir');
  return (path) => {
    const entries = folders.get(realpath(path));
    return entries ? [...entries].map(([name, kind]) => ({ name, kind })) : undefined;
  };
}
