import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryBytes } from '@ceros/protocol';
import { createEdgeClient, type FetchLike } from './client.ts';
import { createJsonlEntryReader } from './jsonl-reader.ts';
import { deviceRequestSigner } from './signed-request.ts';
import { reportSyncEvent } from './sync-report.ts';
import { readSyncState } from './sync-state.ts';
import {
  createJournalWriter,
  type EdgeWithDevice,
  edgeWithDevice,
  type JournalWriter,
  waitFor,
} from './test-support.ts';
import { createUploader, readUploadCursor, type UploaderEvent } from './uploader.ts';

let dir: string;
let edge: EdgeWithDevice;
let journal: JournalWriter;
let server: ReturnType<typeof Bun.serve> | undefined;
let port = 0;

function startServer() {
  server = Bun.serve({ port, hostname: '127.0.0.1', fetch: (request) => edge.app.fetch(request) });
  port = server.port ?? 0;
}
async function stopServer() {
  await server?.stop(true);
  server = undefined;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-uploader-'));
  edge = await edgeWithDevice(dir);
  journal = createJournalWriter(join(dir, 'journal', 'journal.jsonl'), edge.deviceId, edge.key);
  port = 0;
  startServer();
});
afterEach(async () => {
  await stopServer();
  rmSync(dir, { recursive: true, force: true });
});

