import { createHash } from 'node:crypto';

/**
 * The signed-request format shared with the agent (agent/src/edge-client/signed-request.ts keeps
 * the same constants; a golden vector in both test files keeps them equal). Every agent request
 * carries these headers; the signature covers the method, the path with its query, the device and
 * key, the timestamp, the nonce and the SHA-256 of the body, with a domain-separation prefix.
 */
export const REQUEST_SIGNING_PREFIX = 'ceros/edge-request/v1\n';
export const HEADER = {
  device: 'x-ceros-device',
  /** `device` (the hardware device key) or `session:<session id>` (a certified session key). */
  key: 'x-ceros-key',
  timestamp: 'x-ceros-timestamp',
  nonce: 'x-ceros-nonce',
  signature: 'x-ceros-signature',
  /** For session keys: base64url of the canonical JSON session certificate. */
  certificate: 'x-ceros-certificate',
} as const;

/** How far a request's timestamp may be from the edge's clock; nonces are kept twice as long. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface SigningInput {
  method: string;
  pathAndQuery: string;
  device: string;
  key: string;
  timestamp: string;
  nonce: string;
  body: Uint8Array;
}

export function requestSigningString(input: SigningInput): string {
  const bodyHash = createHash('sha256').update(input.body).digest('hex');
  return [
    input.method.toUpperCase(),
    input.pathAndQuery,
    input.device,
    input.key,
    input.timestamp,
    input.nonce,
    bodyHash,
  ]
    .join('\n')
    .replace(/^/, REQUEST_SIGNING_PREFIX);
}
