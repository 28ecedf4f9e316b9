import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devicePublicKeyFromSpki, SESSION_KEY_ENTRY } from '@ceros/protocol';
import { createEdgeClient } from '../edge-client/client.ts';
import { createJsonlEntryReader } from '../edge-client/jsonl-reader.ts';
import { deviceRequestSigner } from '../edge-client/signed-request.ts';
import { readSyncState } from '../edge-client/sync-state.ts';
import { type EdgeWithDevice, edgeWithDevice } from '../edge-client/test-support.ts';
import { createUploader, readUploadCursor, type UploaderEvent } from '../edge-client/uploader.ts';
import { createSessionKeys, type DeviceIdentity } from '../session/identity.ts';
import { readChainEvidence } from './epoch.ts';
import { lockExclusive, unlock } from './flock.ts';
import { JOURNAL_FILE, openJournalWriter, readJournalFile } from './journal.ts';
import type { EpochStatement } from './rewind.ts';
import { verifyDeviceJournal } from './verify-device-journal.ts';

let dir: string;
let home: string;
let edge: EdgeWithDevice;
let device: DeviceIdentity;
let server: ReturnType<typeof Bun.serve>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-rewind-'));
  home = join(dir, 'home');
  edge = await edgeWithDevice(dir);
  device = {
    record: {
      deviceId: edge.deviceId,
      publicKeySpki: edge.key.publicKeySpki,
      protection: edge.key.protection,
      createdAt: new Date().toISOString(),
    },
    key: edge.key,
  };
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => edge.app.fetch(request) });
});
afterEach(async () => {
  await server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const journalDir = () => join(home, 'journal');
const journalPath = () => join(journalDir(), JOURNAL_FILE);
interface Stored {
  seq: number;
  type: string;
  payload: { epoch?: EpochStatement; kind?: string } | null;
}
const entries = () => readJournalFile(journalPath()).entries as Stored[];

/** One session: its key, `notes` entries, closed. Returns the warnings the writer gave. */
async function session(notes: number): Promise<string[]> {
  const keys = await createSessionKeys(device, crypto.randomUUID(), {
    user: null,
    postureDigest: null,
    ancestryDigest: null,
    policyHash: null,
  });
  const warnings: string[] = [];
  const writer = openJournalWriter({
    dir: journalDir(),
    device: edge.deviceId,
    session: keys.sessionId,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
    warn: (line) => warnings.push(line),
  });
  writer.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
  for (let i = 0; i < notes; i++) writer.append('note', { i });
  writer.close();
  return warnings;
}

function uploader(events: UploaderEvent[]) {
  return createUploader({
    client: createEdgeClient({
      baseUrl: `http://127.0.0.1:${server.port}`,
      signer: deviceRequestSigner(edge.deviceId, edge.key),
      timeoutMs: 2000,
    }),
    deviceId: edge.deviceId,
    readEntriesAfter: createJsonlEntryReader(journalPath()),
    cursorPath: join(journalDir(), 'upload-cursor.json'),
    idleMs: 20,
    backoffBaseMs: 20,
    backoffMaxMs: 50,
    onEvent: (event) => events.push(event),
  });
}

function verify() {
  const key = devicePublicKeyFromSpki(edge.key.publicKeySpki);
  return verifyDeviceJournal(
    readJournalFile(journalPath()).entries,
    () => key,
    readChainEvidence(journalDir(), edge.deviceId),
  );
}

async function edgeSeqs(): Promise<number[]> {
  return (await edge.store.exportEntries(edge.orgId, edge.deviceId, -1, 10_000)).map((row) => row.seq);
}

function truncateToSeq(seq: number): void {
  const lines = readFileSync(journalPath(), 'utf8').split('\n');
  writeFileSync(journalPath(), `${lines.slice(0, seq + 1).join('\n')}\n`);
}

describe('a rewound journal', () => {
  test('truncated at a line boundary, or deleted, fails verification against the head record', async () => {
    await session(9);
    expect(verify()).toMatchObject({ ok: true, rewind: null });
    expect(statSync(join(home, 'journal-head.json')).mode & 0o777).toBe(0o600);
    truncateToSeq(5);
    expect(verify()).toMatchObject({
      ok: true,
      rewind: { missing: { from: 6, to: 9 }, journal: { seq: 5 } },
    });
    expect((verify() as { rewind: { message: string } }).rewind.message).toContain(
      'The journal was rewound: it ends at seq 5, but this device wrote up to seq 9',
    );
    rmSync(journalPath());
    expect((verify() as { rewind: { message: string } }).rewind.message).toContain('it is empty');
  });

  test('the next session (no edge) opens a new epoch with a signed statement and an alert, and verifies', async () => {
    await session(9);
    truncateToSeq(5);
    const warnings = await session(2);
    const all = entries();
    const key = all[6];
    expect(key?.type).toBe(SESSION_KEY_ENTRY);
    expect(key?.payload?.epoch).toMatchObject({
      reason: 'journal-rewound',
      anchor: { seq: 5, source: 'journal' },
      missing: { from: 6, to: 9 },
    });
    expect(all[7]).toMatchObject({ type: 'alert', payload: { kind: 'journal-rewound' } });
    expect(warnings.join('\n')).toContain('A new chain epoch begins here');
    const result = verify();
    expect(result).toMatchObject({ ok: true, rewind: null, count: 10 });
    expect(result.epochs).toHaveLength(1);
  });

  test('truncated after it synced: the next session chains to the edge head, the edge keeps what it had and accepts the new epoch', async () => {
    await session(9);
    const events: UploaderEvent[] = [];
    expect(await uploader(events).flush()).toBe(true);
    expect(await edgeSeqs()).toEqual([...Array(10).keys()]);
    truncateToSeq(5);
    await session(2);
    const all = entries();
    expect(all.slice(6).map((e) => e.seq)).toEqual([10, 11, 12, 13]);
    expect(all[6]?.payload?.epoch?.anchor).toMatchObject({ seq: 9, source: 'edge' });
    expect(verify()).toMatchObject({ ok: true, rewind: null });
    expect(await uploader(events).flush()).toBe(true);
    expect(await edgeSeqs()).toEqual([...Array(14).keys()]);
  });

  test('restored from an older backup: the edge refuses, the uploader stops and says why, and the next session recovers on the edge head', async () => {
    await session(4);
    const events: UploaderEvent[] = [];
    expect(await uploader(events).flush()).toBe(true);
    // A backup of the whole journal folder and head record, taken at seq 4 (uploaded).
    cpSync(home, join(dir, 'backup'), { recursive: true });
    await session(4);
    expect(await uploader(events).flush()).toBe(true);
    expect(await edgeSeqs()).toHaveLength(10);
    rmSync(home, { recursive: true });
    cpSync(join(dir, 'backup'), home, { recursive: true });
    // Nothing local can tell: journal, cursor and head record are consistent with each other.
    expect(verify()).toMatchObject({ ok: true, rewind: null });
    await session(7);

    const up = uploader(events);
    up.start();
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.kind === 'stuck') && Date.now() < deadline) await Bun.sleep(10);
    await up.stop();
    const stuck = events.find((e) => e.kind === 'stuck');
    expect(stuck).toMatchObject({
      kind: 'stuck',
      state: { code: 'CHAIN_CONFLICT', chain: true, seq: 5, edgeHead: { seq: 9 } },
    });
    expect(events.filter((e) => e.kind === 'retrying')).toHaveLength(0);
    expect(readSyncState(journalDir(), edge.deviceId)).toMatchObject({ code: 'CHAIN_CONFLICT' });
    expect(verify()).toMatchObject({
      ok: true,
      rewind: { message: expect.stringContaining('refused the chain') },
    });

    await session(1);
    const all = entries();
    const epoch = all.find((e) => e.payload?.epoch)?.payload?.epoch;
    expect(epoch).toMatchObject({ anchor: { seq: 9, source: 'edge' }, setAside: { from: 10, to: 12 } });
    expect(
      readFileSync(epoch?.setAside?.file ?? '', 'utf8')
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(3);
    expect(readSyncState(journalDir(), edge.deviceId)).toBeNull();
    expect(readUploadCursor(join(journalDir(), 'upload-cursor.json'), edge.deviceId)).toBe(9);
    expect(verify()).toMatchObject({ ok: true, rewind: null });
    expect(await uploader(events).flush()).toBe(true);
    expect(await edgeSeqs()).toEqual([...Array(13).keys()]);
  });

  test('an epoch whose statement misstates where the journal ended fails verification', async () => {
    await session(3);
    truncateToSeq(1);
    await session(0);
    const lines = readFileSync(journalPath(), 'utf8').split('\n');
    // Drop the entry before the epoch: the statement says seq 1, the entries now end at seq 0.
    lines.splice(1, 1);
    writeFileSync(journalPath(), lines.join('\n'));
    const result = verify();
    expect(result).toMatchObject({ ok: false, code: 'BAD_CHAIN' });
    expect((result as { reason: string }).reason).toContain(
      'begins a chain epoch whose statement says the journal ended at seq 1',
    );
  });
});
