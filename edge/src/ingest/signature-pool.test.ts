import { afterAll, describe, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import {
  Ed25519BatchBuilder,
  type Ed25519BatchVerifier,
  ed25519RawPublicKey,
  type JournalEntry,
  verifyEd25519Batch,
} from '@ceros/protocol';
import { parsePolicyValidator } from '../app.ts';
import { type AppContext, DEFAULT_SETTINGS } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { createOutboxMailer } from '../mail/mailer.ts';
import type { Device } from '../store/store.ts';
import { createFakeDevice } from '../testing/fake-device.ts';
import { createOrgWithAdmin, createTestEdge, enrollDevice } from '../testing/test-edge.ts';
import { ingestBatch } from './ingest.ts';
import { createSignaturePool, type SignaturePool } from './signature-pool.ts';

const pools: SignaturePool[] = [];
const pool = (options: Parameters<typeof createSignaturePool>[0]) => {
  const p = createSignaturePool(options);
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function batchOf(count: number, bad: readonly number[] = []) {
  const keys = [0, 1].map(() => generateKeyPairSync('ed25519').privateKey);
  const builder = new Ed25519BatchBuilder();
  for (let i = 0; i < count; i++) {
    const key = keys[i % 2] ?? keys[0];
    if (!key) throw new Error('no key');
    const message = Buffer.from(`entry ${i}`);
    const signature = sign(null, message, key);
    builder.add(ed25519RawPublicKey(key), bad.includes(i) ? Buffer.from(`entry ${i}!`) : message, signature);
  }
  return builder.build();
}

async function enrolledDevice() {
  const edge = await createTestEdge();
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  const fake = createFakeDevice({ now: edge.clock.now });
  await enrollDevice(edge, fake, { email: 'dev@acme.test', org: 'acme' });
  const device = (await edge.store.getDeviceForAuth(fake.id)) as Device;
  const ctx: AppContext = {
    store: edge.store,
    mailer: createOutboxMailer(),
    now: edge.clock.now,
    ledger: undefined,
    tlog: undefined,
    validatePolicy: parsePolicyValidator,
    shellParser: () => Promise.reject(new Error('no shell parser in this test')),
    binaries: undefined,
    settings: DEFAULT_SETTINGS,
    log: () => {},
  };
  const entries: JournalEntry[] = [await fake.startSession('s1')];
  for (let i = 0; i < 5; i++) entries.push(fake.append('prompt', { text: `prompt ${i}` }));
  return { edge, ctx, device, entries };
}

async function refusal(run: Promise<unknown>): Promise<EdgeError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof EdgeError) return error;
    throw error;
  }
  throw new Error('the batch was accepted');
}

describe('signature pool', () => {
  test('verifies batches on two workers exactly as in process', async () => {
    const workers = pool({ threads: 2 });
    const batches = Array.from({ length: 6 }, (_, i) => batchOf(200 + i, [i * 7, 199]));
    const expected = batches.map((b) => [...verifyEd25519Batch(b)]);
    const answers = await Promise.all(batches.map((b) => workers.verify(b)));
    expect(answers.map((a) => [...a])).toEqual(expected);
  });

  test('a bad signature checked on a worker refuses the batch with the error the in-process check gives', async () => {
    const { ctx, device, entries } = await enrolledDevice();
    const tampered = entries.map((e, i) => (i === 3 ? { ...e, payload: { text: 'rewritten' } } : e));
    const onWorker = await refusal(
      ingestBatch(ctx, device, tampered, { verifySignatures: pool({ threads: 1 }).verify }),
    );
    const inProcess = await refusal(ingestBatch(ctx, device, tampered));
    expect(onWorker.code).toBe('VERIFY_FAILED');
    expect(onWorker.details).toEqual({ seq: 3, check: 'BAD_SIGNATURE' });
    expect(onWorker.message).toContain(
      'Entry seq 3 (prompt) has a signature that does not match its content',
    );
    expect([onWorker.code, onWorker.message, onWorker.details]).toEqual([
      inProcess.code,
      inProcess.message,
      inProcess.details,
    ]);
  });

  test('a worker that dies holding a batch fails it closed: nothing is stored, and the next batch gets a new worker', async () => {
    const crashing = pool({
      threads: 1,
      source: `require('node:worker_threads').parentPort.on('message', () => process.exit(3));`,
    });
    await expect(crashing.verify(batchOf(3))).rejects.toThrow('exited with code 3');
    await expect(crashing.verify(batchOf(3))).rejects.toThrow('exited with code 3');

    const { ctx, device, entries } = await enrolledDevice();
    const error = await refusal(ingestBatch(ctx, device, entries, { verifySignatures: crashing.verify }));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('its signatures could not be checked');
    expect((await ctx.store.getDeviceForAuth(device.id))?.headSeq).toBeNull();
    expect(
      await ingestBatch(ctx, device, entries, { verifySignatures: pool({ threads: 1 }).verify }),
    ).toMatchObject({ accepted: 6 });
  });

  test('a worker that answers with the wrong number of results, or never verified, is not believed', async () => {
    const liar = pool({
      threads: 1,
      source: `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, batch }) => parentPort.postMessage({ id, out: new Uint8Array(batch.count + 1).fill(1) }));`,
    });
    await expect(liar.verify(batchOf(4))).rejects.toThrow('malformed result');
    const silent: Ed25519BatchVerifier = pool({
      threads: 1,
      source: `require('node:worker_threads').parentPort.on('message', ({ id }) => { throw new Error('cannot verify ' + id); });`,
    }).verify;
    await expect(silent(batchOf(2))).rejects.toThrow('Cannot verify signatures');
  });

  test('a closed pool refuses new batches', async () => {
    const closing = createSignaturePool({ threads: 1 });
    expect([...(await closing.verify(batchOf(2)))]).toEqual([1, 1]);
    await closing.close();
    await expect(closing.verify(batchOf(2))).rejects.toThrow('the pool is closed');
  });
});
