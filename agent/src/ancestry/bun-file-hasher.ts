/**
 * Bun adapter: the fast FileHasher. SHA-256 runs in a small pool of Bun workers so Claude Code's
 * ~245 MB binary and ceros's own ~100 MB binary hash at the same time, on separate cores, while
 * the probes run on the main thread.
 *
 * Why not `Bun.mmap`: it opens the file O_RDWR, so it fails with ETXTBSY on every running
 * executable (exactly what ancestry hashes: /proc/<pid>/exe) and with EACCES on any binary the
 * user cannot write (/bin/sh, a root-installed claude). Measured in Bun 1.4.5. Instead each worker
 * maps the file read-only and private through libc `mmap` over `bun:ffi` and feeds the mapping
 * to `Bun.CryptoHasher` (measured ~7% faster than 1 MiB reads); where FFI or mmap is unavailable
 * (Windows, a failed dlopen) it falls back to 1 MiB reads.
 */

import type { Pointer } from 'bun:ffi';
import * as bunFfi from 'bun:ffi';
import * as nodeFs from 'node:fs';
import { availableParallelism } from 'node:os';
import { AncestryError } from './errors.ts';
import type { FileHasher } from './hash-cache.ts';

export interface BunFileHasherOptions {
  /** Worker threads; default min(2, cores). 0 hashes on the calling thread. */
  workers?: number;
  /** Files smaller than this are hashed on the calling thread: no worker start for a bash or sh. */
  inlineBelowBytes?: number;
}

export interface BunFileHasher extends FileHasher {
  /** Starts the workers now (~5 ms) instead of on the first large file. */
  warm(): void;
}

export const DEFAULT_INLINE_BELOW_BYTES = 4 << 20;

type SyncHash = (path: string) => string;

interface MmapLibc {
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): bigint;
  munmap(addr: Pointer, length: number): number;
  madvise(addr: Pointer, length: number, advice: number): number;
}
type FfiModule = typeof import('bun:ffi');

/**
 * Builds the synchronous hash function. Runs in every worker (its source is sent as text, so it
 * may use only its arguments and globals) and once on the calling thread for small files.
 */
function createSyncHasher(ffi: FfiModule | null, fs: typeof nodeFs, platform: string): SyncHash {
  // POSIX mmap constants; the same values on Linux and macOS.
  const PROT_READ = 1;
  const MAP_PRIVATE = 2;
  const MADV_SEQUENTIAL = 2;
  const CHUNK = 1 << 20;
  let libc: MmapLibc | null = null;
  if (ffi !== null && platform !== 'win32') {
    const names = platform === 'darwin' ? ['libSystem.B.dylib'] : ['libc.so.6', 'libc.so'];
    for (const name of names) {
      try {
        const { FFIType } = ffi;
        libc = ffi.dlopen(name, {
          mmap: {
            args: [FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i64],
            returns: FFIType.i64,
          },
          munmap: { args: [FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
          madvise: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
        }).symbols as unknown as MmapLibc;
        break;
      } catch {
        libc = null;
      }
    }
  }
  return (path: string): string => {
    const fd = fs.openSync(path, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const hasher = new Bun.CryptoHasher('sha256');
      if (libc !== null && ffi !== null && size > 0) {
        const address = libc.mmap(null, size, PROT_READ, MAP_PRIVATE, fd, 0);
        // MAP_FAILED is (void *)-1.
        if (address !== -1n && address !== 0n) {
          const pointer = Number(address) as Pointer;
          try {
            libc.madvise(pointer, size, MADV_SEQUENTIAL);
            hasher.update(new Uint8Array(ffi.toArrayBuffer(pointer, 0, size)));
            return hasher.digest('hex');
          } finally {
            libc.munmap(pointer, size);
          }
        }
      }
      const buffer = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        const read = fs.readSync(fd, buffer, 0, CHUNK, null);
        if (read === 0) break;
        hasher.update(buffer.subarray(0, read));
      }
      return hasher.digest('hex');
    } finally {
      fs.closeSync(fd);
    }
  };
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ id: number; path: string }>) => void) | null;
  postMessage(message: WorkerReply): void;
}

type WorkerReply = { id: number; sha256: string } | { id: number; error: string };

