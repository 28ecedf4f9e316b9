import { describe, expect, test } from 'bun:test';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addSignatureLines,
  createNoteSigner,
  formatAddCheckpointRequest,
  MemoryMerkleTree,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  openCheckpoint,
  signCheckpoint,
} from '@ceros/protocol';
import { createFileWitnessStore } from './file-store.ts';
import { handleWitnessRequest } from './http.ts';
import { createMemoryWitnessStore, type WitnessStore } from './store.ts';
import { createWitness, witnessLogsFromKeys } from './witness.ts';

const origin = 'ceros.test/log';
const log = createNoteSigner(origin, NOTE_ED25519, new Uint8Array(32).fill(1));
const signer = createNoteSigner('witness.test/w1', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(2));

function tree(n: number, salt = ''): MemoryMerkleTree {
  const t = new MemoryMerkleTree();
  for (let i = 0; i < n; i++) t.append(new TextEncoder().encode(`${salt}entry ${i}`));
  return t;
}

const honest = tree(100);
const note = (t: MemoryMerkleTree, size: number, by = log) =>
  signCheckpoint({ origin, size, rootHash: t.root(size), extensions: [] }, by);
const request = (oldSize: number, size: number, t = honest, proofFrom = t) =>
  formatAddCheckpointRequest({
    oldSize,
    proof: proofFrom.consistencyProof(oldSize, size),
    checkpoint: note(t, size),
  });

function witness(backing?: WitnessStore) {
  let clock = 1_767_600_000;
  const store = createMemoryWitnessStore();
  return {
    store,
    w: createWitness({
      signer,
      logs: witnessLogsFromKeys([log.verifierKey]),
      store: backing ?? store,
      now: () => clock++,
    }),
  };
}

describe('the witness cosigns consistent growth', () => {
  test('the witness cosigns the first checkpoint it sees, and the cosignature verifies', async () => {
    const { w, store } = witness();
    const r = await w.addCheckpoint(request(0, 10));
    expect(r).toMatchObject({ outcome: 'COSIGNED', status: 200 });
    const cosigned = addSignatureLines(note(honest, 10), r.body);
    expect(cosigned.ok).toBe(true);
    if (!cosigned.ok) return;
    const opened = openCheckpoint(cosigned.value, {
      logKey: log.verifierKey,
      witnessKeys: [signer.verifierKey],
      requireCosignatures: 1,
    });
    expect(opened.ok && opened.value.cosignatures[0]?.timestamp).toBe(1_767_600_000);
    expect(store.records.get(origin)?.size).toBe(10);
  });

  test('the witness cosigns each larger checkpoint that comes with a valid consistency proof', async () => {
    const { w } = witness();
    await w.addCheckpoint(request(0, 1));
    for (const [from, to] of [
      [1, 2],
      [2, 7],
      [7, 8],
      [8, 63],
      [63, 100],
    ] as const) {
      expect(await w.addCheckpoint(request(from, to))).toMatchObject({ outcome: 'COSIGNED', status: 200 });
    }
  });

  test('the witness cosigns the same checkpoint again', async () => {
    const { w } = witness();
    await w.addCheckpoint(request(0, 10));
    expect(await w.addCheckpoint(request(10, 10))).toMatchObject({ outcome: 'COSIGNED' });
  });
});

