import { createPrivateKey, createPublicKey, hash, type KeyObject, sign, verify } from 'node:crypto';

/**
 * C2SP signed notes (https://c2sp.org/signed-note): text signed by one or more keys, the envelope
 * of checkpoints and witness cosignatures. Behaviour follows golang.org/x/mod/sumdb/note, whose
 * test vectors pass here (tests/fixtures/merkle/signed-note-vectors.json).
 */

/** Signature type bytes (C2SP signed-note, "Signature types"). */
export const NOTE_ED25519 = 0x01;
/** Timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature). */
export const NOTE_COSIGNATURE_V1 = 0x04;
export type NoteKeyType = typeof NOTE_ED25519 | typeof NOTE_COSIGNATURE_V1;

/** golang.org/x/mod/sumdb/note stops at 100 signatures; C2SP requires accepting at least 16. */
export const MAX_NOTE_SIGNATURES = 100;

export type NoteFailureCode =
  | 'MALFORMED_NOTE'
  | 'MALFORMED_KEY'
  | 'UNKNOWN_KEY_TYPE'
  | 'KEY_ID_MISMATCH'
  | 'AMBIGUOUS_KEY'
  | 'INVALID_SIGNATURE'
  | 'NO_VERIFIED_SIGNATURE';

export type NoteResult<T> = { ok: true; value: T } | { ok: false; code: NoteFailureCode; error: string };

const SIG_PREFIX = '\u2014 ';
const COSIGNATURE_HEADER = 'cosignature/v1\n';
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const utf8 = new TextEncoder();

function failure<T>(code: NoteFailureCode, error: string): NoteResult<T> {
  return { ok: false, code, error };
}

/** RFC 4648 section 4 base64, canonical only: Buffer would skip junk and accept missing padding. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Key names are non-empty, with no Unicode spaces and no "+" (C2SP signed-note, "Format"). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !/[\s+\u0085]/u.test(name);
}

/** C2SP signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const nameBytes = utf8.encode(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = type;
  input.set(publicKey, nameBytes.length + 2);
  return hash('sha256', input, 'buffer').readUInt32BE(0);
}

function hex8(id: number): string {
  return id.toString(16).padStart(8, '0');
}

/** A public key a note can be checked against, parsed from a verifier key string. */
export interface NoteVerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: NoteKeyType;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The verifier key string: `name+hex(keyId)+base64(type || publicKey)`. */
  readonly text: string;
  readonly key: KeyObject;
}

export function ed25519PublicKeyFromBytes(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(raw)]),
    format: 'der',
    type: 'spki',
  });
}

export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError('An Ed25519 seed is 32 bytes');
  return createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seed)]),
    format: 'der',
    type: 'pkcs8',
  });
}

export function ed25519RawPublicKey(key: KeyObject): Uint8Array {
  const der =
    key.type === 'private'
      ? createPublicKey(key).export({ format: 'der', type: 'spki' })
      : key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(ED25519_SPKI_PREFIX.length));
}