/** The worker's whole program; sent as source text (see `workerSource`). */
function workerMain(makeHasher: typeof createSyncHasher): void {
  const scope = globalThis as unknown as WorkerScope;
  let hash: SyncHash | undefined;
  const ready = (async () => {
    let ffi: FfiModule | null = null;
    try {
      ffi = await import('bun:ffi');
    } catch {
      ffi = null;
    }
    const fs = await import('node:fs');
    hash = makeHasher(ffi, fs, process.platform);
  })();
  scope.onmessage = async (event) => {
    const { id, path } = event.data;
    // Every failure is answered: an uncaught error would end the worker and leave its caller waiting.
    try {
      await ready;
      if (hash === undefined) throw new Error('hasher did not start');
      scope.postMessage({ id, sha256: hash(path) });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      scope.postMessage({ id, error: e.code ?? e.message ?? String(error) });
    }
  };
}

/**
 * Worker source built from the functions above, as a Blob URL: it needs no extra entry point in
 * `bun build --compile` (a worker file would) and stays type-checked as ordinary code.
 */
function workerSource(): string {
  return `(${workerMain.toString()})(${createSyncHasher.toString()});`;
}

interface Pending {
  resolve: (sha256: string) => void;
  reject: (error: Error) => void;
  path: string;
  bytes: number;
}

interface Slot {
  worker: Worker & { ref?(): void; unref?(): void };
  pending: Map<number, Pending>;
  queuedBytes: number;
  alive: boolean;
}

export function createBunFileHasher(options: BunFileHasherOptions = {}): BunFileHasher {
  const size = options.workers ?? Math.min(2, availableParallelism());
  const inlineBelow = options.inlineBelowBytes ?? DEFAULT_INLINE_BELOW_BYTES;
  let inline: SyncHash | undefined;
  let url: string | undefined;
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const hashInline = (path: string): Promise<string> => {
    try {
      inline ??= createSyncHasher(bunFfi, nodeFs, process.platform);
      return Promise.resolve(inline(path));
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      return Promise.reject(
        new AncestryError('HASH_FAILED', `Cannot hash "${path}": ${e.code ?? e.message}`),
      );
    }
  };

  const failSlot = (slot: Slot, reason: string) => {
    slot.alive = false;
    for (const pending of slot.pending.values())
      pending.reject(
        new AncestryError('HASHER_FAILED', `Cannot hash "${pending.path}": hash worker ${reason}`),
      );
    slot.pending.clear();
    slot.worker.terminate();
  };

  const startSlot = (): Slot => {
    url ??= URL.createObjectURL(new Blob([workerSource()], { type: 'application/javascript' }));
    const slot: Slot = { worker: new Worker(url), pending: new Map(), queuedBytes: 0, alive: true };
    // Idle workers must not keep `ceros posture` or a hook process alive.
    slot.worker.unref?.();
    slot.worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      slot.queuedBytes -= pending.bytes;
      if (slot.pending.size === 0) slot.worker.unref?.();
      if ('sha256' in reply) pending.resolve(reply.sha256);
      else pending.reject(new AncestryError('HASH_FAILED', `Cannot hash "${pending.path}": ${reply.error}`));
    });
    slot.worker.addEventListener('error', (event) => failSlot(slot, `failed: ${event.message}`));
    return slot;
  };

  const ensureSlots = () => {
    for (let i = 0; i < size; i++) {
      const slot = slots[i];
      if (slot === undefined || !slot.alive) slots[i] = startSlot();
    }
  };

  return {
    warm: () => {
      if (!closed && size > 0) ensureSlots();
    },
    hash: (path, bytes) => {
      if (closed)
        return Promise.reject(new AncestryError('HASHER_FAILED', 'Cannot hash: the hasher is closed'));
      if (size === 0 || bytes < inlineBelow) return hashInline(path);
      ensureSlots();
      // Least queued bytes first: the 245 MB binary gets a worker to itself.
      let slot = slots[0] as Slot;
      for (const candidate of slots) if (candidate.queuedBytes < slot.queuedBytes) slot = candidate;
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        if (slot.pending.size === 0) slot.worker.ref?.();
        slot.pending.set(id, { resolve, reject, path, bytes });
        slot.queuedBytes += bytes;
        slot.worker.postMessage({ id, path });
      });
    },
    close: () => {
      closed = true;
      for (const slot of slots) failSlot(slot, 'was closed');
      slots.length = 0;
      if (url !== undefined) URL.revokeObjectURL(url);
    },
  };
}
