import { posix } from 'node:path';

/**
 * Resolves symlinks in an absolute path through its deepest existing ancestor and returns the
 * result (the non-existing tail appended unchanged). Injected by the agent (it does the I/O);
 * tests pass `createFakeRealpath`. Must not throw; evaluate() guards it anyway.
 */
export type RealpathFn = (absolutePath: string) => string;

/** Lexical absolute form: `.`/`..` collapsed, duplicate and trailing slashes removed. */
export function normaliseAbsolute(path: string): string {
  // Fast path: already normal (the common case for paths that went through here before).
  if (path.startsWith('/') && !/\/\/|\/\.\.?(?:\/|$)|.\/$/.test(path)) return path;
  const normal = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

export function joinPath(base: string, relative: string): string {
  if (relative.startsWith('/')) return normaliseAbsolute(relative);
  return normaliseAbsolute(`${base}/${relative}`);
}

/**
 * The path the kernel would open: `..` is applied after resolving the symlinks before it
 * (`link/../x` climbs out of the link's target, not out of `link`'s folder), then the whole
 * path goes through realpath.
 */
export function resolvePhysical(base: string, path: string, realpath: RealpathFn): string {
  const absolute = path.startsWith('/') ? path : `${base}/${path}`;
  let current = '/';
  let pending = false;
  for (const part of absolute.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = posix.dirname(safeRealpath(current, realpath));
      pending = false;
      continue;
    }
    current = current === '/' ? `/${part}` : `${current}/${part}`;
    pending = true;
  }
  return pending || current !== '/' ? safeRealpath(current, realpath) : '/';
}

/**
 * Calls the injected realpath and checks its answer. It does not swallow errors: a path that
 * cannot be resolved could be a symlink to anything, so evaluate() fails closed on it.
 */
export function safeRealpath(path: string, realpath: RealpathFn): string {
  const out = realpath(path);
  if (typeof out !== 'string' || !out.startsWith('/'))
    throw new Error(`Cannot resolve "${path}": realpath returned ${JSON.stringify(out)}`);
  return normaliseAbsolute(out);
}

/**
 * A pure realpath over a table of symlinks (`link -> target`, targets absolute or relative to
 * the link's folder). Every path "exists", so resolution walks the whole path. Loops stop after
 * 40 hops, like ELOOP.
 */
export function createFakeRealpath(links: Readonly<Record<string, string>>): RealpathFn {
  const table = new Map<string, string>();
  for (const [link, target] of Object.entries(links)) table.set(normaliseAbsolute(link), target);
  return (input: string): string => {
    let remaining = normaliseAbsolute(input).split('/').filter(Boolean);
    let current = '/';
    let hops = 0;
    while (remaining.length > 0) {
      const [head, ...rest] = remaining;
      remaining = rest;
      if (head === '..') {
        current = posix.dirname(current);
        continue;
      }
      const candidate = current === '/' ? `/${head}` : `${current}/${head}`;
      const target = table.get(candidate);
      if (target !== undefined && hops < 40) {
        hops++;
        const absolute = target.startsWith('/') ? target : `${current}/${target}`;
        remaining = [...normaliseAbsolute(absolute).split('/').filter(Boolean), ...remaining];
        current = '/';
        continue;
      }
      current = candidate;
    }
    return current;
  };
}
