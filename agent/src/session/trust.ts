import type { PostureValue } from '@ceros/policy';
import {
  type Ancestry,
  ancestryDigest,
  captureAncestry,
  createBunFileHasher,
  createHashCache,
  defaultHashCacheFile,
  type HashCache,
} from '../ancestry/index.ts';
import { capturePosture, postureDigest } from '../posture/index.ts';
import type { PostureSnapshot } from '../posture/types.ts';
import { VERSION } from '../version.ts';

/** The facts policies test (`posture: { diskEncryption: ... }`): each probe's verdict. */
export function postureFacts(snapshot: PostureSnapshot): Record<string, PostureValue> {
  const facts: Record<string, PostureValue> = {};
  for (const [name, probe] of Object.entries(snapshot.probes)) {
    if (probe && typeof probe === 'object' && 'status' in probe) facts[name] = probe.status as PostureValue;
  }
  return facts;
}

export interface TrustProbes {
  hashCache: HashCache;
  capture(): Promise<PostureSnapshot>;
  /** `maxDepth` stops early: a hook's chain above Claude Code is the session's, captured at start. */
  ancestry(
    pid: number,
    maxDepth?: number,
  ): Promise<{ ancestry: Ancestry | null; digest: string | null; error?: string }>;
  close(): void;
}

/** Posture and ancestry capture for one session, sharing one persistent hash cache. */
export function createTrustProbes(options: {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  projectDir: string;
  claudeBinary: string;
  cerosBinary: string;
  uid: number;
}): TrustProbes {
  const hasher = createBunFileHasher();
  hasher.warm();
  const hashCache = createHashCache({
    file: defaultHashCacheFile(options.env),
    hashFile: hasher,
    owner: options.uid,
  });
  hashCache.load();
  hashCache.prefetch([options.claudeBinary, options.cerosBinary]);
  return {
    hashCache,
    capture: () =>
      capturePosture({
        env: options.env,
        cwd: options.cwd,
        projectDir: options.projectDir,
        cerosVersion: VERSION,
        hashCache,
        claudeBinary: options.claudeBinary,
        cerosBinary: options.cerosBinary,
      }),
    ancestry: async (pid, maxDepth) => {
      try {
        const ancestry = await captureAncestry(pid, { hashCache, ...(maxDepth ? { maxDepth } : {}) });
        return { ancestry, digest: ancestryDigest(ancestry) };
      } catch (error) {
        return { ancestry: null, digest: null, error: (error as Error).message };
      }
    },
    close: () => {
      try {
        hashCache.save();
      } finally {
        hasher.close();
      }
    },
  };
}

export { postureDigest };
