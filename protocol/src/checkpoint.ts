import { HASH_SIZE, hashesEqual, verifyConsistency } from './merkle.ts';
import {
  decodeBase64Strict,
  encodeBase64,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  type NoteFailureCode,
  type NoteSigner,
  type NoteVerifierKey,
  openNote,
  parseNote,
  parseVerifierKey,
  signatureLine,
  signNote,
} from './note.ts';

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed tree head of the ceros log,
 * and C2SP tlog-cosignature / tlog-witness: what witnesses add to it. `docs/spec/checkpoint.md`
 * is the prose version.
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque extension lines (C2SP: NOT RECOMMENDED; ceros writes none). */
  readonly extensions: readonly string[];
}

export type CheckpointFailureCode =
  | NoteFailureCode
  | 'MALFORMED_CHECKPOINT'
  | 'BAD_LOG_SIGNATURE'
  | 'ORIGIN_MISMATCH'
  | 'BAD_COSIGNATURE'
  | 'MISSING_COSIGNATURE';

export type CheckpointResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: CheckpointFailureCode; error: string };

const SIZE = /^(0|[1-9][0-9]*)$/;

/** The note text of a checkpoint: `origin\nsize\nbase64(root)\n` and any extension lines. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  if (origin.length === 0 || origin.includes('\n'))
    throw new RangeError('A checkpoint origin is one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`Checkpoint size ${size} is invalid`);
  if (rootHash.length !== HASH_SIZE) throw new RangeError('A checkpoint root hash is 32 bytes');
  for (const line of extensions)
    if (line.length === 0 || line.includes('\n'))
      throw new RangeError('Extension lines are non-empty single lines');
  return [origin, String(size), encodeBase64(rootHash), ...extensions].map((l) => `${l}\n`).join('');
}

/** Parses checkpoint note text (C2SP tlog-checkpoint, "Note text"). */
export function parseCheckpoint(text: string): CheckpointResult<Checkpoint> {
  const bad = (error: string): CheckpointResult<Checkpoint> => ({
    ok: false,
    code: 'MALFORMED_CHECKPOINT',
    error,
  });
  if (!text.endsWith('\n')) return bad('The checkpoint text does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return bad(`The checkpoint has ${lines.length} lines, not at least 3`);
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) return bad('The checkpoint origin line is empty');
  if (!SIZE.test(sizeText))
    return bad(`The checkpoint size "${sizeText.slice(0, 24)}" is not a decimal without leading zeros`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size))
    return bad(`The checkpoint size ${sizeText} is larger than ceros supports (2^53 - 1)`);
  const rootHash = decodeBase64Strict(rootText);
  if (!rootHash || rootHash.length !== HASH_SIZE)
    return bad(`The checkpoint root "${rootText.slice(0, 48)}" is not the base64 of 32 bytes`);
  if (extensions.some((l) => l.length === 0)) return bad('The checkpoint has an empty extension line');
  return { ok: true, value: { origin, size, rootHash, extensions } };
}

/** Signs a checkpoint with the log's note key (type 0x01); the key name should be the origin. */
export function signCheckpoint(checkpoint: Checkpoint, logSigner: NoteSigner): string {
  if (logSigner.type !== NOTE_ED25519) throw new RangeError('A log signs checkpoints with a type 0x01 key');
  return signNote(formatCheckpoint(checkpoint), [logSigner]);
}

/** A witness's cosignature line (C2SP tlog-cosignature) over a checkpoint's note text. */
export function cosignCheckpoint(noteOrText: string, witness: NoteSigner, timestamp: number): string {
  if (witness.type !== NOTE_COSIGNATURE_V1) throw new RangeError('A witness cosigns with a type 0x04 key');
  const parsed = parseNote(noteOrText);
  const text = parsed.ok ? parsed.value.text : noteOrText;
  return signatureLine(text, witness, timestamp);
}

export interface Cosignature {
  readonly name: string;
  readonly keyId: number;
  /** POSIX seconds the witness signed at. */
  readonly timestamp: number;
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The checkpoint's note text (what was signed). */
  readonly text: string;
  /** The whole signed note as given. */
  readonly note: string;
  /** Valid cosignatures by the given witness keys, one per witness. */
  readonly cosignatures: readonly Cosignature[];
}

export interface OpenCheckpointOptions {
  /** The log's verifier key (type 0x01). */
  logKey: NoteVerifierKey | string;
  /** Witness verifier keys (type 0x04). A known witness whose cosignature fails rejects the note. */
  witnessKeys?: readonly (NoteVerifierKey | string)[];
  /** The origin the checkpoint must carry (default: any). */
  origin?: string;
  /** How many distinct witnesses must have cosigned (default 0). */
  requireCosignatures?: number;
}

function toKey(key: NoteVerifierKey | string, type: number, role: string): CheckpointResult<NoteVerifierKey> {
  const parsed = typeof key === 'string' ? parseVerifierKey(key) : { ok: true as const, value: key };
  if (!parsed.ok) return { ok: false, code: parsed.code, error: `The ${role} key: ${parsed.error}` };
  if (parsed.value.type !== type)
    return {
      ok: false,
      code: 'UNKNOWN_KEY_TYPE',
      error: `The ${role} key "${parsed.value.name}" is not of type 0x0${type}`,
    };
  return parsed;
}

