import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../cli/command.ts';
import { POSTURE_HELP, runPosture } from './posture.ts';

/** Live tests hash real binaries and spawn processes on 2 shared cores: allow for a busy machine. */
const LIVE_TIMEOUT_MS = 30_000;

const home = mkdtempSync(join(tmpdir(), 'ceros-posture-cmd-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const ctx: CommandContext = {
  env: { ...process.env, CEROS_HOME: home },
  cwd: process.cwd(),
  readStdin: async () => '',
  progress: () => undefined,
};

test('runPosture() prints its help', async () => {
  expect(await runPosture(['--help'], ctx)).toEqual({ stdout: POSTURE_HELP, stderr: '', exitCode: 0 });
});

test('runPosture() rejects an unknown option with the usage exit code', async () => {
  const result = await runPosture(['--bogus'], ctx);
  expect(result.exitCode).toBe(64);
  expect(result.stderr).toStartWith('ceros posture: Unknown option "--bogus"');
  expect((await runPosture(['--project'], ctx)).stderr).toStartWith(
    'ceros posture: Missing a value after "--project"',
  );
});

test.if(process.platform === 'linux')(
  'runPosture() prints every probe with its time, then answers from a private hash cache',
  async () => {
    const first = await runPosture([], ctx);
    expect(first.exitCode).toBe(0);
    for (const probe of ['diskEncryption', 'secureBoot', 'endpointProtection', 'claudeCode'])
      expect(first.stdout).toMatch(new RegExp(`\\n  ${probe} +(ok|failed|unknown) +[0-9.]+ ms`));
    expect(first.stdout).toContain('Posture digest   ');
    const cacheFile = join(home, 'cache', 'exe-hashes.json');
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'cache')).mode & 0o777).toBe(0o700);

    const second = JSON.parse((await runPosture(['--json'], ctx)).stdout) as {
      hashCache: { misses: number; hits: number };
      posture: { probes: Record<string, { status: string; ms: number }> };
      postureDigest: string;
      ancestry: { chain: { pid: number }[] };
    };
    expect(second.hashCache.misses).toBe(0);
    expect(second.hashCache.hits).toBeGreaterThan(0);
    expect(second.postureDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(second.ancestry.chain[0]?.pid).toBe(process.pid);
    expect(second.posture.probes.diskEncryption?.status).not.toBe('ok');
  },
  LIVE_TIMEOUT_MS,
);

test.if(process.platform === 'linux')(
  'runPosture() --no-cache neither reads nor writes the cache file',
  async () => {
    const other = mkdtempSync(join(tmpdir(), 'ceros-posture-nocache-'));
    try {
      const result = await runPosture(['--no-cache', '--json'], {
        ...ctx,
        env: { ...ctx.env, CEROS_HOME: other },
      });
      const body = JSON.parse(result.stdout) as { hashCache: { file: string | null; hits: number } };
      expect(body.hashCache).toMatchObject({ file: null, hits: 0 });
      expect(() => statSync(join(other, 'cache'))).toThrow();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  },
  LIVE_TIMEOUT_MS,
);
