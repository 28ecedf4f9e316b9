import { canonicalJson, sha256Hex, toJsonValue } from '@ceros/protocol';
import { type PostureSnapshot, PROBE_NAMES } from './types.ts';

/**
 * The snapshot without its timings and capture time: what the digest covers and what two
 * snapshots are compared on.
 */
export function postureContent(snapshot: PostureSnapshot): {
  v: 1;
  platform: string;
  probes: Record<string, unknown>;
} {
  const probes: Record<string, unknown> = {};
  for (const name of PROBE_NAMES) {
    const { ms: _ms, ...rest } = snapshot.probes[name];
    probes[name] = rest;
  }
  return { v: snapshot.v, platform: snapshot.platform, probes };
}

/**
 * SHA-256 (hex) of the RFC 8785 canonical JSON of a snapshot without timings (`ms`, `totalMs`)
 * or `capturedAt`: equal posture gives an equal digest. The session-start entry and the session
 * certificate carry it.
 */
export function postureDigest(snapshot: PostureSnapshot): string {
  return sha256Hex(canonicalJson(toJsonValue(postureContent(snapshot))));
}
