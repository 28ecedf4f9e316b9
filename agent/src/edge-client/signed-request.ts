import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  canonicalJson,
  fromBase64Url,
  type JsonValue,
  REQUEST_HEADER,
  REQUEST_SIGNING_PREFIX,
  requestSigningString,
  type SessionCertificate,
  type SigningInput,
  toBase64Url,
} from '@ceros/protocol';
import type { DeviceKeyHandle } from '../keystore/keystore.ts';

export { REQUEST_HEADER as HEADER, REQUEST_SIGNING_PREFIX, requestSigningString, type SigningInput };

/** Who signs agent requests: the hardware device key, or a session key the device certified. */
export interface RequestSigner {
  deviceId: string;
  /** `device` or `session:<session id>`. */
  keyId: string;
  /** base64url canonical JSON of the session certificate (session keys only). */
  certificate?: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Signs with the device key (ECDSA P-256; may be slow in a TPM, so prefer a session signer in hot paths). */
export function deviceRequestSigner(deviceId: string, key: DeviceKeyHandle): RequestSigner {
  return { deviceId, keyId: 'device', sign: (message) => key.sign(message) };
}

/** Signs with a session's in-memory Ed25519 key, presenting the device-signed certificate. */
export function sessionRequestSigner(input: {
  deviceId: string;
  sessionId: string;
  privateKey: KeyObject;
  certificate: SessionCertificate;
}): RequestSigner {
  return {
    deviceId: input.deviceId,
    keyId: `session:${input.sessionId}`,
    certificate: Buffer.from(canonicalJson(input.certificate as unknown as JsonValue)).toString('base64url'),
    sign: async (message) => new Uint8Array(sign(null, message, input.privateKey)),
  };
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** The headers that authenticate one request. */
export async function signRequest(
  signer: RequestSigner,
  request: { method: string; pathAndQuery: string; body: Uint8Array },
  at: { now: number; nonce?: string },
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(at.now));
  const nonce = at.nonce ?? newNonce();
  const message = requestSigningString({
    method: request.method,
    pathAndQuery: request.pathAndQuery,
    device: signer.deviceId,
    key: signer.keyId,
    timestamp,
    nonce,
    body: request.body,
  });
  const signature = toBase64Url(await signer.sign(Buffer.from(message)));
  return {
    [REQUEST_HEADER.device]: signer.deviceId,
    [REQUEST_HEADER.key]: signer.keyId,
    [REQUEST_HEADER.timestamp]: timestamp,
    [REQUEST_HEADER.nonce]: nonce,
    [REQUEST_HEADER.signature]: signature,
    ...(signer.certificate ? { [REQUEST_HEADER.certificate]: signer.certificate } : {}),
  };
}

/**
 * A device's id: `dev_` + the first 24 hex digits of SHA-256 over its SPKI DER public key. The
 * edge derives the same id at enrollment, so journal entries written before enrollment already
 * carry the right `device`.
 */
export function deviceIdFromSpki(spki: string): string {
  return `dev_${createHash('sha256').update(fromBase64Url(spki)).digest('hex').slice(0, 24)}`;
}
