import { afterAll, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AncestryError } from './errors.ts';
import { createHashCache, type FileHasher } from './hash-cache.ts';
import { createNodeFileHasher } from './node-file-hasher.ts';

const dir = mkdtempSync(join(tmpdir(), 'ceros-hash-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The node hasher, counting how often it really reads a file. */
function countingHasher(): FileHasher & { calls: number } {
  const inner = createNodeFileHasher();
  const counter = {
    calls: 0,
    hash: (path: string, size: number) => {
      counter.calls++;
      return inner.hash(path, size);
    },
    close: () => undefined,
  };
  return counter;
}

const SHA256_OF_HELLO = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

test('createHashCache() hashes a file once and answers again from the cache', async () => {
  const file = join(dir, 'hello');
  writeFileSync(file, 'hello');
  const hasher = countingHasher();
  const cache = createHashCache({ file: null, hashFile: hasher });
  expect(await cache.hash(file)).toMatchObject({ sha256: SHA256_OF_HELLO, size: 5, cached: false });
  expect(await cache.hash(file)).toMatchObject({ sha256: SHA256_OF_HELLO, cached: true, ms: 0 });
  expect(hasher.calls).toBe(1);
  expect(cache.stats()).toEqual({ hits: 1, misses: 1, entries: 1 });
});

test('createHashCache() hashes again after the file is rewritten, even with its old mtime', async () => {
  const file = join(dir, 'rewritten');
  writeFileSync(file, 'hello');
  const { mtime } = statSync(file);
  const hasher = countingHasher();
  const cache = createHashCache({ file: null, hashFile: hasher });
  await cache.hash(file);
  writeFileSync(file, 'HELLO');
  utimesSync(file, mtime, mtime);
  const second = await cache.hash(file);
  expect(second.cached).toBe(false);
  expect(second.sha256).not.toBe(SHA256_OF_HELLO);
  expect(hasher.calls).toBe(2);
});

test('createHashCache() shares one hashing between concurrent requests for the same file', async () => {
  const file = join(dir, 'concurrent');
  writeFileSync(file, 'hello');
  const hasher = countingHasher();
  const cache = createHashCache({ file: null, hashFile: hasher });
  const results = await Promise.all([cache.hash(file), cache.hash(file), cache.hash(file)]);
  expect(new Set(results.map((r) => r.sha256))).toEqual(new Set([SHA256_OF_HELLO]));
  expect(hasher.calls).toBe(1);
});

test('createHashCache() refuses a hash when the file changes while it is read', async () => {
  const file = join(dir, 'changing');
  writeFileSync(file, 'hello');
  const changing: FileHasher = {
    hash: async () => {
      writeFileSync(file, 'changed underneath');
      return SHA256_OF_HELLO;
    },
    close: () => undefined,
  };
  const cache = createHashCache({ file: null, hashFile: changing });
  const error = await cache.hash(file).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AncestryError);
  expect((error as AncestryError).code).toBe('FILE_CHANGED');
  expect(cache.stats().entries).toBe(0);
});

test('createHashCache() reports a missing file with HASH_FAILED', async () => {
  const cache = createHashCache({ file: null, hashFile: countingHasher() });
  const error = await cache.hash(join(dir, 'absent')).catch((e: unknown) => e);
  expect((error as AncestryError).code).toBe('HASH_FAILED');
});

test('createHashCache() persists to a 0600 file in a 0700 folder and loads it back', async () => {
  const cacheFile = join(dir, 'state', 'cache', 'exe-hashes.json');
  const file = join(dir, 'persisted');
  writeFileSync(file, 'hello');
  const first = createHashCache({ file: cacheFile, hashFile: countingHasher() });
  expect(first.load()).toEqual({ loaded: 0 });
  await first.hash(file);
  first.save();
  expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, 'state', 'cache')).mode & 0o777).toBe(0o700);
  const hasher = countingHasher();
  const second = createHashCache({ file: cacheFile, hashFile: hasher });
  expect(second.load()).toEqual({ loaded: 1 });
  expect(await second.hash(file)).toMatchObject({ sha256: SHA256_OF_HELLO, cached: true });
  expect(hasher.calls).toBe(0);
});

test('createHashCache() keeps entries another process saved meanwhile', async () => {
  const cacheFile = join(dir, 'merge', 'exe-hashes.json');
  const a = join(dir, 'merge-a');
  const b = join(dir, 'merge-b');
  writeFileSync(a, 'a');
  writeFileSync(b, 'b');
  const one = createHashCache({ file: cacheFile, hashFile: countingHasher() });
  const two = createHashCache({ file: cacheFile, hashFile: countingHasher() });
  one.load();
  two.load();
  await one.hash(a);
  await two.hash(b);
  one.save();
  two.save();
  const three = createHashCache({ file: cacheFile, hashFile: countingHasher() });
  expect(three.load()).toEqual({ loaded: 2 });
});

test('createHashCache() ignores a cache file that others can write', async () => {
  const cacheFile = join(dir, 'unsafe.json');
  writeFileSync(cacheFile, JSON.stringify({ v: 1, entries: {} }));
  chmodSync(cacheFile, 0o666);
  const cache = createHashCache({ file: cacheFile, hashFile: countingHasher() });
  expect(cache.load()).toEqual({ loaded: 0, ignored: 'mode 666 lets others write it' });
});

test('createHashCache() ignores a corrupt cache file and skips malformed entries', async () => {
  const corrupt = join(dir, 'corrupt.json');
  writeFileSync(corrupt, '{not json', { mode: 0o600 });
  expect(createHashCache({ file: corrupt, hashFile: countingHasher() }).load()).toEqual({
    loaded: 0,
    ignored: 'not valid JSON',
  });
  const partial = join(dir, 'partial.json');
  const good = { sha256: SHA256_OF_HELLO, size: 5, path: '/x', at: 1 };
  const body = {
    v: 1,
    entries: { '1:2:5:3:4': good, 'bad-key': good, '1:2:5:3:5': { ...good, sha256: 'zz' } },
  };
  writeFileSync(partial, JSON.stringify(body), { mode: 0o600 });
  expect(createHashCache({ file: partial, hashFile: countingHasher() }).load()).toEqual({ loaded: 1 });
  expect(readFileSync(partial, 'utf8')).toContain('bad-key');
});
