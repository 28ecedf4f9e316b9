import type { PathGlob } from '../glob/path-glob.ts';
import type { ReaddirFn } from '../paths/readdir.ts';
import { normaliseAbsolute, type RealpathFn, safeRealpath } from '../paths/resolve.ts';

/**
 * What a shell glob or a recursion can reach on the real file system, through the injected
 * readdir: the names a glob expands to (so a symlink below its literal prefix, `PROJ/*` with
 * `PROJ/keys -> ~/.ssh`, is resolved like any path), and the symlinks a recursion that follows
 * links (`grep -R`, `cp -rL`, `tar -h`) walks through. Both are bounded; past the bound the
 * answer is marked truncated and the caller treats the rest as unknown.
 */
export const MAX_LISTED_ENTRIES = 50_000;
export const MAX_GLOB_MATCHES = 512;

/** Folder entries one evaluate() call may list, shared by every glob and recursion in it. */
export interface DiskBudget {
  entries: number;
}

export interface Reach {
  paths: string[];
  truncated: boolean;
  /** Every folder a wildcard was matched in could be listed (it exists and is readable). */
  listed?: boolean;
}

/** Bash-style expansion: literal segments are appended, patterns match a folder's names, `**` descends (not through links). */
export function expandGlob(glob: PathGlob, readdir: ReaddirFn, budget: DiskBudget): Reach {
  let truncated = false;
  let listed = true;
  const list = (dir: string) => {
    const found = readdir(dir);
    if (!found) listed = false;
    const entries = found ?? [];
    budget.entries -= entries.length;
    if (budget.entries < 0) truncated = true;
    return entries;
  };
  let current = [glob.prefixSegments.length > 0 ? `/${glob.prefixSegments.join('/')}` : '/'];
  const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
  for (const segment of glob.segments.slice(glob.prefixSegments.length)) {
    const next: string[] = [];
    for (const dir of current) {
      if (truncated || next.length > MAX_GLOB_MATCHES) {
        truncated = true;
        break;
      }
      if (segment.kind === 'literal') next.push(join(dir, segment.text));
      else if (segment.kind === 'pattern') {
        for (const entry of list(dir))
          if (entry.name !== '.' && entry.name !== '..' && segment.re.test(entry.name))
            next.push(join(dir, entry.name));
      } else {
        const queue = [dir];
        while (queue.length > 0 && !truncated) {
          const folder = queue.shift() as string;
          next.push(folder);
          for (const entry of list(folder)) if (entry.kind === 'dir') queue.push(join(folder, entry.name));
        }
      }
    }
    current = next;
  }
  if (current.length > MAX_GLOB_MATCHES) truncated = true;
  return { paths: current.slice(0, MAX_GLOB_MATCHES), truncated, listed };
}

/**
 * The symlinks a listing of `root` names (folders walked, links not entered), whose own name
 * `accepts`: what a program opening `find` or `ls` results follows.
 */
export function listedLinks(
  root: string,
  readdir: ReaddirFn,
  accepts: (name: string) => boolean,
  depth: 'all' | 1,
  folders: boolean,
  budget: DiskBudget,
): Reach {
  const links: string[] = [];
  const queue: Array<[string, number]> = [[normaliseAbsolute(root), 1]];
  while (queue.length > 0) {
    const [dir, level] = queue.shift() as [string, number];
    const entries = readdir(dir) ?? [];
    budget.entries -= entries.length;
    if (budget.entries < 0 || links.length > MAX_GLOB_MATCHES) return { paths: links, truncated: true };
    for (const entry of entries) {
      const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      // Opening a link to a folder reads nothing unless the program recurses into it.
      if (entry.kind === 'symlink' && accepts(entry.name) && (folders || readdir(path) === undefined))
        links.push(path);
      else if (entry.kind === 'dir' && (depth === 'all' || level < depth)) queue.push([path, level + 1]);
    }
  }
  return { paths: links, truncated: false };
}

/**
 * The symlinks a recursion that follows links meets below `root`, including links found inside
 * the folders other links lead to (each real folder is walked once).
 */
export function linksBelow(
  root: string,
  readdir: ReaddirFn,
  realpath: RealpathFn,
  budget: DiskBudget,
): Reach {
  const links: string[] = [];
  const seen = new Set<string>();
  const queue = [normaliseAbsolute(root)];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    const real = safeRealpath(dir, realpath);
    if (seen.has(real)) continue;
    seen.add(real);
    const entries = readdir(dir) ?? [];
    budget.entries -= entries.length;
    if (budget.entries < 0 || links.length > MAX_GLOB_MATCHES) return { paths: links, truncated: true };
    for (const entry of entries) {
      const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (entry.kind === 'dir') queue.push(path);
      else if (entry.kind === 'symlink') {
        links.push(path);
        queue.push(path);
      }
    }
  }
  return { paths: links, truncated: false };
}
