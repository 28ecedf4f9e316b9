import { type KeyObject, verify } from 'node:crypto';
import { ed25519PublicKeyFromBytes } from './note.ts';

/**
 * Many Ed25519 verifications packed into a few flat buffers, so a caller with threads (the
 * `ceros verify` command) can transfer a batch to a worker without copying or serializing
 * objects. Protocol code builds batches and verifies them in process; it never starts threads.
 */
export interface Ed25519Batch {
  readonly count: number;
  /** Raw 32-byte public keys, concatenated; `keyIndex` points into them. */
  readonly publicKeys: Uint8Array;
  readonly keyIndex: Uint32Array;
  /** 64 bytes per job. */
  readonly signatures: Uint8Array;
  /** Messages concatenated; job i is messages[offsets[i], offsets[i + 1]). */
  readonly messages: Uint8Array;
  readonly offsets: Uint32Array;
}

/** Resolves to one byte per job: 1 when the signature verifies, 0 when it does not. */
export type Ed25519BatchVerifier = (batch: Ed25519Batch) => Promise<Uint8Array>;

const utf8 = new TextEncoder();

/**
 * Collects jobs straight into the flat buffers of a batch, growing them as needed. `jobs` sizes
 * them up front: an ingest request of 20 entries should not zero buffers made for thousands.
 */
export class Ed25519BatchBuilder {
  readonly #keys = new Map<string, number>();
  #publicKeys = new Uint8Array(32 * 4);
  #keyIndex: Uint32Array;
  #signatures: Uint8Array;
  #offsets: Uint32Array;
  #messages: Uint8Array;
  #count = 0;
  #messageBytes = 0;

  constructor(capacity: { jobs?: number } = {}) {
    const jobs = Math.max(1, capacity.jobs ?? 1024);
    this.#keyIndex = new Uint32Array(jobs);
    this.#signatures = new Uint8Array(64 * jobs);
    this.#offsets = new Uint32Array(jobs + 1);
    // About what a journal entry's signing bytes take.
    this.#messages = new Uint8Array(512 * jobs);
  }

  get count(): number {
    return this.#count;
  }

  #key(publicKey: Uint8Array): number {
    if (publicKey.length !== 32) throw new RangeError('An Ed25519 public key is 32 bytes');
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1');
    let k = this.#keys.get(id);
    if (k === undefined) {
      k = this.#keys.size;
      this.#keys.set(id, k);
      if ((k + 1) * 32 > this.#publicKeys.length) this.#publicKeys = grow(this.#publicKeys, (k + 1) * 32);
      this.#publicKeys.set(publicKey, k * 32);
    }
    return k;
  }

  #reserve(messageBytes: number): void {
    const n = this.#count + 1;
    if (n > this.#keyIndex.length) {
      this.#keyIndex = grow(this.#keyIndex, n);
      this.#offsets = grow(this.#offsets, n + 1);
      this.#signatures = grow(this.#signatures, n * 64);
    }
    if (this.#messageBytes + messageBytes > this.#messages.length)
      this.#messages = grow(this.#messages, this.#messageBytes + messageBytes);
  }

  add(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    if (signature.length !== 64) throw new RangeError('An Ed25519 signature is 64 bytes');
    const k = this.#key(publicKey);
    this.#reserve(message.length);
    this.#messages.set(message, this.#messageBytes);
    this.#push(k, message.length);
    this.#signatures.set(signature, (this.#count - 1) * 64);
  }

  /** Adds a job whose message is UTF-8 text and whose signature is base64url, without copies. */
  addText(publicKey: Uint8Array, message: string, signatureBase64url: string): void {
    const k = this.#key(publicKey);
    this.#reserve(message.length * 3);
    const { written } = utf8.encodeInto(message, this.#messages.subarray(this.#messageBytes));
    const at = this.#count * 64;
    const sig = Buffer.from(this.#signatures.buffer, this.#signatures.byteOffset + at, 64);
    // A malformed signature is written short and stays zero-padded: it fails verification.
    sig.fill(0);
    sig.write(signatureBase64url, 0, 64, 'base64url');
    this.#push(k, written);
  }

  #push(key: number, messageLength: number): void {
    this.#keyIndex[this.#count] = key;
    this.#messageBytes += messageLength;
    this.#count += 1;
    this.#offsets[this.#count] = this.#messageBytes;
  }

  build(): Ed25519Batch {
    const n = this.#count;
    return {
      count: n,
      publicKeys: this.#publicKeys.slice(0, this.#keys.size * 32),
      keyIndex: this.#keyIndex.slice(0, n),
      signatures: this.#signatures.slice(0, n * 64),
      messages: this.#messages.slice(0, this.#messageBytes),
      offsets: this.#offsets.slice(0, n + 1),
    };
  }
}

function grow<T extends Uint8Array | Uint32Array>(array: T, atLeast: number): T {
  const next = new (array.constructor as new (n: number) => T)(Math.max(atLeast, array.length * 2));
  next.set(array);
  return next;
}

/** Verifies every job of a batch in this thread. */
export function verifyEd25519Batch(batch: Ed25519Batch): Uint8Array {
  const keys: (KeyObject | undefined)[] = [];
  for (let k = 0; k < batch.publicKeys.length / 32; k++) {
    try {
      keys.push(ed25519PublicKeyFromBytes(batch.publicKeys.subarray(k * 32, k * 32 + 32)));
    } catch {
      // A key that is not a point on the curve verifies nothing.
      keys.push(undefined);
    }
  }
  const results = new Uint8Array(batch.count);
  for (let i = 0; i < batch.count; i++) {
    const key = keys[batch.keyIndex[i] as number];
    if (!key) continue;
    const message = batch.messages.subarray(batch.offsets[i], batch.offsets[i + 1]);
    const signature = batch.signatures.subarray(i * 64, i * 64 + 64);
    try {
      results[i] = verify(null, message, key, signature) ? 1 : 0;
    } catch {
      results[i] = 0;
    }
  }
  return results;
}

/** The default verifier: in process, no threads. */
export const inProcessEd25519Verifier: Ed25519BatchVerifier = async (batch) => verifyEd25519Batch(batch);

/**
 * The worker runs this function's source, so the body must not use anything from outside it: its
 * modules come in as arguments, required by a fixed header that no bundler rewrites. That works
 * the same from `bun run` and from a `bun build --compile --minify` binary, where a separate
 * worker file would need an entrypoint of its own (the edge's ingest pool and `ceros verify` both run it).
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

/** The buffers a batch moves to a worker without copying (`postMessage(message, transfer)`). */
export function batchTransferList(batch: Ed25519Batch): ArrayBuffer[] {
  return [batch.publicKeys, batch.keyIndex, batch.signatures, batch.messages, batch.offsets].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
