import { expect, test } from 'bun:test';
import type { FileHasher } from './hash-cache.ts';
import { createHashCache } from './hash-cache.ts';
import { createFakeProcessReader, type RawProcess } from './process-reader.ts';
import { walkAncestry } from './walk.ts';

function raw(pid: number, ppid: number | null, start: bigint, extra: Partial<RawProcess> = {}): RawProcess {
  return {
    pid,
    ppid,
    start,
    startedAt: null,
    uid: '1000',
    name: `p${pid}`,
    exe: null,
    argv: [`p${pid}`],
    hashPath: null,
    notes: [],
    ...extra,
  };
}

/** Hashes nothing: every executable here is unknown, so the cache is never asked. */
const nullHasher: FileHasher = { hash: async () => 'unused', close: () => undefined };
const hashCache = createHashCache({ file: null, hashFile: nullHasher });

test('walkAncestry() follows parents up to a process without a parent', async () => {
  const table = new Map([
    [30, raw(30, 20, 300n)],
    [20, raw(20, 1, 200n)],
    [1, raw(1, 0, 1n)],
  ]);
  const ancestry = await walkAncestry(30, createFakeProcessReader(table), { hashCache });
  expect(ancestry.chain.map((p) => p.pid)).toEqual([30, 20, 1]);
  expect(ancestry.complete).toBe(true);
  expect(ancestry.stop).toBe('root');
  expect(ancestry.chain[0]?.hashError).toBe('executable path unknown');
});

test('walkAncestry() stops at a parent that started after its child: the pid was reused', async () => {
  const table = new Map([
    [30, raw(30, 20, 300n)],
    [20, raw(20, 1, 999n)],
  ]);
  const ancestry = await walkAncestry(30, createFakeProcessReader(table), { hashCache });
  expect(ancestry.chain.map((p) => p.pid)).toEqual([30]);
  expect(ancestry.complete).toBe(false);
  expect(ancestry.stop).toBe('parent-pid-reused');
  expect(ancestry.chain[0]?.notes?.[0]).toContain('reused');
});

test('walkAncestry() reports a parent that exited', async () => {
  const ancestry = await walkAncestry(30, createFakeProcessReader(new Map([[30, raw(30, 20, 300n)]])), {
    hashCache,
  });
  expect(ancestry.stop).toBe('parent-exited');
  expect(ancestry.complete).toBe(false);
});

test('walkAncestry() reports a missing starting process', async () => {
  const ancestry = await walkAncestry(5, createFakeProcessReader(new Map()), { hashCache });
  expect(ancestry).toMatchObject({ chain: [], complete: false, stop: 'not-found' });
});

test('walkAncestry() drops a hash when the process was replaced while it was hashed', async () => {
  const table = new Map([[10, raw(10, 0, 100n, { hashPath: '/bin/sh', exe: '/bin/sh' })]]);
  const replacing: FileHasher = {
    hash: async () => {
      // The process exits and its pid is reused during the hash.
      table.set(10, raw(10, 0, 500n));
      return 'f'.repeat(64);
    },
    close: () => undefined,
  };
  const cache = createHashCache({ file: null, hashFile: replacing });
  const ancestry = await walkAncestry(10, createFakeProcessReader(table), { hashCache: cache });
  expect(ancestry.chain[0]?.sha256).toBeNull();
  expect(ancestry.chain[0]?.hashError).toContain('reused');
});

test('walkAncestry() redacts secrets from command lines', async () => {
  const table = new Map([[10, raw(10, 0, 1n, { argv: ['claude', '--api-key', 'sk-ant-xyz'] })]]);
  const ancestry = await walkAncestry(10, createFakeProcessReader(table), { hashCache });
  expect(ancestry.chain[0]?.argv).toEqual(['claude', '--api-key', '[REDACTED]']);
  expect(ancestry.chain[0]?.redactions).toBe(1);
});

test('walkAncestry() cuts a chain that loops at the maximum depth', async () => {
  const table = new Map([
    [2, raw(2, 3, 10n)],
    [3, raw(3, 2, 10n)],
  ]);
  const ancestry = await walkAncestry(2, createFakeProcessReader(table), { hashCache, maxDepth: 5 });
  expect(ancestry.chain).toHaveLength(5);
  expect(ancestry.stop).toBe('max-depth');
});
