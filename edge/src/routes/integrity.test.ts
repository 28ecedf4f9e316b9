import { beforeAll, describe, expect, test } from 'bun:test';
import type { JournalEntry, JsonValue } from '@ceros/protocol';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import {
  type AdminSessionForTest,
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

/**
 * Integrity alerts and abandoned sessions as the console reads them. The payloads have the
 * agent's shapes (agent/src/journal/rewind.ts EpochStatement and journal.ts notices,
 * edge-client/sync-report.ts, cli/log-repair.ts, session/orphaned-sessions.ts); the end-to-end
 * test with the real agent is tests/src/browser/console-integrity.test.ts.
 */
let edge: TestEdge;
let admin: AdminSessionForTest;
let rewound: FakeDevice;
let clean: FakeDevice;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);

type Json = Record<string, unknown>;
const get = async (path: string): Promise<Json> => {
  const res = await edge.request(path, { headers: admin.read });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Json;
};

const STATEMENT =
  "The journal was rewound: it ends at seq 3, but this device wrote up to seq 9. A new chain epoch begins here, chained to the edge's head (seq 9); the entries the journal lost are not recreated, and the edge keeps what it had";
const EPOCH: JsonValue = {
  v: 1,
  reason: 'journal-rewound',
  statement: STATEMENT,
  journal: { seq: 3, hash: 'a'.repeat(64) },
  anchor: { seq: 9, hash: 'b'.repeat(64), source: 'edge' },
  missing: { from: 4, to: 9 },
  setAside: null,
  evidence: {
    head: { seq: 9, hash: 'b'.repeat(64) },
    uploaded: { seq: 9, hash: 'b'.repeat(64) },
    receipted: null,
    refused: null,
  },
};

beforeAll(async () => {
  edge = await createTestEdge({ startMs: T0 + 3600_000 });
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  admin = await signInAdmin(edge, 'boss@acme.test');
  rewound = createFakeDevice({ now: edge.clock.now });
  clean = createFakeDevice({ now: edge.clock.now });
  await enrollDevice(edge, rewound, { email: 'alice@acme.test', org: 'acme' });
  await enrollDevice(edge, clean, { email: 'bob@acme.test', org: 'acme' });

  // Session "dead": its wrapper is killed; it never journals session.end.
  const dead: JournalEntry[] = [await rewound.startSession('dead')];
  dead.push(rewound.append('session.start', { cwd: '/work' }, at(1)));
  dead.push(rewound.append('prompt', { text: 'run the build', claudeSessionId: 'c1' }, at(2)));
  // Session "next" finds it dead, then its own journal turns out rewound and it opens an epoch.
  const next: JournalEntry[] = [await rewound.startSession('next')];
  next.push(
    rewound.append(
      'session.abandoned',
      {
        session: 'dead',
        reason: 'wrapper died',
        detail: 'The ceros wrapper of this session ended without closing it',
        lastSeq: 2,
        lastTime: at(2).toISOString(),
        removed: [],
      },
      at(60),
    ),
    rewound.append('alert', { kind: 'journal-rewound', message: STATEMENT, epoch: EPOCH }, at(61)),
    rewound.append(
      'alert',
      {
        kind: 'sync-refused',
        message: 'Sync to the edge stopped: the edge refused this device journal at seq 12 (CHAIN_CONFLICT)',
        evidence: {
          seq: 12,
          code: 'CHAIN_CONFLICT',
          message: 'x',
          chain: true,
          edgeHead: { seq: 14, hash: 'c'.repeat(64) },
        },
      },
      at(62),
    ),
    rewound.append(
      'alert',
      {
        kind: 'journal-repaired',
        message: 'The journal was repaired: 1 line that was not an entry was set aside',
        removed: [{ line: 7, offset: 900, length: 12 }],
        setAside: '/home/alice/.ceros/journal/damaged/x.jsonl',
        bytesBefore: 1000,
        bytesAfter: 988,
      },
      at(63),
    ),
    // Not an integrity alert: a posture alert is about the device, not its record.
    rewound.append('alert', { kind: 'posture', message: 'Firewall is off', findings: [] }, at(64)),
  );
  // One batch holds both sessions: the one that died and the one that ended it.
  expect((await ingest(edge, rewound, [...dead, ...next])).status).toBe(200);

  // The other device: a session that ended itself, then a bogus claim that it was abandoned.
  const own: JournalEntry[] = [await clean.startSession('ended')];
  own.push(clean.append('session.start', { cwd: '/srv' }, at(1)));
  own.push(clean.append('session.end', { exitCode: 0, signal: null, durationMs: 5000 }, at(5)));
  expect((await ingest(edge, clean, own)).status).toBe(200);
  const later = [await clean.startSession('later')];
  later.push(clean.append('session.abandoned', { session: 'ended', reason: 'wrapper died' }, at(90)));
  later.push(clean.append('alert', { kind: 'posture', message: 'Disk encryption is off' }, at(91)));
  expect((await ingest(edge, clean, later)).status).toBe(200);
});

