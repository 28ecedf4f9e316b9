import { createHash } from 'node:crypto';

/**
 * The signed-request format between agent and edge: every agent request carries these headers,
 * and the signature covers the method, the path with its query, the device and key, the
 * timestamp, the nonce and the SHA-256 of the body, after a domain-separation prefix.
 */
export const REQUEST_SIGNING_PREFIX = 'ceros/edge-request/v1\n';
export const REQUEST_HEADER = {
  device: 'x-ceros-device',
  /** `device` (the hardware device key) or `session:<session id>` (a certified session key). */
  key: 'x-ceros-key',
  timestamp: 'x-ceros-timestamp',
  nonce: 'x-ceros-nonce',
  signature: 'x-ceros-signature',
  /** For session keys: base64url of the canonical JSON session certificate. */
  certificate: 'x-ceros-certificate',
} as const;

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
  return `${REQUEST_SIGNING_PREFIX}${[
    input.method.toUpperCase(),
    input.pathAndQuery,
    input.device,
    input.key,
    input.timestamp,
    input.nonce,
    bodyHash,
  ].join('\n')}`;
}
