import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, type JsonValue } from './canonical.ts';
import { fromBase64Url, toBase64Url } from './encoding.ts';
import type { ParseResult } from './journal-entry.ts';

/**
 * Binds a fresh in-memory Ed25519 session key to a device, its user, and the posture, ancestry
 * and policy the session started under. Signed once per session by the device key (P-256, held by
 * the TPM / Secure Enclave / platform crypto where there is one), so that key never sits on the
 * per-entry path.
 */
export interface SessionCertificateBody {
  v: 1;
  device: string;
  user: string | null;
  session: string;
  /** base64url raw Ed25519 public key of the session. */
  sessionKey: string;
  notBefore: string;
  notAfter: string;
  postureDigest: string | null;
  ancestryDigest: string | null;
  policyHash: string | null;
  keyProtection: KeyProtection;
}

export type KeyProtection = 'tpm' | 'secure-enclave' | 'platform-crypto' | 'software';

export interface SessionCertificate extends SessionCertificateBody {
  /** base64url DER ECDSA P-256/SHA-256 signature by the device key. */
  sig: string;
}

export const CERTIFICATE_SIGNING_PREFIX = 'ceros/session-certificate/v1\n';

const hexOrNull = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .nullable();
export const sessionCertificateSchema = z.strictObject({
  v: z.literal(1),
  device: z.string().min(1).max(128),
  user: z.string().max(320).nullable(),
  session: z.string().min(1).max(128),
  sessionKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  notBefore: z.string(),
  notAfter: z.string(),
  postureDigest: hexOrNull,
  ancestryDigest: hexOrNull,
  policyHash: hexOrNull,
  keyProtection: z.enum(['tpm', 'secure-enclave', 'platform-crypto', 'software']),
  sig: z.string().regex(/^[A-Za-z0-9_-]+$/),
});

export function parseSessionCertificate(raw: unknown): ParseResult<SessionCertificate> {
  const result = sessionCertificateSchema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data as SessionCertificate };
  return {
    ok: false,
    error: result.error.issues.map((i) => `${i.path.join('.') || '(certificate)'}: ${i.message}`).join('; '),
  };
}

export function certificateSigningBytes(body: SessionCertificateBody): Buffer {
  return Buffer.from(CERTIFICATE_SIGNING_PREFIX + canonicalJson(body as unknown as JsonValue));
}

/** A device key signer: software keys sign in process, hardware keys through their keystore adapter. */
export type DigestSigner = (message: Uint8Array) => Promise<Uint8Array>;

export async function signSessionCertificate(
  body: SessionCertificateBody,
  signDer: DigestSigner,
): Promise<SessionCertificate> {
  const sig = await signDer(certificateSigningBytes(body));
  return { ...body, sig: toBase64Url(sig) };
}

export function softwareDeviceSigner(privateKey: KeyObject): DigestSigner {
  return async (message) => new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));
}

/** Device public keys travel as base64url SPKI DER. */
export function devicePublicKeyFromSpki(spki: string): KeyObject {
  return createPublicKey({ key: Buffer.from(fromBase64Url(spki)), format: 'der', type: 'spki' });
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function verifySessionCertificate(cert: SessionCertificate, deviceKey: KeyObject): VerifyResult {
  const { sig, ...body } = cert;
  let good = false;
  try {
    good = verify(
      'sha256',
      certificateSigningBytes(body),
      { key: deviceKey, dsaEncoding: 'der' },
      fromBase64Url(sig),
    );
  } catch {
    good = false;
  }
  if (!good)
    return {
      ok: false,
      reason: `Session certificate of session "${cert.session}" is not signed by the key of device "${cert.device}"`,
    };
  if (!(Date.parse(cert.notBefore) <= Date.parse(cert.notAfter))) {
    return {
      ok: false,
      reason: `Session certificate of session "${cert.session}" has an invalid validity period`,
    };
  }
  return { ok: true };
}