describe('the witness refuses forks, rollbacks and bad requests', () => {
  test('the witness refuses a fork: the same size with another root', async () => {
    const { w, store } = witness();
    await w.addCheckpoint(request(0, 50));
    const forked = tree(100, 'forked ');
    const r = await w.addCheckpoint(
      formatAddCheckpointRequest({ oldSize: 50, proof: [], checkpoint: note(forked, 50) }),
    );
    expect(r).toMatchObject({ outcome: 'FORK', status: 409 });
    expect(store.records.get(origin)?.size).toBe(50);
  });

  test('the witness refuses growth from a rebuilt tree: its proof does not reach the cosigned root', async () => {
    const { w } = witness();
    await w.addCheckpoint(request(0, 50));
    // The operator rebuilt the tree (entry 20 replaced) and re-signed it with the log key.
    const rebuilt = new MemoryMerkleTree();
    for (let i = 0; i < 100; i++)
      rebuilt.append(new TextEncoder().encode(i === 20 ? 'rewritten' : `entry ${i}`));
    const r = await w.addCheckpoint(request(50, 80, rebuilt));
    expect(r).toMatchObject({ outcome: 'INCONSISTENT', status: 422 });
  });

  test('the witness refuses a rollback and answers with its size', async () => {
    const { w } = witness();
    await w.addCheckpoint(request(0, 50));
    const r = await w.addCheckpoint(request(0, 40));
    expect(r).toMatchObject({
      outcome: 'ROLLBACK',
      status: 409,
      contentType: 'text/x.tlog.size',
      body: '50\n',
    });
  });

  test('the witness answers a stale old size with 409 and its latest size, then cosigns the retry', async () => {
    const { w } = witness();
    await w.addCheckpoint(request(0, 50));
    expect(await w.addCheckpoint(request(40, 60))).toMatchObject({
      outcome: 'STALE_OLD_SIZE',
      status: 409,
      body: '50\n',
    });
    expect(await w.addCheckpoint(request(50, 60))).toMatchObject({ outcome: 'COSIGNED' });
  });

  test('the witness refuses unknown logs, bad signatures, bad proofs and malformed requests with their statuses', async () => {
    const { w } = witness();
    const other = createNoteSigner('other.test/log', NOTE_ED25519, new Uint8Array(32).fill(3));
    const otherNote = signCheckpoint(
      { origin: 'other.test/log', size: 1, rootHash: honest.root(1), extensions: [] },
      other,
    );
    expect(
      await w.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: otherNote })),
    ).toMatchObject({
      outcome: 'UNKNOWN_LOG',
      status: 404,
    });
    const impostor = createNoteSigner(origin, NOTE_ED25519, new Uint8Array(32).fill(4));
    expect(
      await w.addCheckpoint(
        formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: note(honest, 5, impostor) }),
      ),
    ).toMatchObject({ outcome: 'BAD_LOG_SIGNATURE', status: 403 });
    expect(
      await w.addCheckpoint(
        formatAddCheckpointRequest({ oldSize: 6, proof: [], checkpoint: note(honest, 5) }),
      ),
    ).toMatchObject({ outcome: 'OLD_SIZE_TOO_LARGE', status: 400 });
    expect(await w.addCheckpoint('hello')).toMatchObject({ outcome: 'MALFORMED_REQUEST', status: 400 });
    await w.addCheckpoint(request(0, 10));
    const truncated = formatAddCheckpointRequest({
      oldSize: 10,
      proof: honest.consistencyProof(10, 20).slice(1),
      checkpoint: note(honest, 20),
    });
    expect(await w.addCheckpoint(truncated)).toMatchObject({ outcome: 'INCONSISTENT', status: 422 });
  });

  test('two concurrent requests from the same old size: one is cosigned, the other sees 409', async () => {
    const { w } = witness();
    await w.addCheckpoint(request(0, 10));
    const [a, b] = await Promise.all([w.addCheckpoint(request(10, 30)), w.addCheckpoint(request(10, 20))]);
    expect([a.status, b.status]).toEqual([200, 409]);
  });
});

describe('witness state and HTTP', () => {
  test('the file store keeps the latest checkpoint in a 0600 file that survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ceros-witness-'));
    const first = witness(createFileWitnessStore(dir));
    await first.w.addCheckpoint(request(0, 30));
    const again = createWitness({
      signer,
      logs: witnessLogsFromKeys([log.verifierKey]),
      store: createFileWitnessStore(dir),
      now: () => 1,
    });
    expect(await again.addCheckpoint(request(0, 20))).toMatchObject({ outcome: 'ROLLBACK', body: '30\n' });
    expect(await again.addCheckpoint(request(30, 40))).toMatchObject({ outcome: 'COSIGNED' });
    const record = await createFileWitnessStore(dir).load(origin);
    expect(record?.size).toBe(40);
    const { readdirSync } = await import('node:fs');
    const file = join(dir, 'logs', readdirSync(join(dir, 'logs'))[0] ?? '');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'logs')).mode & 0o777).toBe(0o700);
  });

  test('POST /add-checkpoint answers with the witness status and body; other paths are 404', async () => {
    const { w } = witness();
    const post = (body: string) =>
      handleWitnessRequest(w, new Request('http://w/add-checkpoint', { method: 'POST', body }));
    const ok = await post(request(0, 10));
    expect(ok.status).toBe(200);
    expect((await ok.text()).startsWith('— witness.test/w1 ')).toBe(true);
    const conflict = await post(request(0, 5));
    expect([conflict.status, conflict.headers.get('content-type'), await conflict.text()]).toEqual([
      409,
      'text/x.tlog.size',
      '10\n',
    ]);
    expect((await handleWitnessRequest(w, new Request('http://w/nope'))).status).toBe(404);
    expect((await handleWitnessRequest(w, new Request('http://w/add-checkpoint'))).status).toBe(405);
    const big = await post('x'.repeat(70_000));
    expect(big.status).toBe(413);
    expect(await (await handleWitnessRequest(w, new Request('http://w/'))).text()).toContain(
      signer.verifierKey,
    );
  });
});
