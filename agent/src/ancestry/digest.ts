import { canonicalJson, sha256Hex, toJsonValue } from '@ceros/protocol';
import type { Ancestry } from './types.ts';

/**
 * SHA-256 (hex) of the RFC 8785 canonical JSON of an ancestry without its timings (`ms`,
 * `hashMs`): the value the session-start entry and the session certificate carry.
 */
export function ancestryDigest(ancestry: Ancestry): string {
  const { ms: _ms, ...rest } = ancestry;
  const chain = ancestry.chain.map(({ hashMs: _hashMs, ...process }) => process);
  return sha256Hex(canonicalJson(toJsonValue({ ...rest, chain })));
}