/** Verifies a signed checkpoint: the log's signature, its body, and the witnesses' cosignatures. */
export function openCheckpoint(
  note: string,
  options: OpenCheckpointOptions,
): CheckpointResult<OpenedCheckpoint> {
  const logKey = toKey(options.logKey, NOTE_ED25519, 'log');
  if (!logKey.ok) return logKey;
  const witnessKeys: NoteVerifierKey[] = [];
  for (const k of options.witnessKeys ?? []) {
    const parsed = toKey(k, NOTE_COSIGNATURE_V1, 'witness');
    if (!parsed.ok) return parsed;
    witnessKeys.push(parsed.value);
  }
  const byLog = openNote(note, [logKey.value]);
  if (!byLog.ok) {
    if (byLog.code === 'MALFORMED_NOTE') return byLog;
    return {
      ok: false,
      code: 'BAD_LOG_SIGNATURE',
      error: `The checkpoint is not signed by the log key "${logKey.value.name}": ${byLog.error}`,
    };
  }
  const body = parseCheckpoint(byLog.value.text);
  if (!body.ok) return body;
  if (options.origin !== undefined && body.value.origin !== options.origin)
    return {
      ok: false,
      code: 'ORIGIN_MISMATCH',
      error: `The checkpoint is for log "${body.value.origin}", not "${options.origin}"`,
    };
  const byWitnesses = openNote(note, witnessKeys, { allowUnverified: true });
  if (!byWitnesses.ok)
    return {
      ok: false,
      code: 'BAD_COSIGNATURE',
      error: `A witness cosignature does not verify: ${byWitnesses.error}`,
    };
  const cosignatures = byWitnesses.value.verified.map((s) => ({
    name: s.name,
    keyId: s.keyId,
    timestamp: s.timestamp ?? 0,
  }));
  const required = options.requireCosignatures ?? 0;
  if (cosignatures.length < required)
    return {
      ok: false,
      code: 'MISSING_COSIGNATURE',
      error: `The checkpoint at size ${body.value.size} has ${cosignatures.length} valid witness cosignatures, ${required} required`,
    };
  return { ok: true, value: { checkpoint: body.value, text: byLog.value.text, note, cosignatures } };
}

export type CheckpointConsistency =
  | { ok: true }
  | { ok: false; code: 'ORIGIN_MISMATCH' | 'SPLIT_VIEW' | 'INCONSISTENT' | 'UNPROVEN'; reason: string };

/**
 * Whether two checkpoints of one log can both be true: the same size must mean the same root
 * (else the log showed two views: SPLIT_VIEW, and both signatures are evidence), and different
 * sizes need a consistency proof from the smaller to the larger.
 */
export function checkCheckpointConsistency(
  a: Checkpoint,
  b: Checkpoint,
  proof?: readonly Uint8Array[],
): CheckpointConsistency {
  if (a.origin !== b.origin)
    return { ok: false, code: 'ORIGIN_MISMATCH', reason: `Checkpoints of "${a.origin}" and "${b.origin}"` };
  if (a.size === b.size)
    return hashesEqual(a.rootHash, b.rootHash)
      ? { ok: true }
      : {
          ok: false,
          code: 'SPLIT_VIEW',
          reason: `Two different roots signed for size ${a.size} of "${a.origin}"`,
        };
  const [older, newer] = a.size < b.size ? [a, b] : [b, a];
  if (!proof)
    return {
      ok: false,
      code: 'UNPROVEN',
      reason: `No consistency proof from size ${older.size} to ${newer.size}`,
    };
  const result = verifyConsistency(older.size, newer.size, proof, older.rootHash, newer.rootHash);
  return result.ok
    ? { ok: true }
    : {
        ok: false,
        code: 'INCONSISTENT',
        reason: `Size ${newer.size} does not extend size ${older.size} of "${a.origin}": ${result.reason}`,
      };
}

/** c2sp.org/tlog-witness add-checkpoint: at most 63 proof lines. */
export const MAX_WITNESS_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note. */
  readonly checkpoint: string;
}

/** The body of `POST <prefix>/add-checkpoint` (c2sp.org/tlog-witness). */
export function formatAddCheckpointRequest(request: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(request.oldSize) || request.oldSize < 0) throw new RangeError('Invalid old size');
  if (request.proof.length > MAX_WITNESS_PROOF_LINES) throw new RangeError('Too many proof lines');
  return `old ${request.oldSize}\n${request.proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${request.checkpoint}`;
}

export function parseAddCheckpointRequest(
  body: string,
): { ok: true; value: AddCheckpointRequest } | { ok: false; error: string } {
  const firstEnd = body.indexOf('\n');
  const first = firstEnd < 0 ? body : body.slice(0, firstEnd);
  const match = /^old (0|[1-9][0-9]*)$/.exec(first);
  if (!match) return { ok: false, error: 'The request does not start with an "old <size>" line' };
  const oldSize = Number(match[1]);
  if (!Number.isSafeInteger(oldSize)) return { ok: false, error: 'The old size is too large' };
  const proof: Uint8Array[] = [];
  let at = firstEnd + 1;
  for (;;) {
    const end = body.indexOf('\n', at);
    if (end < 0) return { ok: false, error: 'The request has no blank line before the checkpoint' };
    const line = body.slice(at, end);
    at = end + 1;
    if (line === '') break;
    const h = decodeBase64Strict(line);
    if (!h || h.length !== HASH_SIZE)
      return { ok: false, error: `Proof line ${proof.length + 1} is not a base64 hash` };
    proof.push(h);
    if (proof.length > MAX_WITNESS_PROOF_LINES)
      return { ok: false, error: `The request has more than ${MAX_WITNESS_PROOF_LINES} proof lines` };
  }
  return { ok: true, value: { oldSize, proof, checkpoint: body.slice(at) } };
}

/** The media type of a witness's 409 answer: its latest cosigned size (c2sp.org/tlog-witness). */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