describe('journal integrity on the console', () => {
  test('the device page lists its integrity alerts newest first, with the rewind facts and the signed entry', async () => {
    const device = await get(`/v1/admin/devices/${rewound.id}`);
    const alerts = device.integrityAlerts as Json[];
    expect(alerts.map((a) => a.kind)).toEqual(['journal-repaired', 'sync-refused', 'journal-rewound']);
    expect(alerts[2]).toEqual({
      deviceId: rewound.id,
      seq: 5,
      sessionId: 'next',
      time: at(61).toISOString(),
      kind: 'journal-rewound',
      message: STATEMENT,
      details: {
        kind: 'journal-rewound',
        rewoundToSeq: 3,
        anchorSeq: 9,
        anchorSource: 'edge',
        missing: { from: 4, to: 9 },
        setAside: null,
      },
    });
    expect(alerts[1]?.details).toEqual({
      kind: 'sync-refused',
      seq: 12,
      code: 'CHAIN_CONFLICT',
      edgeHeadSeq: 14,
    });
    expect(alerts[0]?.details).toEqual({
      kind: 'journal-repaired',
      removedLines: 1,
      bytesBefore: 1000,
      bytesAfter: 988,
    });
    // The entry the alert names is the signed one the edge stored.
    const res = await edge.request(`/v1/admin/export/entries?device=${rewound.id}&after=4&limit=1`, {
      headers: admin.read,
    });
    const line = JSON.parse((await res.text()).trim()) as { seq: number; type: string; payload: Json };
    expect(line).toMatchObject({
      seq: 5,
      type: 'alert',
      payload: { kind: 'journal-rewound', message: STATEMENT },
    });
    expect(((await get(`/v1/admin/devices/${clean.id}`)).integrityAlerts as Json[]).length).toBe(0);
  });

  test('the dashboard counts the devices with integrity alerts in its period, not other alerts', async () => {
    const period = `from=${at(0).toISOString()}&to=${at(120).toISOString()}`;
    expect(await get(`/v1/admin/dashboard?${period}`)).toMatchObject({
      integrityAlerts: 3,
      devicesWithIntegrityAlerts: 1,
    });
    const before = `from=${at(-60).toISOString()}&to=${at(0).toISOString()}`;
    expect(await get(`/v1/admin/dashboard?${before}`)).toMatchObject({ devicesWithIntegrityAlerts: 0 });
    const list = await get(`/v1/admin/integrity-alerts?${period}`);
    expect((list.items as Json[]).map((a) => [a.deviceId, a.kind])).toEqual([
      [rewound.id, 'journal-repaired'],
      [rewound.id, 'sync-refused'],
      [rewound.id, 'journal-rewound'],
    ]);
  });

  test('a session.abandoned entry ends the session it names: abandoned, at its last entry', async () => {
    const page = (await get(`/v1/admin/conversations?device=${rewound.id}`)).items as Json[];
    const dead = page.find((c) => c.sessionId === 'dead');
    expect(dead).toMatchObject({ endedAt: at(2).toISOString(), endState: 'abandoned: wrapper died' });
    expect(page.find((c) => c.sessionId === 'next')).toMatchObject({ endState: null });
    const timeline = await get(`/v1/admin/conversations/${rewound.id}/dead`);
    expect(timeline.conversation).toMatchObject({ endState: 'abandoned: wrapper died' });
    const activity = (await get('/v1/admin/activity')).items as Json[];
    expect(activity.find((a) => a.action === 'session.abandoned' && a.target === 'dead')).toMatchObject({
      actor: `device:${rewound.id}`,
      target: 'dead',
      details: { state: 'abandoned: wrapper died', endedBy: 'next' },
    });
  });

  test('a session that journaled its own end keeps it, whatever a later session claims', async () => {
    const page = (await get(`/v1/admin/conversations?device=${clean.id}`)).items as Json[];
    expect(page.find((c) => c.sessionId === 'ended')).toMatchObject({
      endedAt: at(5).toISOString(),
      exitCode: 0,
      endState: null,
    });
  });
});