function uploader(options: { fetch?: FetchLike; events?: UploaderEvent[] } = {}) {
  const client = createEdgeClient({
    baseUrl: `http://127.0.0.1:${port}`,
    signer: deviceRequestSigner(edge.deviceId, edge.key),
    timeoutMs: 1000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return createUploader({
    client,
    deviceId: edge.deviceId,
    readEntriesAfter: createJsonlEntryReader(journal.path),
    cursorPath: join(dir, 'journal', 'upload-cursor.json'),
    maxBatchEntries: 7,
    idleMs: 20,
    backoffBaseMs: 20,
    backoffMaxMs: 100,
    onEvent: (event) => options.events?.push(event),
  });
}

async function storedOnEdge(): Promise<string[]> {
  return (await edge.store.exportEntries(edge.orgId, edge.deviceId, -1, 10_000)).map((row) => row.bytes);
}

describe('the uploader', () => {
  test('resumes after an outage and a restart with every entry arriving exactly once', async () => {
    await journal.startSession('s1');
    journal.write(19);
    const events: UploaderEvent[] = [];
    const first = uploader({ events });
    first.start();
    await waitFor(() => first.cursor() === 19);

    // The edge goes away; the session keeps recording.
    await stopServer();
    journal.write(30);
    first.notify();
    await waitFor(() => events.filter((e) => e.kind === 'retrying').length >= 3);
    expect(first.cursor()).toBe(19);

    // The agent restarts while the edge is still down.
    await first.stop();
    const second = uploader({ events });
    expect(second.cursor()).toBe(19);
    second.start();
    await journal.startSession('s2');
    journal.write(9);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // The edge comes back on the same address.
    startServer();
    await waitFor(() => second.cursor() === 59);
    await second.stop();

    const expected = journal.entries.map(entryBytes);
    expect(await storedOnEdge()).toEqual(expected);
    expect(edge.ledger).toEqual(expected);
    const retry = events.find((e) => e.kind === 'retrying');
    expect(retry).toMatchObject({ code: 'UNREACHABLE' });
    expect(statSync(join(dir, 'journal', 'upload-cursor.json')).mode & 0o777).toBe(0o600);
  });

  test('a lost acknowledgement is retried without storing anything twice', async () => {
    await journal.startSession('s1');
    journal.write(4);
    let dropped = false;
    const events: UploaderEvent[] = [];
    const lossy: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (!dropped && String(input).endsWith('/v1/agent/ingest')) {
        dropped = true;
        throw new Error('connection reset after the edge stored the batch');
      }
      return response;
    };
    const up = uploader({ fetch: lossy, events });
    expect((await up.step()).kind).toBe('retry');
    expect(up.cursor()).toBe(-1);
    expect(await up.flush()).toBe(true);
    expect(events.find((e) => e.kind === 'uploaded')).toMatchObject({ accepted: 0, duplicates: 5 });
    expect(await storedOnEdge()).toEqual(journal.entries.map(entryBytes));
    expect(edge.ledger).toHaveLength(5);
  });

  test('a lost cursor file costs a re-send, not a duplicate', async () => {
    await journal.startSession('s1');
    journal.write(9);
    expect(await uploader().flush()).toBe(true);
    unlinkSync(join(dir, 'journal', 'upload-cursor.json'));
    const events: UploaderEvent[] = [];
    const again = uploader({ events });
    expect(again.cursor()).toBe(-1);
    expect(await again.flush()).toBe(true);
    expect(again.cursor()).toBe(9);
    expect(events.every((e) => e.kind !== 'uploaded' || e.accepted === 0)).toBe(true);
    expect(edge.ledger).toHaveLength(10);
  });

  test('a cursor ahead of the edge (an edge restored from backup) rewinds to what the edge has', async () => {
    await journal.startSession('s1');
    journal.write(5);
    writeFileSync(
      join(dir, 'journal', 'upload-cursor.json'),
      JSON.stringify({ v: 1, device: edge.deviceId, seq: 3 }),
    );
    const events: UploaderEvent[] = [];
    const up = uploader({ events });
    expect(await up.flush()).toBe(true);
    expect(events[0]).toEqual({ kind: 'rewound', from: 3, to: -1 });
    expect(await storedOnEdge()).toEqual(journal.entries.map(entryBytes));
  });

  test('a cursor written for another device is ignored', () => {
    const path = join(dir, 'cursor.json');
    writeFileSync(path, JSON.stringify({ v: 1, device: 'dev_other', seq: 42 }));
    expect(readUploadCursor(path, edge.deviceId)).toBe(-1);
    expect(readUploadCursor(path, 'dev_other')).toBe(42);
  });

  test('a revoked device stops uploading and says why', async () => {
    await journal.startSession('s1');
    journal.write(2);
    await edge.store.setDeviceStatus(edge.orgId, edge.deviceId, 'revoked', Date.now(), 'lost laptop');
    const events: UploaderEvent[] = [];
    const up = uploader({ events });
    up.start();
    await waitFor(() => events.some((e) => e.kind === 'refused'));
    await up.stop();
    expect(events.at(-1)).toMatchObject({ kind: 'refused', code: 'DEVICE_REVOKED' });
    expect(up.cursor()).toBe(-1);
  });

  test('entries the edge refuses for good (a forged signature) stop the uploader with the reason, without quiet retries', async () => {
    await journal.startSession('s1');
    journal.write(3);
    const path = journal.path;
    writeFileSync(path, readFileSync(path, 'utf8').replace('prompt 2', 'prompt X'));
    const events: UploaderEvent[] = [];
    const up = uploader({ events });
    up.start();
    await waitFor(() => events.some((e) => e.kind === 'stuck'));
    await up.stop();
    expect(events.filter((e) => e.kind === 'retrying')).toEqual([]);
    expect(events.at(-1)).toMatchObject({
      kind: 'stuck',
      state: { code: 'VERIFY_FAILED', chain: false, seq: 0, edgeHead: null },
    });
    expect(readSyncState(join(dir, 'journal'), edge.deviceId)).toMatchObject({ code: 'VERIFY_FAILED' });
    const lines: string[] = [];
    const alerts: unknown[] = [];
    const stuck = events.at(-1);
    if (stuck)
      reportSyncEvent(stuck, { append: (_type, payload) => alerts.push(payload) }, (l) => lines.push(l));
    expect(lines[0]).toContain(
      'ceros: Sync to the edge stopped: the edge refused entries from seq 0 (VERIFY_FAILED',
    );
    expect(alerts).toEqual([expect.objectContaining({ kind: 'sync-refused' })]);
  });

  test('a batch the edge finds too large is split until it fits', async () => {
    await stopServer();
    edge = await edgeWithDevice(join(dir, 'small'), { settings: { maxIngestBytes: 2500 } });
    journal = createJournalWriter(join(dir, 'small', 'journal.jsonl'), edge.deviceId, edge.key);
    startServer();
    await journal.startSession('s1');
    journal.write(20);
    const events: UploaderEvent[] = [];
    const up = uploader({ events });
    expect(await up.flush()).toBe(true);
    expect(events.some((e) => e.kind === 'split')).toBe(true);
    expect(await storedOnEdge()).toEqual(journal.entries.map(entryBytes));
  });
});
