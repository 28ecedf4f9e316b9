import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, type JsonValue } from './canonical.ts';
import { fromBase64Url, sha256Hex, toBase64Url } from './encoding.ts';

/**
 * One journal entry, as stored (one canonical JSON object a line) and as sent to the edge.
 * `docs/spec/journal.md` is the normative description; this file is its executable form.
 */
export interface EntryBody {
  v: 1;
  /** Device id; the chain (`seq`, `prev`) runs per device, across sessions. */
  device: string;
  seq: number;
  /** Hex SHA-256 of the canonical bytes of the previous entry of this device (with its `sig`). */
  prev: string;
  /** RFC 3339 UTC with milliseconds. */
  time: string;
  /** ceros session id; the session's Ed25519 key signs every entry of the session. */
  session: string;
  type: string;
  payload: JsonValue;
}

export interface JournalEntry extends EntryBody {
  /** base64url Ed25519 signature over `ENTRY_SIGNING_PREFIX + canonical(body)`. */
  sig: string;
}

/** Domain separation: a signature over an entry can never be replayed as another kind of object. */
export const ENTRY_SIGNING_PREFIX = 'ceros/journal-entry/v1\n';

const HEX64 = /^[0-9a-f]{64}$/;
const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number(),
    z.string(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

export const journalEntrySchema = z.strictObject({
  v: z.literal(1),
  device: z.string().min(1).max(128),
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  prev: z.string().regex(HEX64, 'must be 64 lowercase hex characters'),
  time: z.string().min(20).max(40),
  session: z.string().min(1).max(128),
  type: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'must be a dotted lowercase type'),
  payload: jsonValue,
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature'),
});

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses untrusted input into an entry; the error names every field that is wrong. */
export function parseJournalEntry(raw: unknown): ParseResult<JournalEntry> {
  const result = journalEntrySchema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data as JournalEntry };
  return {
    ok: false,
    error: result.error.issues
      .map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`)
      .join('; '),
  };
}

export function entryBody(entry: JournalEntry): EntryBody {
  const { sig: _sig, ...body } = entry;
  return body;
}

export function entrySigningBytes(body: EntryBody): Buffer {
  return Buffer.from(ENTRY_SIGNING_PREFIX + canonicalJson(body as unknown as JsonValue));
}

/** The exact bytes stored on disk, sent to the edge, and hashed into the chain and the Merkle leaf. */
export function entryBytes(entry: JournalEntry): string {
  return canonicalJson(entry as unknown as JsonValue);
}

export function entryHash(entry: JournalEntry): string {
  return sha256Hex(entryBytes(entry));
}

export function signEntry(body: EntryBody, sessionKey: KeyObject): JournalEntry {
  const sig = toBase64Url(sign(null, entrySigningBytes(body), sessionKey));
  return { ...body, sig };
}

export function verifyEntrySignature(entry: JournalEntry, sessionPublicKey: KeyObject): boolean {
  try {
    return verify(null, entrySigningBytes(entryBody(entry)), sessionPublicKey, fromBase64Url(entry.sig));
  } catch {
    return false;
  }
}

/** Ed25519 public keys travel as base64url of the raw 32 bytes. */
export function ed25519PublicKeyFromRaw(raw: string): KeyObject {
  const bytes = fromBase64Url(raw);
  if (bytes.length !== 32) throw new Error(`Ed25519 public key must be 32 bytes, got ${bytes.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });
}

export function ed25519PublicKeyToRaw(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('Key is not an Ed25519 key');
  return jwk.x;
}

export function ed25519PrivateKeyFromPkcs8(der: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}
