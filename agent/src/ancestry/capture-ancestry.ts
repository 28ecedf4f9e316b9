import { AncestryError } from './errors.ts';
import type { HashCache } from './hash-cache.ts';
import { createLinuxProcessReader } from './linux-reader.ts';
import type { ProcessReader } from './process-reader.ts';
import type { Ancestry } from './types.ts';
import { walkAncestry } from './walk.ts';

export interface CaptureAncestryOptions {
  hashCache: HashCache;
  /** Root for /proc reads on Linux ('/' by default; a synthetic tree in tests). */
  root?: string;
  /** Defaults to the running OS. */
  platform?: string;
  /** Overrides the platform reader (tests). */
  reader?: ProcessReader;
  maxDepth?: number;
}

/**
 * The ancestry of `pid` up to a process without a parent (PID 1 on Linux and macOS, System or an
 * orphan on Windows), every executable hashed. Throws `UNSUPPORTED_PLATFORM` where no reader
 * exists or its native library cannot be loaded.
 */
export async function captureAncestry(pid: number, options: CaptureAncestryOptions): Promise<Ancestry> {
  const reader =
    options.reader ?? (await createProcessReader(options.platform ?? process.platform, options.root));
  return walkAncestry(pid, reader, {
    hashCache: options.hashCache,
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
  });
}

/** The reader for `platform`; the macOS and Windows FFI readers are loaded only on their OS. */
export async function createProcessReader(platform: string, root?: string): Promise<ProcessReader> {
  switch (platform) {
    case 'linux':
      return createLinuxProcessReader(root === undefined ? {} : { root });
    case 'darwin':
      return (await import('./darwin-ffi-reader.ts')).createDarwinProcessReader();
    case 'win32':
      return (await import('./win32-ffi-reader.ts')).createWin32ProcessReader();
    default:
      throw new AncestryError('UNSUPPORTED_PLATFORM', `Cannot read process ancestry on "${platform}"`);
  }
}
