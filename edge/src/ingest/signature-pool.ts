import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Ed25519Batch, Ed25519BatchVerifier } from '@ceros/protocol';

/**
 * Runtime adapter: Ed25519 verification of ingest batches on worker threads, so the thread that
 * serves requests and writes SQLite does not spend ~75 us per entry on signatures. Fails closed:
 * a worker that dies or errs rejects every batch it held (the request fails and the agent
 * re-sends it); nothing is ever answered as verified without a worker's answer for each job.
 */
export interface SignaturePool {
  readonly verify: Ed25519BatchVerifier;
  readonly threads: number;
  close(): Promise<void>;
}

export interface SignaturePoolOptions {
  threads: number;
  /** The worker's source; tests pass a broken one to check that failures fail closed. */
  source?: string;
}

/**
 * The worker runs this function's source, so the body must not use anything from outside it: its
 * modules come in as arguments, required by a fixed header that no bundler rewrites. That works
 * the same from `bun run` and from a `bun build --compile --minify` binary, where a separate
 * worker file would need an entrypoint of its own (the agent's `ceros verify` does the same).
 */
function signatureWorkerMain(
  port: import('node:worker_threads').MessagePort,
  createPublicKey: typeof import('node:crypto').createPublicKey,
  verify: typeof import('node:crypto').verify,
): void {
  const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
  port.on('message', (message: { id: number; batch: Ed25519Batch }) => {
    const { id, batch } = message;
    const keys: (import('node:crypto').KeyObject | undefined)[] = [];
    for (let k = 0; k * 32 < batch.publicKeys.length; k++) {
      try {
        const raw = batch.publicKeys.subarray(k * 32, k * 32 + 32);
        keys.push(createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' }));
      } catch {
        keys.push(undefined);
      }
    }
    const out = new Uint8Array(batch.count);
    for (let i = 0; i < batch.count; i++) {
      const key = keys[batch.keyIndex[i] as number];
      if (!key) continue;
      try {
        const signed = batch.messages.subarray(batch.offsets[i], batch.offsets[i + 1]);
        out[i] = verify(null, signed, key, batch.signatures.subarray(i * 64, i * 64 + 64)) ? 1 : 0;
      } catch {
        out[i] = 0;
      }
    }
    port.postMessage({ id, out }, [out.buffer]);
  });
}

export const SIGNATURE_WORKER_SOURCE = `const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
(${signatureWorkerMain.toString()})(parentPort, createPublicKey, verify);
`;

interface Pending {
  readonly count: number;
  readonly resolve: (out: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | undefined;
  readonly pending: Map<number, Pending>;
}

export function createSignaturePool(options: SignaturePoolOptions): SignaturePool {
  const source = options.source ?? SIGNATURE_WORKER_SOURCE;
  const threads = Math.max(1, Math.floor(options.threads));
  const slots: Slot[] = Array.from({ length: threads }, () => ({ worker: undefined, pending: new Map() }));
  let closed = false;
  let next = 0;

  /** Fails every batch the slot's worker held and forgets the worker; the next batch starts another. */
  const lose = (slot: Slot, worker: Worker, why: string) => {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    void worker.terminate();
    const error = new Error(`Cannot verify signatures: ${why}`);
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
  };

  const start = (slot: Slot): Worker => {
    const worker = new Worker(source, { eval: true });
    // An idle pool never keeps the process alive; a pool with work in flight does.
    worker.unref();
    worker.on('message', (message: { id?: unknown; out?: unknown }) => {
      const p = typeof message?.id === 'number' ? slot.pending.get(message.id) : undefined;
      if (!p) return;
      slot.pending.delete(message.id as number);
      if (slot.pending.size === 0) worker.unref();
      const out = message.out;
      if (!(out instanceof Uint8Array) || out.length !== p.count)
        p.reject(new Error('Cannot verify signatures: a worker answered with a malformed result'));
      else p.resolve(out);
    });
    worker.on('error', (error: Error) => lose(slot, worker, `a signature worker failed: ${error.message}`));
    worker.on('exit', (code) => lose(slot, worker, `a signature worker exited with code ${code}`));
    slot.worker = worker;
    return worker;
  };

  const verify: Ed25519BatchVerifier = (batch) =>
    new Promise((resolve, reject) => {
      if (closed) {
        reject(new Error('Cannot verify signatures: the pool is closed'));
        return;
      }
      let slot = slots[0] as Slot;
      for (const s of slots) if (s.pending.size < slot.pending.size) slot = s;
      let worker: Worker;
      try {
        worker = slot.worker ?? start(slot);
      } catch (error) {
        reject(new Error(`Cannot verify signatures: cannot start a worker: ${(error as Error).message}`));
        return;
      }
      const id = next++;
      slot.pending.set(id, { count: batch.count, resolve, reject });
      worker.ref();
      const transfer = [
        batch.publicKeys,
        batch.keyIndex,
        batch.signatures,
        batch.messages,
        batch.offsets,
      ].map((a) => a.buffer as ArrayBuffer);
      try {
        worker.postMessage({ id, batch }, transfer);
      } catch (error) {
        slot.pending.delete(id);
        reject(new Error(`Cannot verify signatures: ${(error as Error).message}`));
      }
    });

  return {
    verify,
    threads,
    async close() {
      closed = true;
      await Promise.all(
        slots.map((slot) => {
          const worker = slot.worker;
          if (!worker) return undefined;
          lose(slot, worker, 'the pool is closed');
          return worker.terminate();
        }),
      );
    },
  };
}

let shared: SignaturePool | undefined;

/**
 * The process's pool, started on first use: one worker per core but one, which the thread serving
 * requests keeps (on 2 cores: one worker). Verification needs no state, so every app in the
 * process can share it, as they share the CPU.
 */
export function sharedSignaturePool(): SignaturePool {
  shared ??= createSignaturePool({ threads: Math.max(1, availableParallelism() - 1) });
  return shared;
}
