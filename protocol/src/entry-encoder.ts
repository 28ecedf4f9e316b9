import { type KeyObject, sign } from 'node:crypto';
import {
  ENTRY_SIGNING_PREFIX,
  type EntryBody,
  type JournalEntry,
  type ParseResult,
} from './journal-entry.ts';

/**
 * The bytes of a journal entry, computed fast enough to check a million of them: one validation
 * pass with the same rules as `journalEntrySchema`, and one canonicalization of the payload shared
 * by the entry bytes and the signing bytes. `encodeEntry(e).bytes` equals `entryBytes(e)` and
 * `signingBytes` equals `entrySigningBytes(entryBody(e))` for every entry those accept
 * (entry-encoder.test.ts checks both against the reference implementation).
 */
export interface EncodedEntry {
  readonly entry: JournalEntry;
  /** UTF-8 of the RFC 8785 canonical entry, `sig` included: the chain hash input and the Merkle leaf data. */
  readonly bytes: Uint8Array;
  /** UTF-8 of `ENTRY_SIGNING_PREFIX + canonical(body)`: what the session key signed. */
  readonly signingBytes: Uint8Array;
}

/** The same as text: what verifiers that write bytes into buffers of their own need. */
export interface EncodedEntryText {
  readonly entry: JournalEntry;
  /** The RFC 8785 canonical entry, `sig` included. */
  readonly text: string;
  /** `ENTRY_SIGNING_PREFIX + canonical(body)`. */
  readonly signingText: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const TYPE = /^[a-z][a-z0-9_.-]{0,63}$/;
const SIG = /^[A-Za-z0-9_-]{86}$/;
const KEYS = ['device', 'payload', 'prev', 'seq', 'session', 'sig', 'time', 'type', 'v'];
const utf8 = new TextEncoder();

class NotCanonical extends Error {}

/** Printable ASCII without `"` or `\`: JSON and RFC 8785 write it as is. */
const PLAIN = /^[ !#-[\]-~]*$/;

function canonicalString(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  if (!s.isWellFormed()) throw new NotCanonical('holds a lone surrogate');
  return JSON.stringify(s);
}

/**
 * Whether JSON.stringify(value) already is its RFC 8785 form: true when every object's keys are
 * in UTF-16 code unit order (JSON.parse keeps the file's order, and ceros writes canonical
 * JSON), false when some are not. Throws for values that have no canonical form at all.
 */
function stringifyIsCanonical(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new NotCanonical('holds a lone surrogate');
      return true;
    case 'number':
      if (!Number.isFinite(value)) throw new NotCanonical('holds a number that is not finite');
      return true;
    case 'boolean':
      return true;
    case 'object': {
      if (Array.isArray(value)) {
        let sorted = true;
        for (let i = 0; i < value.length; i++) if (!stringifyIsCanonical(value[i])) sorted = false;
        return sorted;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        throw new NotCanonical('holds an object that is not plain JSON');
      // Object.keys lists integer-like keys first, in numeric order: "9" before "10", which
      // RFC 8785 orders the other way, so such objects take the slow path.
      const keys = Object.keys(value);
      let sorted = true;
      let previous: string | undefined;
      for (const key of keys) {
        if (!key.isWellFormed()) throw new NotCanonical('holds a lone surrogate');
        if (previous !== undefined && !(previous < key)) sorted = false;
        previous = key;
        if (!stringifyIsCanonical((value as Record<string, unknown>)[key])) sorted = false;
      }
      return sorted;
    }
    default:
      throw new NotCanonical(`holds a value of type ${typeof value}`);
  }
}

/** RFC 8785: ECMAScript number and string serialization, object keys sorted by UTF-16 code units. */
function canonicalSlow(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalSlow(value[i]);
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalSlow((value as Record<string, unknown>)[key])}`;
  }
  return `${out}}`;
}

function canonical(value: unknown): string {
  return stringifyIsCanonical(value) ? JSON.stringify(value) : canonicalSlow(value);
}

/** Same rules as `journalEntrySchema`, plus a canonical base64url signature. */
function invalid(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return '(entry): must be an object';
  const e = raw as Record<string, unknown>;
  const keys = Object.keys(e);
  for (const key of keys) if (!KEYS.includes(key)) return `(entry): unrecognized key "${key}"`;
  if (e.v !== 1) return 'v: must be 1';
  if (typeof e.device !== 'string' || e.device.length < 1 || e.device.length > 128)
    return 'device: must be a string of 1 to 128 characters';
  if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 0)
    return 'seq: must be a non-negative safe integer';
  if (typeof e.prev !== 'string' || !HEX64.test(e.prev)) return 'prev: must be 64 lowercase hex characters';
  if (typeof e.time !== 'string' || e.time.length < 20 || e.time.length > 40)
    return 'time: must be a string of 20 to 40 characters';
  if (typeof e.session !== 'string' || e.session.length < 1 || e.session.length > 128)
    return 'session: must be a string of 1 to 128 characters';
  if (typeof e.type !== 'string' || !TYPE.test(e.type)) return 'type: must be a dotted lowercase type';
  if (!('payload' in e) || e.payload === undefined) return 'payload: is required';
  if (typeof e.sig !== 'string' || !SIG.test(e.sig)) return 'sig: must be a base64url Ed25519 signature';
  // 64 bytes in 86 characters leave 4 spare bits; they must be zero so one signature has one text.
  if (!/[AQgw]$/.test(e.sig)) return 'sig: is not canonical base64url';
  return undefined;
}

function encodeParts(e: EntryBody): { head: string; tail: string } {
  // The top-level keys in RFC 8785 order: device, payload, prev, seq, session, [sig,] time, type, v.
  return {
    head: `{"device":${canonicalString(e.device)},"payload":${canonical(e.payload)},"prev":"${e.prev}","seq":${e.seq},"session":${canonicalString(e.session)},`,
    tail: `"time":${canonicalString(e.time)},"type":"${e.type}","v":1}`,
  };
}

/**
 * Validates an untrusted entry and returns its exact text; the error names the field, in the
 * words of `parseJournalEntry`.
 */
export function encodeEntryText(raw: unknown): ParseResult<EncodedEntryText> {
  const problem = invalid(raw);
  if (problem) return { ok: false, error: problem };
  const e = raw as JournalEntry;
  let parts: { head: string; tail: string };
  try {
    parts = encodeParts(e);
  } catch (error) {
    if (error instanceof NotCanonical) return { ok: false, error: `payload: ${error.message}` };
    if (error instanceof RangeError) return { ok: false, error: 'payload: nests too deeply to canonicalize' };
    throw error;
  }
  return {
    ok: true,
    value: {
      entry: e,
      text: `${parts.head}"sig":"${e.sig}",${parts.tail}`,
      signingText: ENTRY_SIGNING_PREFIX + parts.head + parts.tail,
    },
  };
}

/** `encodeEntryText` as UTF-8 bytes. */
export function encodeEntry(raw: unknown): ParseResult<EncodedEntry> {
  const text = encodeEntryText(raw);
  if (!text.ok) return text;
  return {
    ok: true,
    value: {
      entry: text.value.entry,
      bytes: utf8.encode(text.value.text),
      signingBytes: utf8.encode(text.value.signingText),
    },
  };
}

/**
 * `signEntry` and `entryBytes` in one pass: signs a well-formed body with the session key and
 * returns the entry with its bytes. Throws `RangeError` for a body `encodeEntry` would refuse.
 */
export function signEncodedEntry(body: EntryBody, sessionKey: KeyObject): EncodedEntry {
  const problem = invalid({ ...body, sig: 'A'.repeat(86) });
  if (problem) throw new RangeError(`Cannot sign entry: ${problem}`);
  let parts: { head: string; tail: string };
  try {
    parts = encodeParts(body);
  } catch (error) {
    throw new RangeError(`Cannot sign entry: ${(error as Error).message}`);
  }
  const signingBytes = utf8.encode(ENTRY_SIGNING_PREFIX + parts.head + parts.tail);
  const sig = sign(null, signingBytes, sessionKey).toString('base64url');
  return {
    entry: { ...body, sig },
    bytes: utf8.encode(`${parts.head}"sig":"${sig}",${parts.tail}`),
    signingBytes,
  };
}
