import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCheckpoint } from '@ceros/protocol';
import { buildFixtureExport, LedgerFixture } from '../../../protocol/src/testing/ledger-fixture.ts';
import type { CommandContext } from '../cli/command.ts';
import { runVerify } from './verify.ts';

const fixtures = join(import.meta.dir, '../../../tests/fixtures/export');
const keys = (await import('../../../tests/fixtures/export/keys.json')).default;
const progress: string[] = [];
const ctx: CommandContext = {
  env: {},
  cwd: fixtures,
  readStdin: async () => '',
  progress: (line) => progress.push(line),
};
const file = (name: string) => join(fixtures, name);

describe('ceros verify', () => {
  test('ceros verify exits 0 on the golden export and reports period, counts, devices and users', async () => {
    const r = await runVerify(
      [file('valid.json'), '--log-key', keys.logKey, '--witness-key', keys.witnessKey],
      ctx,
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('ceros verify: OK');
    expect(r.stdout).toContain('leaves       8 .. 24 (16 entries)');
    expect(r.stdout).toContain('devices      2: laptop-7 (tpm');
    expect(r.stdout).toContain('users        2: alice@example.com, bob@example.com');
    expect(r.stdout).toContain('witnessed    witness.ceros.test/w1 at ');
  });

  test('ceros verify exits 3 and names the entry and the reason of an edited payload', async () => {
    const r = await runVerify([file('tampered/edited-payload.json'), '--log-key', keys.logKey], ctx);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('FAILED BAD_SIGNATURE');
    expect(r.stderr).toMatch(/entry 2 \(leaf 10\): device "mac-3" seq 4 session "sess-b" type "tool.call"/);
  });

  test('ceros verify --json prints the report and keeps the exit code', async () => {
    const r = await runVerify(
      [file('tampered/truncated-tail.json'), '--log-key', keys.logKey, '--json'],
      ctx,
    );
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, code: 'SIZE_MISMATCH' });
    const good = await runVerify([file('valid.json'), '--log-key', keys.logKey, '--json'], ctx);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, counts: { entries: 16 } });
  });

  test('ceros verify with a witness key fails an export whose cosignature was stripped', async () => {
    const args = [file('tampered/stripped-cosignature.json'), '--log-key', keys.logKey];
    expect((await runVerify(args, ctx)).exitCode).toBe(0);
    const r = await runVerify([...args, '--witness-key', keys.witnessKey], ctx);
    expect([r.exitCode, r.stderr.split('\n')[0]]).toEqual([
      3,
      `ceros verify: FAILED MISSING_COSIGNATURE in ${args[0]}`,
    ]);
  });

  test('ceros verify takes the log key from CEROS_LOG_KEY and refuses to run without one', async () => {
    const r = await runVerify([file('valid.json')], { ...ctx, env: { CEROS_LOG_KEY: keys.logKey } });
    expect(r.exitCode).toBe(0);
    const none = await runVerify([file('valid.json')], ctx);
    expect([none.exitCode, none.stderr]).toEqual([64, expect.stringContaining('--log-key is required')]);
  });

  test('ceros verify checks signatures on worker threads and agrees with the in-process check', async () => {
    const { fixture, doc } = await buildFixtureExport({ entries: 3000 });
    const dir = mkdtempSync(join(tmpdir(), 'ceros-verify-'));
    const path = join(dir, 'export.json');
    writeFileSync(path, JSON.stringify(doc));
    const threaded = await runVerify([path, '--log-key', fixture.logKey, '--threads', '2'], ctx);
    expect(threaded.exitCode).toBe(0);
    expect(threaded.stdout).toContain('3000 checked (every entry, 2 threads)');
    const bad = JSON.parse(JSON.stringify(doc));
    bad.entries[2500].payload.outputBytes = 1;
    writeFileSync(path, JSON.stringify(bad));
    const r = await runVerify([path, '--log-key', fixture.logKey, '--threads', '2', '--json'], ctx);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE', entry: { index: 2500 } });
    const fast = await runVerify([path, '--log-key', fixture.logKey, '--fast', '--json'], ctx);
    expect(JSON.parse(fast.stdout)).toMatchObject({ ok: false, entry: { index: 2500 } });
  });

  test('ceros verify --checkpoint catches a fork against a checkpoint the auditor holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ceros-verify-'));
    const vectors = (await import('../../../tests/fixtures/export/spec-vectors.json')).default;
    const genuine = join(dir, 'genuine.note');
    writeFileSync(genuine, vectors.checkpoint.note);
    expect(
      (await runVerify([file('valid.json'), '--log-key', keys.logKey, '--checkpoint', genuine], ctx))
        .exitCode,
    ).toBe(0);
    // The same log key (fixed seed) signing another root for size 24: what a forking log shows another client.
    const log = new LedgerFixture().logSigner;
    const forked = join(dir, 'forked.note');
    writeFileSync(
      forked,
      signCheckpoint(
        { origin: keys.origin, size: 24, rootHash: new Uint8Array(32).fill(9), extensions: [] },
        log,
      ),
    );
    const r = await runVerify([file('valid.json'), '--log-key', keys.logKey, '--checkpoint', forked], ctx);
    expect([r.exitCode, r.stderr]).toEqual([3, expect.stringContaining('FAILED SPLIT_VIEW')]);
  });

  test('ceros verify answers usage errors with 64 and a missing file with 1', async () => {
    expect((await runVerify([], ctx)).exitCode).toBe(64);
    expect((await runVerify(['a.json', 'b.json', '--log-key', 'k'], ctx)).exitCode).toBe(64);
    expect((await runVerify(['a.json', '--bogus'], ctx)).exitCode).toBe(64);
    expect((await runVerify(['/nonexistent.json', '--log-key', keys.logKey], ctx)).exitCode).toBe(1);
    expect((await runVerify(['--help'], ctx)).stdout).toContain('Usage: ceros verify FILE');
  });

  test('ceros verify names a file that is not JSON as MALFORMED_EXPORT', async () => {
    const r = await runVerify(
      ['x.json', '--log-key', keys.logKey],
      { ...ctx },
      { readFile: async () => '{nope' },
    );
    expect([r.exitCode, r.stderr]).toEqual([3, expect.stringContaining('FAILED MALFORMED_EXPORT')]);
  });
});
