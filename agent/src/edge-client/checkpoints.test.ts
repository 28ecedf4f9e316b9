import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createOutboxMailer, createTransparencyLog, type TransparencyLog } from '@ceros/edge';
import {
  createNoteSigner,
  encodeBase64,
  entryBytes,
  MemoryMerkleTree,
  NOTE_ED25519,
  type NoteSigner,
  parseSignerKey,
  signCheckpoint,
} from '@ceros/protocol';
import {
  checkLogConsistency,
  createFileLogTrustStore,
  createMemoryLogTrustStore,
  logCheckpointPath,
  logKeyPath,
  verifyLogCheckpoint,
} from './checkpoints.ts';
import { createEdgeClient, type EdgeClient } from './client.ts';
import { deviceRequestSigner } from './signed-request.ts';
import {
  createJournalWriter,
  type EdgeWithDevice,
  edgeWithDevice,
  type JournalWriter,
} from './test-support.ts';

let dir: string;
let edge: EdgeWithDevice;
let tlog: TransparencyLog;
let journal: JournalWriter;
/** Routes the test answers itself, as an edge operator who tampers with its log would. */
let forged: Map<string, (url: URL) => unknown>;
let client: EdgeClient;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-log-check-'));
  edge = await edgeWithDevice(dir);
  tlog = createTransparencyLog({ store: edge.store, name: 'edge.test' });
  const app = createApp({ store: edge.store, mailer: createOutboxMailer(), tlog });
  journal = createJournalWriter(join(dir, 'journal.jsonl'), edge.deviceId, edge.key);
  await journal.startSession('s1');
  forged = new Map();
  uploaded = 0;
  client = createEdgeClient({
    baseUrl: 'http://edge.test',
    signer: deviceRequestSigner(edge.deviceId, edge.key),
    fetch: async (input, init) => {
      const url = new URL(input);
      const answer = forged.get(url.pathname);
      if (answer) return Response.json(answer(url));
      return app.fetch(new Request(input, init));
    },
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `count` entries, uploads everything new, and has the edge sign a checkpoint. */
let uploaded = 0;
async function grow(count: number): Promise<void> {
  journal.write(count);
  await client.request('POST', '/v1/agent/ingest', { json: { entries: journal.entries.slice(uploaded) } });
  uploaded = journal.entries.length;
  await tlog.signCheckpoint(edge.orgId);
}

/** The organization's real log key, as an operator who has the database has it. */
async function logSigner(): Promise<NoteSigner> {
  const row = await edge.store.logKey(edge.orgId);
  const parsed = parseSignerKey(row?.signerKey ?? '');
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** A tree of `size` leaves whose first `keep` are the real entries and the rest other data. */
function rewrittenTree(size: number, keep: number): MemoryMerkleTree {
  const tree = new MemoryMerkleTree();
  for (let i = 0; i < size; i++)
    tree.append(Buffer.from(i < keep ? entryBytes(journal.entries[i] as never) : `rewritten ${i}`));
  return tree;
}

async function serveForged(tree: MemoryMerkleTree, size = tree.size): Promise<void> {
  const signer = await logSigner();
  const note = signCheckpoint(
    { origin: signer.name, size, rootHash: tree.root(size), extensions: [] },
    signer,
  );
  forged.set('/v1/agent/checkpoint', () => ({
    origin: signer.name,
    logKey: signer.verifierKey,
    size,
    checkpoint: note,
  }));
  forged.set('/v1/agent/consistency', (url) => ({
    from: Number(url.searchParams.get('from')),
    to: size,
    proof: tree.consistencyProof(Number(url.searchParams.get('from')), size).map(encodeBase64),
  }));
}

describe('checkLogConsistency()', () => {
  test('the first check pins the log key and keeps the checkpoint; a grown log is accepted with its consistency proof', async () => {
    await grow(9);
    const store = createFileLogTrustStore(dir);
    const first = await checkLogConsistency(client, store);
    expect(first).toMatchObject({ kind: 'consistent', size: 10, previousSize: null });
    expect(readFileSync(logKeyPath(dir), 'utf8').trim()).toBe((await tlog.logKey(edge.orgId)).verifierKey);
    expect(statSync(logKeyPath(dir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(logCheckpointPath(dir), 'utf8')).toContain('edge.test/acme\n10\n');

    await grow(13);
    expect(await checkLogConsistency(client, store)).toMatchObject({
      kind: 'consistent',
      size: 23,
      previousSize: 10,
    });
    // Nothing new is fine too.
    expect(await checkLogConsistency(client, store)).toMatchObject({
      kind: 'consistent',
      size: 23,
      previousSize: 23,
    });
  });

  test('a log rewound to fewer entries, signed with the same key, raises REWOUND and keeps the evidence', async () => {
    await grow(11);
    const store = createMemoryLogTrustStore();
    await checkLogConsistency(client, store);
    const verified = store.checkpoint;
    // The operator restores an older database, or drops entries, and signs the smaller tree.
    await serveForged(rewrittenTree(12, 12), 7);
    const check = await checkLogConsistency(client, store);
    expect(check).toMatchObject({ kind: 'alert', code: 'REWOUND' });
    expect(check.kind === 'alert' && check.message).toContain('signed 12 entries before and now shows 7');
    expect(check.kind === 'alert' && check.evidence.stored).toBe(verified as string);
    expect(store.checkpoint).toBe(verified);
  });

  test('another root for the size this device verified is a SPLIT_VIEW', async () => {
    await grow(11);
    const store = createMemoryLogTrustStore();
    await checkLogConsistency(client, store);
    await serveForged(rewrittenTree(12, 5));
    expect(await checkLogConsistency(client, store)).toMatchObject({ kind: 'alert', code: 'SPLIT_VIEW' });
  });

  test('a larger tree that rewrote what this device verified is FORKED: its proof does not reach the old root', async () => {
    await grow(11);
    const store = createMemoryLogTrustStore();
    await checkLogConsistency(client, store);
    await serveForged(rewrittenTree(30, 5));
    const check = await checkLogConsistency(client, store);
    expect(check).toMatchObject({ kind: 'alert', code: 'FORKED' });
    expect(check.kind === 'alert' && check.message).toContain('does not extend the 12 this device verified');
  });

  test('a checkpoint signed by another key is refused even when the edge announces that key', async () => {
    await grow(3);
    const store = createMemoryLogTrustStore();
    await checkLogConsistency(client, store);
    const impostor = createNoteSigner('edge.test/acme', NOTE_ED25519, new Uint8Array(32).fill(9));
    const tree = rewrittenTree(8, 4);
    forged.set('/v1/agent/checkpoint', () => ({
      origin: impostor.name,
      logKey: impostor.verifierKey,
      size: 8,
      checkpoint: signCheckpoint(
        { origin: impostor.name, size: 8, rootHash: tree.root(), extensions: [] },
        impostor,
      ),
    }));
    const check = await checkLogConsistency(client, store);
    expect(check).toMatchObject({ kind: 'alert', code: 'BAD_LOG_SIGNATURE' });
    expect(check.kind === 'alert' && check.message).toContain('the edge now announces key');
  });

  test('a key pinned at enrollment is used from the first check on', async () => {
    await grow(3);
    const impostor = createNoteSigner('edge.test/acme', NOTE_ED25519, new Uint8Array(32).fill(9));
    const store = createMemoryLogTrustStore({ logKey: impostor.verifierKey });
    expect(await checkLogConsistency(client, store)).toMatchObject({
      kind: 'alert',
      code: 'BAD_LOG_SIGNATURE',
    });
    expect(store.checkpoint).toBeUndefined();
  });

  test('an unreachable edge is no verdict, and nothing is stored', async () => {
    const offline = createEdgeClient({
      baseUrl: 'http://127.0.0.1:9',
      signer: deviceRequestSigner(edge.deviceId, edge.key),
      timeoutMs: 1000,
    });
    const store = createMemoryLogTrustStore();
    expect(await checkLogConsistency(offline, store)).toMatchObject({
      kind: 'unavailable',
      error: { code: 'UNREACHABLE' },
    });
    expect(store.logKey).toBeUndefined();
  });
});

describe('verifyLogCheckpoint()', () => {
  test('a larger checkpoint that extends the verified one is adopted; an older one it extends is accepted and not adopted', async () => {
    await grow(5);
    const older = (await tlog.latestCheckpoint(edge.orgId)).note;
    await grow(4);
    const store = createMemoryLogTrustStore();
    await checkLogConsistency(client, store);
    const verified = store.checkpoint;
    expect(await verifyLogCheckpoint(client, store, older)).toMatchObject({
      kind: 'consistent',
      size: 6,
      previousSize: 10,
    });
    expect(store.checkpoint).toBe(verified);

    await grow(3);
    const newer = (await tlog.latestCheckpoint(edge.orgId)).note;
    expect(await verifyLogCheckpoint(client, store, newer)).toMatchObject({ kind: 'consistent', size: 13 });
    expect(store.checkpoint).toBe(newer);
  });

  test('an older checkpoint the verified one does not extend is FORKED, not REWOUND', async () => {
    await grow(9);
    const store = createMemoryLogTrustStore();
    await checkLogConsistency(client, store);
    const tree = rewrittenTree(6, 2);
    const signer = await logSigner();
    const note = signCheckpoint(
      { origin: signer.name, size: 6, rootHash: tree.root(), extensions: [] },
      signer,
    );
    // The edge's real proof from 6 to 10 cannot lead from the rewritten root to the verified one.
    const check = await verifyLogCheckpoint(client, store, note);
    expect(check).toMatchObject({ kind: 'alert', code: 'FORKED' });
    expect(check.kind === 'alert' && check.message).toContain('do not extend the edge');
  });

  test('without a pinned log key there is nothing to check against', async () => {
    await grow(2);
    const note = (await tlog.latestCheckpoint(edge.orgId)).note;
    expect(await verifyLogCheckpoint(client, createMemoryLogTrustStore(), note)).toMatchObject({
      kind: 'unavailable',
      error: { code: 'NO_LOG_KEY' },
    });
  });
});
