import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AgentBinary, BinarySource } from '../deps.ts';
import { INSTALL_TARGETS } from './install-script.ts';

/** The target this process runs on, in install-script terms (`linux-x64`, `darwin-arm64`, ...). */
export function hostTarget(): string {
  const os = process.platform === 'darwin' ? 'darwin' : process.platform;
  const arch = process.arch === 'x64' ? 'x64' : process.arch;
  return `${os}-${arch}`;
}

/**
 * Serves agent binaries from a dist folder: `ceros-<target>` or `<target>/ceros` for each target,
 * and plain `ceros` for the host's own target (what `npm run build` leaves in dist/). Hashes are
 * cached per (path, size, mtime) so a rebuilt binary is re-hashed.
 */
export function createDistFolderBinaries(dir: string, host: string = hostTarget()): BinarySource {
  const cache = new Map<string, { key: string; sha256: string }>();
  const locate = (target: string): string | undefined => {
    const candidates = [join(dir, `ceros-${target}`), join(dir, target, 'ceros')];
    if (target === host) candidates.push(join(dir, 'ceros'));
    return candidates.find((path) => existsSync(path) && statSync(path).isFile());
  };
  const hashOf = async (path: string): Promise<{ sha256: string; size: number }> => {
    const stat = statSync(path);
    const key = `${stat.size}:${stat.mtimeMs}`;
    const cached = cache.get(path);
    if (cached?.key === key) return { sha256: cached.sha256, size: stat.size };
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    cache.set(path, { key, sha256 });
    return { sha256, size: stat.size };
  };
  return {
    async list() {
      const out: { target: string; sha256: string }[] = [];
      for (const target of INSTALL_TARGETS) {
        const path = locate(target);
        if (path) out.push({ target, sha256: (await hashOf(path)).sha256 });
      }
      return out;
    },
    async get(target): Promise<AgentBinary | undefined> {
      if (!(INSTALL_TARGETS as readonly string[]).includes(target)) return undefined;
      const path = locate(target);
      if (!path) return undefined;
      const { sha256, size } = await hashOf(path);
      return {
        target,
        sha256,
        size,
        open: () => Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>,
      };
    },
  };
}
