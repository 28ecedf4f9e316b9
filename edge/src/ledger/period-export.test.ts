import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type AuditExport, type JournalEntry, verifyExport } from '@ceros/protocol';
import { runEdgeCli } from '../cli/run.ts';
import { addAdmin } from '../orgs.ts';
import { signInAdmin } from '../testing/test-edge.ts';
import { type LedgerEdge, ledgerEdge, sessionEntries } from './ledger-test-kit.ts';

const root = resolve(import.meta.dir, '../../..');
const ceros = join(root, 'dist', 'ceros');
const dir = mkdtempSync(join(tmpdir(), 'ceros-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // The compiled agent is what auditors run; build it when this checkout has none yet.
  if (existsSync(ceros)) return;
  const build = Bun.spawnSync([process.execPath, 'run', 'scripts/build.ts'], { cwd: root });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
}, 600_000);

const HOUR = 3600_000;

/**
 * Before the period: sessions a1 and b1 start. In it: both continue and a2 starts. After it: b1
 * goes on. So the export needs anchors and the certificates of sessions started earlier.
 */
async function periodEdge(options: Parameters<typeof ledgerEdge>[0] = {}) {
  const l = await ledgerEdge(options);
  const [a, b] = l.devices as [LedgerEdge['devices'][0], LedgerEdge['devices'][0]];
  const a1 = await sessionEntries(a, 'a1', 10);
  const b1 = await sessionEntries(b, 'b1', 12);
  await l.upload(a, a1.slice(0, 6));
  await l.upload(b, b1.slice(0, 4));
  l.edge.clock.advance(HOUR);
  const from = l.edge.clock.now();
  await l.upload(a, a1.slice(6));
  await l.upload(b, b1.slice(4, 9));
  const a2 = await sessionEntries(a, 'a2', 4);
  await l.upload(a, a2);
  const inPeriod = [...a1.slice(6), ...b1.slice(4, 9), ...a2];
  l.edge.clock.advance(HOUR);
  const to = l.edge.clock.now();
  await l.upload(b, b1.slice(9));
  await l.tlog.tick();
  const logKey = (await l.tlog.logKey(l.org.id)).verifierKey;
  return { l, from, to, inPeriod, logKey, before: 10 };
}

const iso = (ms: number) => new Date(ms).toISOString();

