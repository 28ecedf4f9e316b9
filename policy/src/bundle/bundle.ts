import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson, fromBase64Url, type JsonValue, sha256Hex, toBase64Url } from '@ceros/protocol';
import { z } from 'zod';
import type { PolicyIssue } from '../document/check.ts';
import { parsePolicyObject } from '../document/parse-policy.ts';
import type { PolicyDocument } from '../document/schema.ts';

/**
 * Signed policy bundles. The organisation's Ed25519 key signs the canonical JSON payload
 * (version, issue time, policy); the agent accepts a bundle only if a trusted key signed it and
 * its version is not older than the last bundle it accepted (no rollback to a weaker policy).
 * Verification is pure; the agent caches the last good bundle.
 */
export const BUNDLE_FORMAT = 'ceros-policy-bundle/v1';
/** Domain separation: a bundle signature can never be replayed as another kind of object. */
export const BUNDLE_SIGNING_PREFIX = 'ceros/policy-bundle/v1\n';

export interface PolicyBundle {
  format: typeof BUNDLE_FORMAT;
  /** base64url of the canonical JSON of a BundlePayload. */
  payload: string;
  signatures: Array<{ keyId: string; sig: string }>;
}

export interface BundlePayload {
  /** Monotonic: a bundle with a lower version than the last accepted one is refused. */
  version: number;
  issuedAt: string;
  organization?: string;
  policy: PolicyDocument;
}

export interface TrustedKey {
  keyId: string;
  /** base64url of the raw 32-byte Ed25519 public key, or a KeyObject. */
  publicKey: string | KeyObject;
}

export interface VerifiedBundle {
  version: number;
  issuedAt: string;
  organization?: string;
  policy: PolicyDocument;
  /** SHA-256 of the payload bytes: the hash decisions record (pass it to compilePolicy). */
  hash: string;
  keyId: string;
}

export type BundleErrorCode = 'MALFORMED' | 'UNTRUSTED_KEY' | 'BAD_SIGNATURE' | 'ROLLBACK' | 'INVALID_POLICY';

export type VerifyBundleResult =
  | { ok: true; value: VerifiedBundle }
  | { ok: false; code: BundleErrorCode; message: string; issues?: PolicyIssue[] };

const bundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  payload: z
    .string()
    .min(1)
    .max(16 * 1024 * 1024)
    .regex(/^[A-Za-z0-9_-]+$/),
  signatures: z
    .array(
      z.strictObject({ keyId: z.string().min(1).max(256), sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }),
    )
    .min(1)
    .max(16),
});

const payloadSchema = z.strictObject({
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  issuedAt: z.string().min(1).max(64),
  organization: z.string().min(1).max(256).optional(),
  policy: z.unknown(),
});

export interface BundleSigner {
  keyId: string;
  privateKey: KeyObject;
}

export function signBundle(
  payload: BundlePayload,
  signers: BundleSigner | readonly BundleSigner[],
): PolicyBundle {
  const bytes = Buffer.from(canonicalJson(payload as unknown as JsonValue));
  const list = Array.isArray(signers) ? signers : [signers as BundleSigner];
  return {
    format: BUNDLE_FORMAT,
    payload: toBase64Url(bytes),
    signatures: list.map((signer) => ({
      keyId: signer.keyId,
      sig: toBase64Url(sign(null, signingBytes(bytes), signer.privateKey)),
    })),
  };
}

function signingBytes(payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(BUNDLE_SIGNING_PREFIX), payload]);
}

/**
 * Verifies a bundle: shape, a valid signature by a trusted key, a version not below
 * `lastVersion` (the same version is accepted: it is the cached last-good bundle again), and a
 * valid policy. Never throws.
 */
export function verifyBundle(
  bundle: unknown,
  trustedKeys: readonly TrustedKey[],
  lastVersion: number | undefined,
): VerifyBundleResult {
  try {
    const parsed = bundleSchema.safeParse(bundle);
    if (!parsed.success) {
      return {
        ok: false,
        code: 'MALFORMED',
        message: `Cannot read policy bundle: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(bundle)'}: ${issue.message}`).join('; ')}`,
      };
    }
    const bytes = fromBase64Url(parsed.data.payload);
    const keys = new Map<string, KeyObject>();
    for (const key of trustedKeys) {
      const object = toPublicKey(key.publicKey);
      if (object) keys.set(key.keyId, object);
    }
    let signedBy: string | undefined;
    let trustedButInvalid = false;
    for (const signature of parsed.data.signatures) {
      const key = keys.get(signature.keyId);
      if (!key) continue;
      if (verify(null, signingBytes(bytes), key, fromBase64Url(signature.sig))) {
        signedBy = signature.keyId;
        break;
      }
      trustedButInvalid = true;
    }
    if (!signedBy) {
      return trustedButInvalid
        ? {
            ok: false,
            code: 'BAD_SIGNATURE',
            message:
              'Cannot accept policy bundle: its signature does not verify (the bundle was altered or signed with another key)',
          }
        : {
            ok: false,
            code: 'UNTRUSTED_KEY',
            message: `Cannot accept policy bundle: it is not signed by a trusted key (signed by ${parsed.data.signatures.map((s) => `"${s.keyId}"`).join(', ')})`,
          };
    }
    const text = Buffer.from(bytes).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, code: 'MALFORMED', message: 'Cannot read policy bundle: the payload is not JSON' };
    }
    const payload = payloadSchema.safeParse(json);
    if (!payload.success) {
      return {
        ok: false,
        code: 'MALFORMED',
        message: `Cannot read policy bundle payload: ${payload.error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ')}`,
      };
    }
    if (canonicalJson(json as JsonValue) !== text)
      return {
        ok: false,
        code: 'MALFORMED',
        message: 'Cannot accept policy bundle: the payload is not canonical JSON',
      };
    if (lastVersion !== undefined && payload.data.version < lastVersion) {
      return {
        ok: false,
        code: 'ROLLBACK',
        message: `Cannot accept policy bundle version ${payload.data.version}: version ${lastVersion} was already accepted`,
      };
    }
    const policy = parsePolicyObject(payload.data.policy);
    if (!policy.ok)
      return {
        ok: false,
        code: 'INVALID_POLICY',
        message: 'Cannot accept policy bundle: its policy is invalid',
        issues: policy.issues,
      };
    const value: VerifiedBundle = {
      version: payload.data.version,
      issuedAt: payload.data.issuedAt,
      policy: policy.value,
      hash: sha256Hex(bytes),
      keyId: signedBy,
    };
    if (payload.data.organization !== undefined) value.organization = payload.data.organization;
    return { ok: true, value };
  } catch (error) {
    return {
      ok: false,
      code: 'MALFORMED',
      message: `Cannot read policy bundle: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function toPublicKey(key: string | KeyObject): KeyObject | undefined {
  try {
    if (typeof key !== 'string') return key.asymmetricKeyType === 'ed25519' ? key : undefined;
    if (fromBase64Url(key).length !== 32) return undefined;
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key }, format: 'jwk' });
  } catch {
    return undefined;
  }
}
