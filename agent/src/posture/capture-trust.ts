import { captureAncestry } from '../ancestry/capture-ancestry.ts';
import { ancestryDigest } from '../ancestry/digest.ts';
import type { Ancestry } from '../ancestry/types.ts';
import { type CapturePostureOptions, capturePosture } from './capture-posture.ts';
import { postureDigest } from './digest.ts';
import { round } from './probe.ts';
import type { PostureSnapshot } from './types.ts';

export interface TrustCapture {
  posture: PostureSnapshot;
  postureDigest: string;
  /** null when the ancestry could not be read at all (`ancestryError` says why). */
  ancestry: Ancestry | null;
  ancestryDigest: string | null;
  ancestryError?: string;
  /** Wall time of both together. */
  ms: number;
}

/**
 * Posture and the ancestry of `pid` together, sharing one hash cache so an executable in both
 * (Claude Code's binary is the first link of its own ancestry) is hashed once. This is what the
 * session start waits for before Claude Code's first request goes upstream.
 */
export async function captureTrust(options: CapturePostureOptions & { pid: number }): Promise<TrustCapture> {
  const started = performance.now();
  const [posture, ancestry] = await Promise.all([
    capturePosture(options),
    captureAncestry(options.pid, {
      hashCache: options.hashCache,
      ...(options.root === undefined ? {} : { root: options.root }),
      ...(options.platform === undefined ? {} : { platform: options.platform }),
    }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error: (error as Error).message }),
    ),
  ]);
  const base = { posture, postureDigest: postureDigest(posture), ms: 0 };
  const result: TrustCapture =
    'value' in ancestry
      ? { ...base, ancestry: ancestry.value, ancestryDigest: ancestryDigest(ancestry.value) }
      : { ...base, ancestry: null, ancestryDigest: null, ancestryError: ancestry.error };
  result.ms = round(performance.now() - started);
  return result;
}
