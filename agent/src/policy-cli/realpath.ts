import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The real RealpathFn for evaluate(): resolves symlinks through the deepest existing ancestor,
 * so `project/link/new-file` resolves `link` even though `new-file` does not exist yet.
 */
export function realpathDeepest(path: string): string {
  const absolute = resolve('/', path);
  let existing = absolute;
  const tail: string[] = [];
  for (let hops = 0; hops < 4096; hops++) {
    try {
      const real = realpathSync.native(existing);
      return tail.length > 0 ? resolve(real, ...tail.reverse()) : real;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return absolute;
      tail.push(existing.slice(parent.length).replace(/^\//, ''));
      existing = parent;
    }
  }
  return absolute;
}