function splitKeyString(text: string): [string, string, string] | undefined {
  const first = text.indexOf('+');
  if (first < 0) return undefined;
  const second = text.indexOf('+', first + 1);
  if (second < 0) return undefined;
  return [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
}

/**
 * Parses a verifier key `name+hash+base64(type || key)` (the format of
 * golang.org/x/mod/sumdb/note and C2SP "vkeys"). Types 0x01 (note signatures) and 0x04 (witness
 * cosignatures) are accepted; the key ID must match the key.
 */
export function parseVerifierKey(text: string): NoteResult<NoteVerifierKey> {
  const parts = splitKeyString(text);
  if (!parts) return failure('MALFORMED_KEY', `Verifier key "${text}" is not name+hash+key`);
  const [name, hashText, keyText] = parts;
  const key = decodeBase64Strict(keyText);
  if (!isValidKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(hashText) || !key || key.length === 0)
    return failure('MALFORMED_KEY', `Verifier key "${text}" is not name+hash+key`);
  const keyId = Number.parseInt(hashText, 16);
  if (noteKeyId(name, key[0] as number, key.subarray(1)) !== keyId)
    return failure('KEY_ID_MISMATCH', `Verifier key "${text}" has a key ID that does not match its key`);
  const type = key[0];
  if (type !== NOTE_ED25519 && type !== NOTE_COSIGNATURE_V1)
    return failure('UNKNOWN_KEY_TYPE', `Verifier key "${text}" has signature type 0x${type?.toString(16)}`);
  const publicKey = key.slice(1);
  if (publicKey.length !== 32)
    return failure('MALFORMED_KEY', `Verifier key "${text}" does not hold a 32-byte Ed25519 key`);
  return {
    ok: true,
    value: { name, keyId, type, publicKey, text, key: ed25519PublicKeyFromBytes(publicKey) },
  };
}

/** Builds the verifier key string for a raw Ed25519 public key. */
export function formatVerifierKey(name: string, type: NoteKeyType, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new RangeError(`"${name}" is not a valid key name`);
  const material = new Uint8Array(publicKey.length + 1);
  material[0] = type;
  material.set(publicKey, 1);
  return `${name}+${hex8(noteKeyId(name, type, publicKey))}+${encodeBase64(material)}`;
}

/** A key that signs notes (a log) or cosigns checkpoints (a witness). */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: NoteKeyType;
  readonly publicKey: Uint8Array;
  readonly verifierKey: string;
  readonly privateKey: KeyObject;
}

export function createNoteSigner(name: string, type: NoteKeyType, seed: Uint8Array): NoteSigner {
  const privateKey = ed25519PrivateKeyFromSeed(seed);
  const publicKey = ed25519RawPublicKey(privateKey);
  return {
    name,
    keyId: noteKeyId(name, type, publicKey),
    type,
    publicKey,
    verifierKey: formatVerifierKey(name, type, publicKey),
    privateKey,
  };
}

/** Parses a signer key `PRIVATE+KEY+name+hash+base64(type || seed)`. */
export function parseSignerKey(text: string): NoteResult<NoteSigner> {
  const prefix = 'PRIVATE+KEY+';
  const malformed = failure<NoteSigner>('MALFORMED_KEY', 'The signer key is not PRIVATE+KEY+name+hash+key');
  if (!text.startsWith(prefix)) return malformed;
  const parts = splitKeyString(text.slice(prefix.length));
  if (!parts) return malformed;
  const [name, hashText, keyText] = parts;
  const key = decodeBase64Strict(keyText);
  if (!isValidKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(hashText) || !key || key.length !== 33)
    return malformed;
  const type = key[0];
  if (type !== NOTE_ED25519 && type !== NOTE_COSIGNATURE_V1)
    return failure('UNKNOWN_KEY_TYPE', `The signer key has signature type 0x${type?.toString(16)}`);
  const signer = createNoteSigner(name, type, key.subarray(1));
  if (signer.keyId !== Number.parseInt(hashText, 16))
    return failure('KEY_ID_MISMATCH', 'The signer key has a key ID that does not match its key');
  return { ok: true, value: signer };
}

export function formatSignerKey(name: string, type: NoteKeyType, seed: Uint8Array): string {
  const signer = createNoteSigner(name, type, seed);
  const material = new Uint8Array(33);
  material[0] = type;
  material.set(seed, 1);
  return `PRIVATE+KEY+${name}+${hex8(signer.keyId)}+${encodeBase64(material)}`;
}

/** One signature line: `— name base64(keyId || signature)`. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
  /** The base64 text of the line, key ID included. */
  readonly base64: string;
}

