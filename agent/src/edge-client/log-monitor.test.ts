import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createOutboxMailer, createTransparencyLog, type TransparencyLog } from '@ceros/edge';
import {
  decodeBase64Strict,
  encodeBase64,
  entryBytes,
  type JournalEntry,
  MemoryMerkleTree,
  parseSignerKey,
  signCheckpoint,
} from '@ceros/protocol';
import { createFileLogTrustStore, createMemoryLogTrustStore, type LogTrustStore } from './checkpoints.ts';
import { createEdgeClient, type EdgeClient } from './client.ts';
import { createJsonlEntryReader } from './jsonl-reader.ts';
import { createLogMonitor, type LogMonitor, type SyncResult } from './log-monitor.ts';
import { readLogStatus } from './log-status.ts';
import {
  createFileReceiptStore,
  createMemoryReceiptStore,
  type LedgerAlert,
  type Receipt,
  type ReceiptStore,
  readReceipts,
  receiptsPath,
  verifyReceipt,
} from './receipts.ts';
import { deviceRequestSigner } from './signed-request.ts';
import {
  createJournalWriter,
  type EdgeWithDevice,
  edgeWithDevice,
  type JournalWriter,
} from './test-support.ts';
import { createUploader, type Uploader } from './uploader.ts';

let dir: string;
let edge: EdgeWithDevice;
let tlog: TransparencyLog;
let journal: JournalWriter;
let client: EdgeClient;
let uploader: Uploader;
/** The edge as this device reaches it; a test answers a route itself as a tampering operator would. */
let forged: Map<string, (url: URL, forward: () => Promise<Response>) => Response | Promise<Response>>;
let offline: boolean;
let requests: string[];
/** The last entry of each acknowledged upload batch, as the uploader reports it. */
let uploadedLast: JournalEntry | undefined;
let alerts: LedgerAlert[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-log-monitor-'));
  edge = await edgeWithDevice(dir);
  tlog = createTransparencyLog({ store: edge.store, name: 'edge.test' });
  const app = createApp({ store: edge.store, mailer: createOutboxMailer(), tlog });
  journal = createJournalWriter(join(dir, 'journal', 'journal.jsonl'), edge.deviceId, edge.key);
  await journal.startSession('s1');
  forged = new Map();
  offline = false;
  requests = [];
  alerts = [];
  uploadedLast = undefined;
  client = createEdgeClient({
    baseUrl: 'http://edge.test',
    signer: deviceRequestSigner(edge.deviceId, edge.key),
    fetch: async (input, init) => {
      const url = new URL(input);
      if (offline) throw new TypeError('Unable to connect. Is the computer able to access the url?');
      requests.push(url.pathname);
      const forward = async () => app.fetch(new Request(input, init));
      const answer = forged.get(url.pathname);
      return answer ? answer(url, forward) : forward();
    },
  });
  uploader = createUploader({
    client,
    deviceId: edge.deviceId,
    readEntriesAfter: createJsonlEntryReader(journal.path),
    cursorPath: join(dir, 'journal', 'upload-cursor.json'),
    onEvent: (event) => {
      if (event.kind === 'uploaded') uploadedLast = event.last;
    },
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function monitorWith(
  trust: LogTrustStore = createFileLogTrustStore(dir),
  receipts: ReceiptStore = createFileReceiptStore(dir),
): LogMonitor {
  return createLogMonitor({ client, trust, receipts, onAlert: (alert) => void alerts.push(alert) });
}

/** Writes `count` entries and uploads everything new; returns the last entry the edge acknowledged. */
async function upload(count: number): Promise<JournalEntry> {
  journal.write(count);
  expect(await uploader.flush()).toBe(true);
  if (!uploadedLast) throw new Error('nothing was uploaded');
  return uploadedLast;
}

/** What the edge answers to GET /v1/agent/inclusion for `seq`, as JSON. */
async function realInclusion(seq: number): Promise<Record<string, unknown>> {
  return { ...(await tlog.inclusionProof(edge.orgId, edge.deviceId, seq)) };
}

function expectVerified(receipt: Receipt): void {
  const entry = journal.entries[receipt.seq] as JournalEntry;
  const logKey = readFileSync(join(dir, 'log-key'), 'utf8').trim();
  expect(verifyReceipt(receipt, entry, logKey)).toMatchObject({ ok: true });
}

describe('createLogMonitor()', () => {
  test('after every upload the device checks the log and keeps a verified receipt for the last entry it uploaded', async () => {
    const monitor = monitorWith();
    const first = await monitor.uploaded(await upload(4));
    expect(first.log).toMatchObject({ kind: 'consistent', previousSize: null });
    expect(first.receipt).toMatchObject({ kind: 'receipt', receipt: { seq: 4, leafIndex: 4 } });

    const second = await monitor.uploaded(await upload(6));
    expect(second.log).toMatchObject({ kind: 'consistent' });
    expect(second.receipt).toMatchObject({ kind: 'receipt', receipt: { seq: 10, leafIndex: 10 } });

    const { receipts, unreadable } = readReceipts(receiptsPath(dir));
    expect(unreadable).toBe(0);
    expect(receipts.map((r) => r.seq)).toEqual([4, 10]);
    for (const receipt of receipts) expectVerified(receipt);
    // The checkpoint the last proof led to is the one the device now holds as verified.
    expect(readFileSync(join(dir, 'log-checkpoint'), 'utf8')).toBe(receipts[1]?.checkpoint as string);
    expect(statSync(receiptsPath(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readLogStatus(dir, edge.deviceId)).toMatchObject({
      receipts: 2,
      highestSeq: 10,
      uploadedThrough: 10,
      pending: 0,
      checkpoint: { origin: 'edge.test/acme', size: 11 },
    });
    // Nothing new uploaded: the log is checked, no receipt is asked for again.
    requests = [];
    expect((await monitor.sync()).receipt).toEqual({ kind: 'none' });
    expect(requests).toEqual(['/v1/agent/checkpoint']);
    expect(alerts).toEqual([]);
  });

  test('uploads that finish while a check runs ask for one more check, not one each', async () => {
    const receipts = createMemoryReceiptStore();
    const monitor = monitorWith(createMemoryLogTrustStore(), receipts);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    forged.set('/v1/agent/checkpoint', async (_url, forward) => {
      await gate;
      return forward();
    });
    const results: Promise<SyncResult>[] = [];
    for (let batch = 0; batch < 5; batch++) results.push(monitor.uploaded(await upload(2)));
    release();
    const settled = await Promise.all(results);
    expect(requests.filter((p) => p === '/v1/agent/checkpoint')).toHaveLength(2);
    // The four that waited share the second check.
    expect(settled.slice(1).every((r) => r === settled[1])).toBe(true);
    // The running check asks for its receipt after the log check, by then for the last upload.
    expect(requests.filter((p) => p === '/v1/agent/inclusion')).toHaveLength(1);
    expect(receipts.receipts.map((r) => r.seq)).toEqual([10]);
    expect(settled[4]?.receipt).toEqual({ kind: 'none' });
  });

  test('an entry left pending while the edge could not prove it gets its receipt at the next sync, against the next checkpoint', async () => {
    const monitor = monitorWith();
    const last = await upload(5);
    forged.set('/v1/agent/inclusion', () =>
      Response.json({ error: { code: 'INTERNAL', message: 'The database is busy' } }, { status: 503 }),
    );
    expect((await monitor.uploaded(last)).receipt).toMatchObject({
      kind: 'unavailable',
      error: { code: 'INTERNAL' },
    });
    expect(readLogStatus(dir, edge.deviceId)).toMatchObject({ receipts: 0, uploadedThrough: 5, pending: 6 });

    forged.delete('/v1/agent/inclusion');
    // The log grows (this device's entries here; another device's would do the same) and the edge
    // signs a new checkpoint.
    const before = (await tlog.latestCheckpoint(edge.orgId)).size;
    journal.write(2);
    expect(await uploader.flush()).toBe(true);
    await tlog.signCheckpoint(edge.orgId);
    expect((await tlog.latestCheckpoint(edge.orgId)).size).toBeGreaterThan(before);

    const next = await monitor.sync();
    expect(next.receipt).toMatchObject({ kind: 'receipt', receipt: { seq: 5 } });
    if (next.receipt.kind === 'receipt') expectVerified(next.receipt.receipt);
    expect(readLogStatus(dir, edge.deviceId)).toMatchObject({
      highestSeq: 5,
      uploadedThrough: 7,
      pending: 2,
    });
    expect(alerts).toEqual([]);
  });

  const wrongProofs: [string, (seq: number) => Promise<Record<string, unknown>>][] = [
    [
      'a proof with one hash changed',
      async (seq) => {
        const real = await realInclusion(seq);
        const proof = [...(real.proof as string[])];
        const hash = decodeBase64Strict(proof[0] as string) as Uint8Array;
        hash[0] = (hash[0] as number) ^ 1;
        proof[0] = encodeBase64(hash);
        return { ...real, proof };
      },
    ],
    ['the proof of another leaf', async (seq) => realInclusion(seq - 1)],
    [
      "this entry's leaf hash with another leaf's proof",
      async (seq) => ({ ...(await realInclusion(seq - 1)), leafHash: (await realInclusion(seq)).leafHash }),
    ],
    ['the right proof at another index', async (seq) => ({ ...(await realInclusion(seq)), index: seq - 2 })],
  ];
  for (const [what, answer] of wrongProofs)
    test(`an edge that answers ${what} raises BAD_INCLUSION once, and no receipt is kept`, async () => {
      const monitor = monitorWith();
      const last = await upload(6);
      forged.set('/v1/agent/inclusion', async () => Response.json(await answer(last.seq)));
      const result = await monitor.uploaded(last);
      expect(result.receipt).toMatchObject({ kind: 'alert', code: 'BAD_INCLUSION' });
      expect(alerts.map((a) => a.code)).toEqual(['BAD_INCLUSION']);
      expect(Object.keys(alerts[0] ?? {}).sort()).toEqual(['code', 'evidence', 'message']);
      expect(alerts[0]?.message).toContain(`seq ${last.seq} of this device`);
      expect(alerts[0]?.evidence).toMatchObject({ device: edge.deviceId, seq: last.seq });
      // Asked again, it fails again, and the user is not told twice.
      expect((await monitor.sync()).receipt).toMatchObject({ kind: 'alert', code: 'BAD_INCLUSION' });
      expect(alerts).toHaveLength(1);
      expect(readLogStatus(dir, edge.deviceId)).toMatchObject({ receipts: 0, pending: 7 });
    });

  test('a log rewound after one sync is caught at the very next one', async () => {
    const monitor = monitorWith();
    expect((await monitor.uploaded(await upload(9))).log).toMatchObject({ kind: 'consistent', size: 10 });
    // The operator restores an older database and signs the smaller tree with the real log key.
    const row = await edge.store.logKey(edge.orgId);
    const signer = parseSignerKey(row?.signerKey ?? '');
    if (!signer.ok) throw new Error(signer.error);
    const tree = new MemoryMerkleTree();
    for (const entry of journal.entries.slice(0, 6)) tree.append(Buffer.from(entryBytes(entry)));
    const note = signCheckpoint(
      { origin: signer.value.name, size: 6, rootHash: tree.root(), extensions: [] },
      signer.value,
    );
    forged.set('/v1/agent/checkpoint', () =>
      Response.json({
        origin: signer.value.name,
        logKey: signer.value.verifierKey,
        size: 6,
        checkpoint: note,
      }),
    );
    const next = await monitor.uploaded(await upload(1));
    expect(next.log).toMatchObject({ kind: 'alert', code: 'REWOUND' });
    expect(next.receipt).toEqual({ kind: 'skipped' });
    expect(alerts.map((a) => a.code)).toEqual(['REWOUND']);
    expect(alerts[0]?.evidence).toMatchObject({ received: note });
    // The alert is raised once; the checks go on (and keep failing) without repeating it.
    expect((await monitor.uploaded(await upload(1))).log).toMatchObject({ kind: 'alert', code: 'REWOUND' });
    expect(alerts).toHaveLength(1);
  });

  test('an unreachable edge raises no alert and leaves uploaded entries pending until it returns', async () => {
    const monitor = monitorWith();
    const last = await upload(3);
    offline = true;
    const result = await monitor.uploaded(last);
    expect(result).toMatchObject({ log: { kind: 'unavailable', error: { code: 'UNREACHABLE' } } });
    expect(result.receipt).toEqual({ kind: 'skipped' });
    // The journal keeps growing and queues meanwhile.
    journal.write(4);
    expect(await uploader.flush()).toBe(false);
    expect(uploader.cursor()).toBe(3);
    expect(alerts).toEqual([]);
    expect(readLogStatus(dir, edge.deviceId)).toMatchObject({ receipts: 0, uploadedThrough: 3, pending: 4 });

    offline = false;
    const back = await monitor.uploaded(await upload(0));
    expect(back.receipt).toMatchObject({ kind: 'receipt', receipt: { seq: 7 } });
    expect(readLogStatus(dir, edge.deviceId)).toMatchObject({ highestSeq: 7, pending: 0 });
    expect(alerts).toEqual([]);
  });
});

describe('createFileReceiptStore()', () => {
  test('appends after a line torn by a crash without losing the next receipt', async () => {
    const store = createFileReceiptStore(dir);
    const monitor = createLogMonitor({
      client,
      trust: createMemoryLogTrustStore(),
      receipts: store,
      onAlert: (alert) => void alerts.push(alert),
    });
    await monitor.uploaded(await upload(2));
    appendFileSync(receiptsPath(dir), '{"v":1,"device":"torn');
    await monitor.uploaded(await upload(2));
    const read = readReceipts(receiptsPath(dir));
    expect(read.receipts.map((r) => r.seq)).toEqual([2, 4]);
    expect(read.unreadable).toBe(1);
    // A new store (the next session) starts from the highest receipt in the file.
    expect(createFileReceiptStore(dir).latest(edge.deviceId)?.seq).toBe(4);
  });
});
