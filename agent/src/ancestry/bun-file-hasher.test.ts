import { afterAll, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBunFileHasher } from './bun-file-hasher.ts';
import type { AncestryError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ceros-hasher-'));
const hasher = createBunFileHasher({ workers: 2, inlineBelowBytes: 1024 });
afterAll(() => {
  hasher.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The independent reference: coreutils. */
function sha256sum(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? '';
}

test('createBunFileHasher() matches sha256sum on the running executable, which Bun.mmap cannot open', async () => {
  const self = `/proc/${process.pid}/exe`;
  expect(await hasher.hash(self, 1 << 30)).toBe(sha256sum(self));
});

test('createBunFileHasher() matches sha256sum for small, empty and odd-sized files on both paths', async () => {
  const files: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['small', Buffer.from('hello')],
    ['odd', Buffer.alloc(3 * (1 << 20) + 7, 0x5a)],
  ];
  for (const [name, bytes] of files) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const expected = sha256sum(path);
    expect(await hasher.hash(path, bytes.length)).toBe(expected);
    // Claiming a large size sends it to a worker; a small one keeps it inline.
    expect(await hasher.hash(path, 1 << 30)).toBe(expected);
  }
});

test('createBunFileHasher() rejects an unreadable file with HASH_FAILED and keeps working', async () => {
  const missing = join(dir, 'missing');
  const error = (await hasher.hash(missing, 1 << 30).catch((e: unknown) => e)) as AncestryError;
  expect(error.code).toBe('HASH_FAILED');
  expect(error.message).toContain('ENOENT');
  const inline = (await hasher.hash(missing, 1).catch((e: unknown) => e)) as AncestryError;
  expect(inline.code).toBe('HASH_FAILED');
  const path = join(dir, 'after');
  writeFileSync(path, 'still works');
  expect(await hasher.hash(path, 1 << 30)).toBe(sha256sum(path));
});

test('createBunFileHasher() hashes many files at once across its workers', async () => {
  const paths = Array.from({ length: 8 }, (_, i) => {
    const path = join(dir, `many-${i}`);
    writeFileSync(path, Buffer.alloc(50_000 + i, i));
    return path;
  });
  const hashes = await Promise.all(paths.map((p) => hasher.hash(p, 1 << 30)));
  expect(hashes).toEqual(paths.map(sha256sum));
});
