import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { batchTransferList, type Ed25519BatchVerifier, SIGNATURE_WORKER_SOURCE } from '@ceros/protocol';

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
      const transfer = batchTransferList(batch);
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
