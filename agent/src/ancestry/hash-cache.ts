import { type BigIntStats, lstatSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cerosHome, writePrivateFile } from '../state/secure-fs.ts';
import { AncestryError } from './errors.ts';

/** Computes the SHA-256 of a file. The real one is `createBunFileHasher`; `createNodeFileHasher` runs anywhere. */
export interface FileHasher {
  /** Hex SHA-256 of the file's bytes; `size` (from the caller's stat) lets a pool balance work. */
  hash(path: string, size: number): Promise<string>;
  /** Releases workers; the hasher must not be used afterwards. */
  close(): void;
}

export interface HashOutcome {
  sha256: string;
  size: number;
  /** True when the hash came from the cache (no bytes were read). */
  cached: boolean;
  /** Time spent hashing (0 on a hit). */
  ms: number;
}

export interface CacheLoadReport {
  loaded: number;
  /** Set when the file was present but not used, and why. */
  ignored?: string;
}

export interface HashCache {
  /** The SHA-256 of the file at `path` now, from the cache when its identity is unchanged. */
  hash(path: string): Promise<HashOutcome>;
  /** Starts hashing files whose hash will be needed soon (Claude's and ceros's binaries). */
  prefetch(paths: readonly string[]): void;
  /** Reads the cache file; a missing file is an empty cache, an unsafe or corrupt one is ignored. */
  load(): CacheLoadReport;
  /** Writes new entries (merged with what another process saved meanwhile), 0600 in a 0700 folder. */
  save(): void;
  stats(): { hits: number; misses: number; entries: number };
  readonly file: string | null;
}

export interface HashCacheOptions {
  /** The cache file; null keeps the cache in memory only (`ceros posture --no-cache`, tests). */
  file: string | null;
  hashFile: FileHasher;
  /** Entries kept on save, least recently used dropped first. */
  maxEntries?: number;
  /** The uid that must own the cache file for it to be trusted (POSIX); omit on Windows. */
  owner?: number;
  now?: () => number;
}

interface Entry {
  sha256: string;
  size: number;
  /** Last path seen with this identity (informational). */
  path: string;
  /** Last use, ms since the epoch, for eviction. */
  at: number;
}

const CACHE_VERSION = 1;
export const DEFAULT_MAX_HASH_CACHE_ENTRIES = 4096;
const KEY_PATTERN = /^\d+:\d+:\d+:\d+:\d+$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** Where `ceros` keeps executable hashes between runs. */
export function defaultHashCacheFile(env: Readonly<Record<string, string | undefined>>): string {
  return join(cerosHome(env), 'cache', 'exe-hashes.json');
}

/**
 * The cache key: device, inode, size, mtime and ctime (nanoseconds). Replacing the file or
 * writing to it changes at least one of them, and ctime cannot be set back by the file's owner,
 * so a hit means the same bytes (short of root tampering with the clock or the block device).
 */
export function fileIdentityKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/**
 * A persistent cache of executable hashes keyed by file identity. Concurrent requests for the
 * same file share one hashing; a file whose identity changes while it is hashed is reported
 * (`FILE_CHANGED`) and not cached.
 */
export function createHashCache(options: HashCacheOptions): HashCache {
  const { file, hashFile } = options;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_HASH_CACHE_ENTRIES;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<HashOutcome>>();
  let hits = 0;
  let misses = 0;
  let dirty = false;

  const hash = async (path: string): Promise<HashOutcome> => {
    const before = await statFile(path);
    const key = fileIdentityKey(before);
    const entry = entries.get(key);
    if (entry) {
      hits++;
      entry.at = now();
      entry.path = path;
      return { sha256: entry.sha256, size: entry.size, cached: true, ms: 0 };
    }
    const running = inflight.get(key);
    if (running) return running;
    misses++;
    const work = (async (): Promise<HashOutcome> => {
      const started = performance.now();
      let sha256: string;
      try {
        sha256 = await hashFile.hash(path, Number(before.size));
      } catch (error) {
        if (error instanceof AncestryError) throw error;
        throw new AncestryError('HASH_FAILED', `Cannot hash "${path}": ${(error as Error).message}`);
      }
      const ms = performance.now() - started;
      const after = await statFile(path);
      if (fileIdentityKey(after) !== key)
        throw new AncestryError(
          'FILE_CHANGED',
          `Cannot trust the hash of "${path}": the file changed while it was read`,
        );
      entries.set(key, { sha256, size: Number(before.size), path, at: now() });
      dirty = true;
      return { sha256, size: Number(before.size), cached: false, ms };
    })();
    inflight.set(key, work);
    try {
      return await work;
    } finally {
      inflight.delete(key);
    }
  };

  const load = (): CacheLoadReport => {
    if (file === null) return { loaded: 0 };
    const read = readCacheFile(file, options.owner);
    if (read.ignored !== undefined) return { loaded: 0, ignored: read.ignored };
    for (const [key, entry] of read.entries) if (!entries.has(key)) entries.set(key, entry);
    return { loaded: read.entries.size };
  };

  const save = (): void => {
    if (file === null || !dirty) return;
    // Another ceros process (a hook) may have saved since we loaded: keep its entries too.
    const onDisk = readCacheFile(file, options.owner);
    for (const [key, entry] of onDisk.entries) if (!entries.has(key)) entries.set(key, entry);
    const kept = [...entries.entries()].sort((a, b) => b[1].at - a[1].at).slice(0, maxEntries);
    const body = { v: CACHE_VERSION, entries: Object.fromEntries(kept) };
    writePrivateFile(file, `${JSON.stringify(body)}\n`);
    dirty = false;
  };

  return {
    file,
    hash,
    prefetch: (paths) => {
      for (const path of paths) hash(path).catch(() => undefined);
    },
    load,
    save,
    stats: () => ({ hits, misses, entries: entries.size }),
  };
}

async function statFile(path: string): Promise<BigIntStats> {
  let st: BigIntStats;
  try {
    st = await stat(path, { bigint: true });
  } catch (error) {
    throw new AncestryError(
      'HASH_FAILED',
      `Cannot hash "${path}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (!st.isFile()) throw new AncestryError('HASH_FAILED', `Cannot hash "${path}": not a regular file`);
  return st;
}

function readCacheFile(
  file: string,
  owner: number | undefined,
): { entries: Map<string, Entry>; ignored?: string } {
  const entries = new Map<string, Entry>();
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(file);
  } catch {
    return { entries };
  }
  // A cache others can write could vouch for a swapped binary: only a private file is trusted.
  if (!st.isFile()) return { entries, ignored: 'not a regular file' };
  if ((st.mode & 0o022) !== 0)
    return { entries, ignored: `mode ${(st.mode & 0o777).toString(8)} lets others write it` };
  if (owner !== undefined && st.uid !== owner)
    return { entries, ignored: `owned by uid ${st.uid}, not ${owner}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { entries, ignored: 'not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== CACHE_VERSION)
    return { entries, ignored: `not a version ${CACHE_VERSION} cache` };
  const raw = (parsed as { entries?: unknown }).entries;
  if (typeof raw !== 'object' || raw === null) return { entries, ignored: 'no entries object' };
  for (const [key, value] of Object.entries(raw)) {
    if (!KEY_PATTERN.test(key) || typeof value !== 'object' || value === null) continue;
    const { sha256, size, path, at } = value as Record<string, unknown>;
    if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256)) continue;
    if (typeof size !== 'number' || typeof path !== 'string' || typeof at !== 'number') continue;
    entries.set(key, { sha256, size, path, at });
  }
  return { entries };
}
