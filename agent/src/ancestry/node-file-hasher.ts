import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHasher } from './hash-cache.ts';

const CHUNK = 1 << 20;

/**
 * A FileHasher on `node:` APIs only: 1 MiB reads through the thread pool into node:crypto.
 * Portable and never blocks the event loop, but about 15% slower than `createBunFileHasher` and
 * on the calling thread's core; use it where Bun workers are not available.
 */
export function createNodeFileHasher(): FileHasher {
  return {
    hash: async (path) => {
      const handle = await open(path, 'r');
      try {
        const digest = createHash('sha256');
        const buffer = Buffer.allocUnsafe(CHUNK);
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
          if (bytesRead === 0) break;
          digest.update(buffer.subarray(0, bytesRead));
        }
        return digest.digest('hex');
      } finally {
        await handle.close();
      }
    },
    close: () => undefined,
  };
}
