import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { fromBase64Url, sha256Hex } from '@ceros/protocol';

/** A random opaque token (session cookies, poll tokens, CSRF tokens): 32 bytes, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** Tokens are stored only as their SHA-256, so a database leak does not leak live sessions. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** A six-digit code, uniformly distributed (no modulo bias). */
export function generateCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/**
 * Codes are stored as HMAC-SHA256 keyed with an edge-wide pepper (kept in the database, generated
 * once) and bound to their subject and id, so a code hash is useless for any other enrollment.
 * Six digits are brute-forceable offline by anyone with both the pepper and a hash; the lifetime
 * (10 min) and the attempt cap are what protect them online.
 */
export function hashCode(pepper: string, codeId: string, code: string): string {
  return createHmac('sha256', pepper).update(`${codeId}\n${code}`).digest('hex');
}

export function equalHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Base32 without 0/O/1/I/L/U: easy to read aloud and type from a terminal into a browser. */
const USER_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += USER_CODE_ALPHABET[randomInt(0, USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Accepts what a human types ("abcd efgh", "ABCDEFGH") and returns the canonical "ABCD-EFGH". */
export function normalizeUserCode(input: string): string | null {
  const letters = input.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (letters.length !== 8 || [...letters].some((c) => !USER_CODE_ALPHABET.includes(c))) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

/**
 * A device's id is derived from its public key: `dev_` + the first 24 hex digits of SHA-256 over
 * the SPKI DER bytes. The agent computes the same id before it ever talks to the edge, so journal
 * entries written before enrollment already carry the right `device`.
 */
export function deviceIdFromSpki(spki: string): string {
  return `dev_${createHash('sha256').update(fromBase64Url(spki)).digest('hex').slice(0, 24)}`;
}