function runVerify(file: string, logKey: string): { exitCode: number; stdout: string; stderr: string } {
  const proc = Bun.spawnSync([ceros, 'verify', file, '--log-key', logKey], {
    env: { HOME: dir, CEROS_HOME: join(dir, 'home'), PATH: process.env.PATH ?? '' },
  });
  return { exitCode: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

function whereOf(doc: AuditExport, index: number): string {
  const e = doc.entries[index] as JournalEntry;
  return `entry ${index} (leaf ${doc.period.fromIndex + index}): device "${e.device}" seq ${e.seq}`;
}

describe('the audit export', () => {
  let shared: Awaited<ReturnType<typeof periodEdge>>;
  let doc: AuditExport;
  const file = join(dir, 'period.json');

  beforeAll(async () => {
    shared = await periodEdge();
    const { l, from, to } = shared;
    await addAdmin(l.edge.store, { email: 'audit@acme.test', orgName: 'Acme', role: 'auditor' }, 0);
    const auditor = await signInAdmin(l.edge, 'audit@acme.test', 'acme');
    const res = await l.edge.request(`/v1/admin/export?from=${iso(from)}&to=${iso(to)}`, {
      headers: auditor.read,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment; filename="ceros-audit-');
    doc = (await res.json()) as AuditExport;
    writeFileSync(file, JSON.stringify(doc));
  });

  test('an auditor exports a period, and it verifies with verifyExport: exactly the entries appended in it', async () => {
    const { l, inPeriod, logKey, before } = shared;
    expect(doc.period).toMatchObject({ fromIndex: before, toIndex: before + inPeriod.length });
    expect(doc.entries).toEqual(inPeriod);
    const result = await verifyExport(doc, { logKey });
    if (!result.ok) throw new Error(result.reason);
    expect(result.counts).toMatchObject({ entries: inPeriod.length, devices: 2, sessions: 3 });
    // Sessions a1 and b1 started before the period: their certificates and the anchors are in it.
    expect(doc.certificates.map((c) => c.session).sort()).toEqual(['a1', 'a2', 'b1']);
    expect(doc.devices.every((d) => d.anchor !== null)).toBe(true);
    const activity = (await l.edge.store.listActivity(l.org.id, null, 10)).items;
    expect(activity[0]).toMatchObject({ actor: 'admin:audit@acme.test', action: 'ledger.exported' });
  });

  test('the compiled `ceros verify FILE --log-key K` accepts the export', () => {
    const run = runVerify(file, shared.logKey);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('ceros verify: OK');
    expect(run.stdout).toContain(`(${shared.inPeriod.length} entries)`);
  });

  test.each([
    [
      'an edited payload',
      (d: AuditExport) => {
        (d.entries[3] as JournalEntry).payload = { text: 'something else' };
        return 3;
      },
      'BAD_SIGNATURE',
    ],
    [
      'a deleted entry',
      (d: AuditExport) => {
        // Entry 2 is a1 seq 8; deleting it breaks a1's chain at seq 9, now entry 2.
        (d.entries as unknown[]).splice(2, 1);
        return 2;
      },
      'BAD_CHAIN',
    ],
    [
      'two swapped entries',
      (d: AuditExport) => {
        const entries = d.entries as unknown[];
        [entries[0], entries[1]] = [entries[1], entries[0]];
        return 0;
      },
      'BAD_CHAIN',
    ],
  ])('the compiled `ceros verify` refuses %s and names the entry', (_name, tamper, code) => {
    const copy = structuredClone(doc);
    const index = tamper(copy);
    const path = join(dir, `tampered-${code}-${index}.json`);
    writeFileSync(path, JSON.stringify(copy));
    const run = runVerify(path, shared.logKey);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain(`FAILED ${code}`);
    expect(run.stderr).toContain(whereOf(copy, index));
  });

  test('an export under another log key is refused', async () => {
    const other = await ledgerEdge({ devices: 1 });
    const key = (await other.tlog.logKey(other.org.id)).verifierKey;
    expect(await verifyExport(doc, { logKey: key })).toMatchObject({ ok: false, code: 'BAD_LOG_SIGNATURE' });
  });
});

describe('exports at the edges of the log', () => {
  test('a period that ends now gets a checkpoint of the log as it is, signed for the export', async () => {
    const { l, from, logKey, inPeriod, before } = await periodEdge();
    const device = l.devices[0] as LedgerEdge['devices'][0];
    await l.upload(device, [device.append('prompt', { text: 'late' })]);
    const res = await l.edge.request(`/v1/admin/export?from=${iso(from)}&to=${iso(l.edge.clock.now() + 1)}`, {
      headers: l.admin.read,
    });
    const doc = (await res.json()) as AuditExport;
    const size = before + inPeriod.length + 4 + 1;
    expect(doc.period.toIndex).toBe(size);
    expect((await l.edge.store.getCheckpoint(l.org.id))?.size).toBe(size);
    expect(await verifyExport(doc, { logKey })).toMatchObject({ ok: true });
  });

  test('an empty period and the whole log both verify', async () => {
    const { l, from, logKey } = await periodEdge();
    const empty = await l.edge.request(`/v1/admin/export?from=${iso(from)}&to=${iso(from)}`, {
      headers: l.admin.read,
    });
    const emptyDoc = (await empty.json()) as AuditExport;
    expect(emptyDoc.entries).toEqual([]);
    expect(await verifyExport(emptyDoc, { logKey })).toMatchObject({ ok: true });
    const all = await l.edge.request(`/v1/admin/export?from=0&to=${l.edge.clock.now() + 1}`, {
      headers: l.admin.read,
    });
    const allDoc = (await all.json()) as AuditExport;
    expect(allDoc.period.fromIndex).toBe(0);
    expect(await verifyExport(allDoc, { logKey })).toMatchObject({ ok: true, counts: { entries: 29 } });
    const bad = await l.edge.request(`/v1/admin/export?from=${iso(from)}&to=${iso(from - 1)}`, {
      headers: l.admin.read,
    });
    expect(bad.status).toBe(400);
  });

  test('`ceros-edge export` writes the same verifiable export from the database folder', async () => {
    const data = join(dir, 'cli-data');
    mkdirSync(data);
    const { l, from, to, logKey, inPeriod } = await periodEdge({ url: `file:${join(data, 'edge.db')}` });
    const out = join(dir, 'cli-export.json');
    const outcome = await runEdgeCli(
      ['export', '--data', data, '--org', 'acme', '--from', iso(from), '--to', iso(to), '--out', out],
      { env: {}, cwd: dir, defaultDistDir: dir, now: l.edge.clock.now },
    );
    expect(outcome).toMatchObject({ kind: 'done', exitCode: 0 });
    expect(outcome.kind === 'done' && outcome.stdout).toContain(`ceros verify ${out} --log-key ${logKey}`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as AuditExport;
    expect(doc.entries).toEqual(inPeriod);
    expect(await verifyExport(doc, { logKey })).toMatchObject({ ok: true });
    expect(runVerify(out, logKey).exitCode).toBe(0);

    const usage = await runEdgeCli(['export', '--data', data, '--org', 'acme', '--from', 'yesterday'], {
      env: {},
      cwd: dir,
      defaultDistDir: dir,
    });
    expect(usage).toMatchObject({ kind: 'done', exitCode: 64 });
    expect(usage.kind === 'done' && usage.stderr).toContain('--from "yesterday" is not an RFC 3339 time');
    expect(usage.kind === 'done' && usage.stderr).toContain('--out is required');
  });
});
