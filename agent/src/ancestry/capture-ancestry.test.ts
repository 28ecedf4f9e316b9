import { afterAll, expect, test } from 'bun:test';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBunFileHasher } from './bun-file-hasher.ts';
import { captureAncestry } from './capture-ancestry.ts';
import { ancestryDigest } from './digest.ts';
import { createHashCache } from './hash-cache.ts';

/** Live tests hash real binaries and spawn processes on 2 shared cores: allow for a busy machine. */
const LIVE_TIMEOUT_MS = 30_000;

const isLinux = process.platform === 'linux';
const dir = mkdtempSync(join(tmpdir(), 'ceros-ancestry-'));
const hasher = createBunFileHasher();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  hasher.close();
  rmSync(dir, { recursive: true, force: true });
});

function sha256sum(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? '';
}

async function spawnSleeper(name: string): Promise<ChildProcess> {
  const path = join(dir, name);
  copyFileSync('/bin/sleep', path);
  const child = spawn(path, ['30'], { stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child;
}

test.if(isLinux)(
  'captureAncestry() follows a process named "a (b) c" up to PID 1 with sha256sum-matching hashes',
  async () => {
    const child = await spawnSleeper('a (b) c');
    const pid = child.pid as number;
    const hashCache = createHashCache({ file: null, hashFile: hasher });
    const ancestry = await captureAncestry(pid, { hashCache });

    const [first, second] = ancestry.chain;
    expect(first).toMatchObject({ pid, ppid: process.pid, name: 'a (b) c', exe: join(dir, 'a (b) c') });
    expect(first?.argv).toEqual([join(dir, 'a (b) c'), '30']);
    expect(first?.sha256).toBe(sha256sum('/bin/sleep'));
    expect(second?.pid).toBe(process.pid);
    expect(second?.sha256).toBe(sha256sum(process.execPath));
    expect(ancestry.chain.at(-1)?.pid).toBe(1);
    expect(ancestry.complete).toBe(true);
    for (const [i, process] of ancestry.chain.entries()) {
      // Each link's parent is the next link.
      if (i + 1 < ancestry.chain.length) expect(process.ppid).toBe(ancestry.chain[i + 1]?.pid as number);
      // Every hash that was taken agrees with an independent one of the running image.
      if (process.sha256 !== null) expect(process.sha256).toBe(sha256sum(`/proc/${process.pid}/exe`));
      else expect(process.hashError).toBeString();
    }
  },
  LIVE_TIMEOUT_MS,
);

test.if(isLinux)(
  'captureAncestry() gives the same digest twice and answers the second time from the cache',
  async () => {
    const child = await spawnSleeper('digest-sleeper');
    const hashCache = createHashCache({ file: null, hashFile: hasher });
    const pid = child.pid as number;
    const cold = await captureAncestry(pid, { hashCache });
    const warm = await captureAncestry(pid, { hashCache });
    expect(ancestryDigest(warm)).toBe(ancestryDigest(cold));
    expect(ancestryDigest(warm)).toMatch(/^[0-9a-f]{64}$/);
    expect(warm.chain.every((p) => p.hashMs === 0)).toBe(true);
  },
  LIVE_TIMEOUT_MS,
);

test('captureAncestry() rejects an unknown platform with UNSUPPORTED_PLATFORM', async () => {
  const hashCache = createHashCache({ file: null, hashFile: hasher });
  const error = await captureAncestry(1, { hashCache, platform: 'plan9' }).catch((e: unknown) => e);
  expect((error as { code?: string }).code).toBe('UNSUPPORTED_PLATFORM');
});