export interface Note {
  /** The signed text, final newline included, separating blank line excluded. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

function hasForbiddenControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return true;
  }
  return false;
}

/** Splits a note into text and signature lines, checking only the syntax. */
export function parseNote(input: string | Uint8Array): NoteResult<Note> {
  let message: string;
  if (typeof input === 'string') {
    message = input;
  } else {
    try {
      message = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      return failure('MALFORMED_NOTE', 'The note is not valid UTF-8');
    }
  }
  if (!message.isWellFormed()) return failure('MALFORMED_NOTE', 'The note is not valid UTF-8');
  if (hasForbiddenControl(message))
    return failure('MALFORMED_NOTE', 'The note holds a control character other than newline');
  // The text is separated from the signatures by the last blank line.
  const split = message.lastIndexOf('\n\n');
  if (split < 0) return failure('MALFORMED_NOTE', 'The note has no blank line before its signatures');
  const text = message.slice(0, split + 1);
  let rest = message.slice(split + 2);
  if (rest.length === 0 || !rest.endsWith('\n'))
    return failure(
      'MALFORMED_NOTE',
      'The note has no signature lines, or its last line does not end in a newline',
    );
  const signatures: NoteSignature[] = [];
  while (rest.length > 0) {
    const end = rest.indexOf('\n');
    const line = rest.slice(0, end);
    rest = rest.slice(end + 1);
    if (!line.startsWith(SIG_PREFIX))
      return failure(
        'MALFORMED_NOTE',
        `Signature line "${line.slice(0, 40)}" does not start with an em dash`,
      );
    const body = line.slice(SIG_PREFIX.length);
    const space = body.indexOf(' ');
    const name = space < 0 ? body : body.slice(0, space);
    const b64 = space < 0 ? '' : body.slice(space + 1);
    const raw = decodeBase64Strict(b64);
    if (!isValidKeyName(name) || b64 === '' || !raw || raw.length < 5)
      return failure('MALFORMED_NOTE', `Signature line of "${name.slice(0, 40)}" is malformed`);
    if (signatures.length >= MAX_NOTE_SIGNATURES)
      return failure('MALFORMED_NOTE', `The note has more than ${MAX_NOTE_SIGNATURES} signatures`);
    signatures.push({
      name,
      keyId: Buffer.from(raw.buffer, raw.byteOffset, 4).readUInt32BE(0),
      signature: raw.subarray(4),
      base64: b64,
    });
  }
  return { ok: true, value: { text, signatures } };
}

/** C2SP tlog-cosignature: the message an Ed25519 cosignature signs. */
export function cosignatureMessage(text: string, timestamp: number): Uint8Array {
  return utf8.encode(`${COSIGNATURE_HEADER}time ${timestamp}\n${text}`);
}

/** Verifies one signature by one key; for cosignatures returns the signed timestamp. */
function verifyWith(
  key: NoteVerifierKey,
  text: string,
  signature: Uint8Array,
): { ok: true; timestamp: number | null } | { ok: false } {
  try {
    if (key.type === NOTE_ED25519) {
      if (signature.length !== 64) return { ok: false };
      return verify(null, utf8.encode(text), key.key, signature)
        ? { ok: true, timestamp: null }
        : { ok: false };
    }
    // timestamped_signature: u64 timestamp (big-endian, < 2^63) || Ed25519 signature.
    if (signature.length !== 8 + 64) return { ok: false };
    const view = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
    const big = view.readBigUInt64BE(0);
    if (big >= 1n << 63n || big > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false };
    const timestamp = Number(big);
    return verify(null, cosignatureMessage(text, timestamp), key.key, signature.subarray(8))
      ? { ok: true, timestamp }
      : { ok: false };
  } catch {
    return { ok: false };
  }
}

export interface VerifiedSignature extends NoteSignature {
  readonly key: NoteVerifierKey;
  /** POSIX seconds, for cosignatures (type 0x04); null for plain note signatures. */
  readonly timestamp: number | null;
}

export interface OpenedNote extends Note {
  readonly verified: readonly VerifiedSignature[];
  /** Signatures by keys the caller did not pass (ignored, as C2SP requires). */
  readonly unverified: readonly NoteSignature[];
}

export interface OpenNoteOptions {
  /**
   * Accept a note none of whose signatures come from a known key (the caller checks who signed,
   * e.g. a checkpoint that must carry the log's signature and may carry cosignatures).
   */
  allowUnverified?: boolean;
}

/**
 * Parses a note and verifies every signature made by one of `keys` (golang.org/x/mod/sumdb/note
 * Open): unknown keys are ignored, a known key whose signature fails rejects the whole note, and
 * at least one known signature must verify. Repeated signatures by one key count once.
 */
export function openNote(
  input: string | Uint8Array,
  keys: readonly NoteVerifierKey[],
  options: OpenNoteOptions = {},
): NoteResult<OpenedNote> {
  const parsed = parseNote(input);
  if (!parsed.ok) return parsed;
  const { text, signatures } = parsed.value;
  const verified: VerifiedSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  for (const sig of signatures) {
    const matches = keys.filter((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (matches.length === 0) {
      const line = `${sig.name} ${sig.base64}`;
      if (!seenUnverified.has(line)) {
        seenUnverified.add(line);
        unverified.push(sig);
      }
      continue;
    }
    const id = `${sig.name}+${hex8(sig.keyId)}`;
    if (matches.length > 1) return failure('AMBIGUOUS_KEY', `ambiguous key ${id}`);
    if (seen.has(id)) continue;
    seen.add(id);
    const key = matches[0] as NoteVerifierKey;
    const result = verifyWith(key, text, sig.signature);
    if (!result.ok) return failure('INVALID_SIGNATURE', `invalid signature for key ${id}`);
    verified.push({ ...sig, key, timestamp: result.timestamp });
  }
  if (verified.length === 0 && !options.allowUnverified)
    return failure('NO_VERIFIED_SIGNATURE', 'note has no verifiable signatures');
  return { ok: true, value: { text, signatures, verified, unverified } };
}

/** One signature line (`— name base64\n`) by `signer` over `text`. */
export function signatureLine(text: string, signer: NoteSigner, timestamp?: number): string {
  let signature: Uint8Array;
  if (signer.type === NOTE_ED25519) {
    signature = new Uint8Array(sign(null, utf8.encode(text), signer.privateKey));
  } else {
    const ts = timestamp ?? 0;
    if (!Number.isSafeInteger(ts) || ts < 0) throw new RangeError(`Cosignature timestamp ${ts} is invalid`);
    const sig = sign(null, cosignatureMessage(text, ts), signer.privateKey);
    signature = new Uint8Array(72);
    Buffer.from(signature.buffer).writeBigUInt64BE(BigInt(ts), 0);
    signature.set(sig, 8);
  }
  const raw = new Uint8Array(4 + signature.length);
  Buffer.from(raw.buffer).writeUInt32BE(signer.keyId, 0);
  raw.set(signature, 4);
  return `${SIG_PREFIX}${signer.name} ${encodeBase64(raw)}\n`;
}

/**
 * Signs `text` (which must end in a newline) with every signer; `existing` signature lines by
 * other keys are kept before the new ones, as golang.org/x/mod/sumdb/note Sign does.
 */
export function signNote(
  text: string,
  signers: readonly NoteSigner[],
  options: { existing?: readonly NoteSignature[]; timestamp?: number } = {},
): string {
  if (!text.endsWith('\n') || !text.isWellFormed() || hasForbiddenControl(text))
    throw new RangeError('A note text must be UTF-8 without control characters and end in a newline');
  const replaced = new Set(signers.map((s) => `${s.name}+${s.keyId}`));
  let out = `${text}\n`;
  for (const sig of options.existing ?? []) {
    if (replaced.has(`${sig.name}+${sig.keyId}`)) continue;
    out += `${SIG_PREFIX}${sig.name} ${sig.base64}\n`;
  }
  for (const signer of signers) out += signatureLine(text, signer, options.timestamp);
  return out;
}

/** Appends signature lines (e.g. a witness's response) to a signed note, dropping repeats. */
export function addSignatureLines(note: string, lines: string): NoteResult<string> {
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const extra = parseNote(`${parsed.value.text}\n${lines}`);
  if (!extra.ok) return extra;
  const have = new Set(parsed.value.signatures.map((s) => `${s.name} ${s.base64}`));
  let out = note;
  for (const sig of extra.value.signatures) {
    const line = `${sig.name} ${sig.base64}`;
    if (have.has(line)) continue;
    have.add(line);
    out += `${SIG_PREFIX}${line}\n`;
  }
  return parseNote(out).ok ? { ok: true, value: out } : failure('MALFORMED_NOTE', 'Too many signatures');
}
