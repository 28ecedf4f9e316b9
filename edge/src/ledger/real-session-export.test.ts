/**
 * Issue 5 on a real session: the journal that dist/ceros recorded around the real Claude Code
 * (tests/fixtures/journal/real-session.jsonl) goes through the edge's ingest and Merkle log, an
 * auditor exports the period, and `ceros verify` checks it offline; each tampering is caught at
 * the entry it touched. A copy is kept as tests/fixtures/export/real-session-export.json (with its
 * log key), which the last test verifies too.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type AuditExport, verifyExport } from '@ceros/protocol';
import { loadRealSession } from '../testing/real-session.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  signInAdmin,
} from '../testing/test-edge.ts';

const root = resolve(import.meta.dir, '../../..');
const ceros = join(root, 'dist', 'ceros');
const dir = mkdtempSync(join(tmpdir(), 'ceros-real-export-'));

let doc: AuditExport;
let logKey: string;

beforeAll(async () => {
  if (!existsSync(ceros)) {
    const build = Bun.spawnSync([process.execPath, 'run', 'scripts/build.ts'], { cwd: root });
    if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  }
  const edge = await createTestEdge({ tlog: true });
  if (!edge.tlog) throw new Error('the test edge has no transparency log');
  const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  const real = loadRealSession({ now: edge.clock.now });
  await enrollDevice(edge, real.device, { email: 'dev@acme.test', org: org.slug });
  const from = new Date(edge.clock.now()).toISOString();
  const response = await ingest(edge, real.device, real.entries);
  expect(response.status).toBe(200);
  edge.clock.advance(1_000);
  await edge.tlog.tick();
  logKey = (await edge.tlog.logKey(org.id)).verifierKey;
  const admin = await signInAdmin(edge, 'boss@acme.test', org.slug);
  const exported = await edge.request(
    `/v1/admin/export?from=${from}&to=${new Date(edge.clock.now()).toISOString()}`,
    {
      headers: admin.read,
    },
  );
  expect(exported.status).toBe(200);
  doc = (await exported.json()) as AuditExport;
  if (process.env.CEROS_WRITE_FIXTURES === '1') {
    // Regenerates the kept copy: CEROS_WRITE_FIXTURES=1 bun test edge/src/ledger/real-session-export.test.ts
    writeFileSync(
      join(root, 'tests', 'fixtures', 'export', 'real-session-export.json'),
      `${JSON.stringify(doc)}\n`,
    );
    writeFileSync(join(root, 'tests', 'fixtures', 'export', 'real-session-export.log-key'), `${logKey}\n`);
  }
}, 600_000);

function verifyFile(tampered: AuditExport, name: string) {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(tampered));
  const proc = Bun.spawnSync([ceros, 'verify', file, '--log-key', logKey, '--json'], {
    env: { HOME: dir, CEROS_HOME: join(dir, 'home'), PATH: process.env.PATH ?? '' },
  });
  return {
    exitCode: proc.exitCode,
    report: JSON.parse(proc.stdout.toString() || '{}') as Record<string, unknown>,
  };
}

type Entry = { type: string; payload: Record<string, unknown> };
const entriesOf = (d: AuditExport) => d.entries as unknown as Entry[];

const copy = (): AuditExport => JSON.parse(JSON.stringify(doc)) as AuditExport;

describe('an audit export of a real recorded Claude Code session', () => {
  test('holds every entry of the session and verifies offline with ceros verify', async () => {
    expect(doc.entries.length).toBe(loadRealSession().entries.length);
    const result = await verifyExport(doc, { logKey });
    if (!result.ok) throw new Error(result.reason);
    const { exitCode, report } = verifyFile(doc, 'valid');
    expect(exitCode).toBe(0);
    expect(report.ok).toBe(true);
  });

  test.each([
    [
      'an edited tool output',
      (d: AuditExport) => {
        const i = entriesOf(d).findIndex((e) => e.type === 'tool.result');
        (entriesOf(d)[i] as Entry).payload.response = 'nothing to see';
        return i;
      },
    ],
    [
      'a deleted denial',
      (d: AuditExport) => {
        const i = entriesOf(d).findIndex(
          (e) => e.type === 'tool.decision' && JSON.stringify(e.payload).includes('"deny"'),
        );
        entriesOf(d).splice(i, 1);
        return i;
      },
    ],
    [
      'two entries swapped',
      (d: AuditExport) => {
        const i = entriesOf(d).findIndex((e) => e.type === 'prompt');
        const a = entriesOf(d)[i];
        const b = entriesOf(d)[i + 1];
        if (!a || !b) throw new Error('fixture too short');
        entriesOf(d)[i] = b;
        entriesOf(d)[i + 1] = a;
        return i;
      },
    ],
    [
      'the tail cut off',
      (d: AuditExport) => {
        entriesOf(d).splice(entriesOf(d).length - 3, 3);
        return entriesOf(d).length;
      },
    ],
  ])('%s is refused', (name, tamper) => {
    const tampered = copy();
    tamper(tampered);
    const { exitCode, report } = verifyFile(tampered, name.replace(/\W+/g, '-'));
    expect(exitCode).toBe(3);
    expect(report.ok).toBe(false);
    expect(typeof report.reason).toBe('string');
  });

  test('the kept copy under tests/fixtures/export verifies offline with its log key', () => {
    const fixture = join(root, 'tests', 'fixtures', 'export', 'real-session-export.json');
    const key = readFileSync(
      join(root, 'tests', 'fixtures', 'export', 'real-session-export.log-key'),
      'utf8',
    ).trim();
    const proc = Bun.spawnSync([ceros, 'verify', fixture, '--log-key', key], {
      env: { HOME: dir, CEROS_HOME: join(dir, 'home'), PATH: process.env.PATH ?? '' },
    });
    expect(proc.exitCode).toBe(0);
  });
});
