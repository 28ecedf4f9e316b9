import { hash, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
  type Checkpoint,
  type Cosignature,
  type OpenedCheckpoint,
  openCheckpoint,
  parseCheckpoint,
} from './checkpoint.ts';
import { Ed25519BatchBuilder, type Ed25519BatchVerifier, inProcessEd25519Verifier } from './ed25519-batch.ts';
import { ZERO_HASH } from './encoding.ts';
import { encodeEntryText } from './entry-encoder.ts';
import type { JournalEntry } from './journal-entry.ts';
import { CompactRange, compactRangeNodes, HASH_SIZE, hashesEqual } from './merkle.ts';
import {
  decodeBase64Strict,
  encodeBase64,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  type NoteVerifierKey,
  parseNote,
  parseVerifierKey,
} from './note.ts';
import {
  devicePublicKeyFromSpki,
  type KeyProtection,
  parseSessionCertificate,
  type SessionCertificate,
  verifySessionCertificate,
} from './session-certificate.ts';
import { SESSION_KEY_ENTRY, type SessionKeyPayload } from './verify-journal.ts';

/**
 * The audit export: everything an auditor needs to check one period of the log offline, with
 * no per-entry proofs. `docs/spec/export.md` is the normative description.
 *
 * Why it works: the start checkpoint fixes the root of the first `fromIndex` leaves, and the
 * compact range of that prefix (at most 53 hashes) is the only part of it needed to keep
 * hashing. Appending the leaf hash of every entry of the period must give exactly the end
 * checkpoint's root, so the entries are provably the log's leaves [fromIndex, toIndex), in order,
 * none missing, none added. The journal checks then prove who wrote each entry.
 */
export const AUDIT_EXPORT_FORMAT = 'ceros.audit-export/v1';

export interface AuditExportDevice {
  readonly id: string;
  /** base64url SPKI DER of the registered device key. */
  readonly spki: string;
  readonly protection: KeyProtection;
  /** The device's entry just before the period: its seq and hash; null when its journal starts in the period. */
  readonly anchor: { readonly seq: number; readonly hash: string } | null;
}

export interface AuditExport {
  readonly format: typeof AUDIT_EXPORT_FORMAT;
  /** The log's origin, the first line of its checkpoints. */
  readonly origin: string;
  readonly period: {
    /** RFC 3339 times the edge cut the period at (informative: the checkpoints are the proof). */
    readonly from: string;
    readonly to: string;
    /** Leaf index of the first entry of the period: the start checkpoint's size. */
    readonly fromIndex: number;
    /** One past the last entry: the end checkpoint's size. */
    readonly toIndex: number;
  };
  /** Signed notes, cosignatures included. */
  readonly checkpoints: { readonly start: string; readonly end: string };
  /** base64 hashes of `compactRangeNodes(fromIndex)`, largest subtree first. */
  readonly prefix: readonly string[];
  readonly devices: readonly AuditExportDevice[];
  /** Certificates of every session with an entry in the period. */
  readonly certificates: readonly SessionCertificate[];
  /** Leaves [fromIndex, toIndex) of the log, in log order. */
  readonly entries: readonly unknown[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const deviceSchema = z.strictObject({
  id: z.string().min(1).max(128),
  spki: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'),
  protection: z.enum(['tpm', 'secure-enclave', 'platform-crypto', 'software']),
  anchor: z
    .strictObject({
      seq: z.number().int().nonnegative(),
      hash: z.string().regex(HEX64, 'must be 64 lowercase hex characters'),
    })
    .nullable(),
});
const exportSchema = z.strictObject({
  format: z.string(),
  origin: z.string().min(1),
  period: z.strictObject({
    from: z.string(),
    to: z.string(),
    fromIndex: z.number().int().nonnegative(),
    toIndex: z.number().int().nonnegative(),
  }),
  checkpoints: z.strictObject({ start: z.string(), end: z.string() }),
  prefix: z.array(z.string()).max(64),
  devices: z.array(deviceSchema),
  certificates: z.array(z.unknown()),
  entries: z.custom<unknown[]>((v) => Array.isArray(v), 'must be an array'),
});

export type ExportFailureCode =
  | 'MALFORMED_EXPORT'
  | 'UNSUPPORTED_FORMAT'
  | 'BAD_KEY'
  | 'BAD_CHECKPOINT'
  | 'BAD_LOG_SIGNATURE'
  | 'ORIGIN_MISMATCH'
  | 'BAD_COSIGNATURE'
  | 'MISSING_COSIGNATURE'
  | 'SPLIT_VIEW'
  | 'INCONSISTENT_CHECKPOINT'
  | 'PERIOD_MISMATCH'
  | 'PREFIX_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'ROOT_MISMATCH'
  | 'UNKNOWN_DEVICE'
  | 'BAD_DEVICE_KEY'
  | 'BAD_ENTRY'
  | 'BAD_CHAIN'
  | 'BAD_SIGNATURE'
  | 'BAD_CERTIFICATE';

/** Where in the export a failure is: the entry's position, its leaf index, and what it claims. */
export interface ExportFailureEntry {
  readonly index: number;
  readonly treeIndex: number;
  readonly device: string | null;
  readonly seq: number | null;
  readonly session: string | null;
  readonly type: string | null;
}

export interface ExportFailure {
  readonly ok: false;
  readonly code: ExportFailureCode;
  readonly reason: string;
  readonly entry?: ExportFailureEntry;
  /** The index of the certificate in `certificates`, when a listed certificate is at fault. */
  readonly certificate?: number;
}

export function parseAuditExport(
  raw: unknown,
): { ok: true; value: AuditExport } | { ok: false; code: ExportFailureCode; error: string } {
  const result = exportSchema.safeParse(raw);
  if (!result.success)
    return {
      ok: false,
      code: 'MALFORMED_EXPORT',
      error: result.error.issues.map((i) => `${i.path.join('.') || '(export)'}: ${i.message}`).join('; '),
    };
  const doc = result.data;
  if (doc.format !== AUDIT_EXPORT_FORMAT)
    return {
      ok: false,
      code: 'UNSUPPORTED_FORMAT',
      error: `Export format "${doc.format}" is not ${AUDIT_EXPORT_FORMAT}`,
    };
  const certificates: SessionCertificate[] = [];
  for (let i = 0; i < doc.certificates.length; i++) {
    const cert = parseSessionCertificate(doc.certificates[i]);
    if (!cert.ok) return { ok: false, code: 'MALFORMED_EXPORT', error: `certificates.${i}: ${cert.error}` };
    certificates.push(cert.value);
  }
  return { ok: true, value: { ...doc, format: AUDIT_EXPORT_FORMAT, certificates } };
}

export interface BuildAuditExportInput {
  readonly origin: string;
  readonly from: string;
  readonly to: string;
  /** Signed start and end checkpoints (cosignatures included). */
  readonly startCheckpoint: string;
  readonly endCheckpoint: string;
  /** The hashes of `compactRangeNodes(start size)`, read from the node store. */
  readonly prefix: readonly Uint8Array[];
  /** Leaves [start size, end size), in log order. */
  readonly entries: readonly JournalEntry[];
  /** Registered devices: at least every device with an entry in the period. */
  readonly devices: readonly {
    readonly id: string;
    readonly spki: string;
    readonly protection: KeyProtection;
  }[];
  /** Certificates of sessions with entries in the period (others are dropped). */
  readonly certificates: readonly SessionCertificate[];
}

function checkpointSize(note: string): number {
  const parsed = parseNote(note);
  const body = parsed.ok ? parseCheckpoint(parsed.value.text) : undefined;
  if (!body?.ok) throw new RangeError('The checkpoint note is malformed');
  return body.value.size;
}

/** Assembles an export from what the edge stores; verifyExport is the check of it. */
export function buildAuditExport(input: BuildAuditExportInput): AuditExport {
  const fromIndex = checkpointSize(input.startCheckpoint);
  const toIndex = checkpointSize(input.endCheckpoint);
  if (toIndex - fromIndex !== input.entries.length)
    throw new RangeError(
      `The period holds ${toIndex - fromIndex} leaves, ${input.entries.length} entries given`,
    );
  const anchors = new Map<string, AuditExportDevice['anchor']>();
  const sessions = new Set<string>();
  for (const entry of input.entries) {
    sessions.add(`${entry.device}\n${entry.session}`);
    if (anchors.has(entry.device)) continue;
    anchors.set(entry.device, entry.seq === 0 ? null : { seq: entry.seq - 1, hash: entry.prev });
  }
  return {
    format: AUDIT_EXPORT_FORMAT,
    origin: input.origin,
    period: { from: input.from, to: input.to, fromIndex, toIndex },
    checkpoints: { start: input.startCheckpoint, end: input.endCheckpoint },
    prefix: input.prefix.map(encodeBase64),
    devices: input.devices.map((d) => ({
      id: d.id,
      spki: d.spki,
      protection: d.protection,
      anchor: anchors.get(d.id) ?? null,
    })),
    certificates: input.certificates.filter((c) => sessions.has(`${c.device}\n${c.session}`)),
    entries: input.entries,
  };
}

/** How many entry signatures verifyExport checks. */
export type SignatureCoverage = 'every-entry' | 'session-tails';

export interface VerifyExportOptions {
  /** The log's verifier key (C2SP vkey, type 0x01). */
  readonly logKey: string;
  /** Witness verifier keys (type 0x04). */
  readonly witnessKeys?: readonly string[];
  /** true or a number: how many of `witnessKeys` must have cosigned the end checkpoint. */
  readonly requireWitness?: boolean | number;
  /**
   * Signed checkpoints of this log seen elsewhere (an earlier export, a device's receipt, a
   * witness): one of the same size with another root is a split view, and one inside the period
   * must be a root the entries pass through.
   */
  readonly knownCheckpoints?: readonly string[];
  /**
   * 'every-entry' (default) checks each entry's signature. 'session-tails' checks the last entry
   * of each session only: each signature covers `prev`, so with every chain link checked it
   * covers its session's earlier entries too (docs/spec/export.md, "Signature coverage").
   */
  readonly signatures?: SignatureCoverage;
  /** Where signature batches are verified (default: in this thread). */
  readonly verifySignatures?: Ed25519BatchVerifier;
  /** Entries per signature batch (default 4096). */
  readonly batchSize?: number;
  /** Batches in flight before waiting for the oldest (default 16). */
  readonly maxInFlight?: number;
  readonly onProgress?: (entriesDone: number, entriesTotal: number) => void;
}

export interface VerifiedDevice {
  readonly id: string;
  readonly protection: KeyProtection;
  readonly entries: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly anchor: AuditExportDevice['anchor'];
  /** Hash of the device's last entry in the period: the next period's anchor. */
  readonly head: string | null;
}

export interface VerifiedSession {
  readonly device: string;
  readonly session: string;
  readonly user: string | null;
  readonly keyProtection: KeyProtection;
  readonly entries: number;
}

export interface VerifiedCheckpoint {
  readonly size: number;
  readonly rootHash: string;
  readonly cosignatures: readonly Cosignature[];
}

export interface ExportVerified {
  readonly ok: true;
  readonly origin: string;
  readonly period: AuditExport['period'] & {
    readonly firstEntryTime: string | null;
    readonly lastEntryTime: string | null;
  };
  readonly checkpoints: { readonly start: VerifiedCheckpoint; readonly end: VerifiedCheckpoint };
  readonly counts: {
    readonly entries: number;
    readonly devices: number;
    readonly sessions: number;
    readonly users: number;
    readonly signaturesChecked: number;
    readonly types: Readonly<Record<string, number>>;
  };
  readonly signatures: SignatureCoverage;
  readonly devices: readonly VerifiedDevice[];
  readonly users: readonly string[];
  readonly sessions: readonly VerifiedSession[];
  /** Known checkpoints outside the period, which this export cannot confirm or refute. */
  readonly uncheckedCheckpoints: readonly number[];
  readonly warnings: readonly string[];
}

export type VerifyExportResult = ExportVerified | ExportFailure;

interface DeviceState {
  readonly device: AuditExportDevice;
  readonly key: KeyObject;
  /** The device's sessions, by session id. */
  readonly sessions: Map<string, SessionState>;
  previous: { seq: number; hash: string } | null | undefined;
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

interface SessionState {
  readonly device: string;
  readonly session: string;
  readonly publicKey: Uint8Array;
  readonly user: string | null;
  readonly keyProtection: KeyProtection;
  entries: number;
  /** Index of the last entry of the session seen so far (for 'session-tails'). */
  tail: number | null;
}

function fail(code: ExportFailureCode, reason: string, extra: Partial<ExportFailure> = {}): ExportFailure {
  return { ok: false, code, reason, ...extra };
}

function sessionKeyBytes(cert: SessionCertificate): Uint8Array | undefined {
  const raw = Buffer.from(cert.sessionKey, 'base64url');
  return raw.length === 32 ? new Uint8Array(raw) : undefined;
}

function openPeriodCheckpoint(
  which: 'start' | 'end',
  note: string,
  origin: string,
  logKey: NoteVerifierKey,
  witnessKeys: readonly NoteVerifierKey[],
  required: number,
): { ok: true; value: OpenedCheckpoint } | ExportFailure {
  const opened = openCheckpoint(note, { logKey, witnessKeys, origin, requireCosignatures: required });
  if (opened.ok) return opened;
  const codes: Partial<Record<string, ExportFailureCode>> = {
    BAD_LOG_SIGNATURE: 'BAD_LOG_SIGNATURE',
    NO_VERIFIED_SIGNATURE: 'BAD_LOG_SIGNATURE',
    INVALID_SIGNATURE: 'BAD_LOG_SIGNATURE',
    ORIGIN_MISMATCH: 'ORIGIN_MISMATCH',
    BAD_COSIGNATURE: 'BAD_COSIGNATURE',
    MISSING_COSIGNATURE: 'MISSING_COSIGNATURE',
  };
  return fail(codes[opened.code] ?? 'BAD_CHECKPOINT', `The ${which} checkpoint: ${opened.error}`);
}

/**
 * Verifies an audit export offline. Checks, in this order, and reports the first failure:
 * the checkpoints' log signatures and the required witness cosignatures; known checkpoints of the
 * same size; the period and the prefix; then every entry in log order (well formed, from a
 * registered device, chained to the one before it on its device, session certified by the
 * device key, signed by the session key); then the entry count and the root the entries fold to.
 */
export async function verifyExport(raw: unknown, options: VerifyExportOptions): Promise<VerifyExportResult> {
  const parsed = parseAuditExport(raw);
  if (!parsed.ok) return fail(parsed.code, parsed.error);
  const doc = parsed.value;

  const logKey = parseVerifierKey(options.logKey);
  if (!logKey.ok) return fail('BAD_KEY', `The log key: ${logKey.error}`);
  if (logKey.value.type !== NOTE_ED25519)
    return fail('BAD_KEY', 'The log key is not an Ed25519 note key (type 0x01)');
  const witnessKeys: NoteVerifierKey[] = [];
  for (const text of options.witnessKeys ?? []) {
    const k = parseVerifierKey(text);
    if (!k.ok) return fail('BAD_KEY', `Witness key "${text}": ${k.error}`);
    if (k.value.type !== NOTE_COSIGNATURE_V1)
      return fail('BAD_KEY', `Witness key "${k.value.name}" is not a cosignature key (type 0x04)`);
    witnessKeys.push(k.value);
  }
  const required =
    options.requireWitness === true
      ? 1
      : options.requireWitness === false
        ? 0
        : (options.requireWitness ?? 0);
  if (required > witnessKeys.length)
    return fail(
      'BAD_KEY',
      `${required} witness cosignatures required but ${witnessKeys.length} witness keys given`,
    );

  // Checkpoints.
  const start = openPeriodCheckpoint(
    'start',
    doc.checkpoints.start,
    doc.origin,
    logKey.value,
    witnessKeys,
    0,
  );
  if (!start.ok) return start;
  const end = openPeriodCheckpoint(
    'end',
    doc.checkpoints.end,
    doc.origin,
    logKey.value,
    witnessKeys,
    required,
  );
  if (!end.ok) return end;
  const startCp = start.value.checkpoint;
  const endCp = end.value.checkpoint;
  if (endCp.size < startCp.size)
    return fail(
      'PERIOD_MISMATCH',
      `The end checkpoint (size ${endCp.size}) is older than the start (${startCp.size})`,
    );

  // Checkpoints seen elsewhere: equal sizes must have equal roots; sizes inside the period are
  // checked while folding.
  const known = new Map<number, Checkpoint>();
  const uncheckedCheckpoints: number[] = [];
  for (const [i, note] of (options.knownCheckpoints ?? []).entries()) {
    const opened = openCheckpoint(note, { logKey: logKey.value, origin: doc.origin });
    if (!opened.ok) return fail('BAD_CHECKPOINT', `Known checkpoint ${i}: ${opened.error}`);
    const cp = opened.value.checkpoint;
    for (const [which, ours] of [
      ['start', startCp],
      ['end', endCp],
    ] as const) {
      if (cp.size === ours.size && !hashesEqual(cp.rootHash, ours.rootHash))
        return fail(
          'SPLIT_VIEW',
          `The log signed two roots for size ${cp.size}: the export's ${which} checkpoint and known checkpoint ${i}`,
        );
    }
    const twin = known.get(cp.size);
    if (twin && !hashesEqual(twin.rootHash, cp.rootHash))
      return fail('SPLIT_VIEW', `The log signed two roots for size ${cp.size} among the known checkpoints`);
    if (cp.size > startCp.size && cp.size < endCp.size) known.set(cp.size, cp);
    else if (cp.size < startCp.size || cp.size > endCp.size) uncheckedCheckpoints.push(cp.size);
  }

  // Period and prefix.
  if (doc.period.fromIndex !== startCp.size || doc.period.toIndex !== endCp.size)
    return fail(
      'PERIOD_MISMATCH',
      `The period says leaves ${doc.period.fromIndex}..${doc.period.toIndex}, the checkpoints ${startCp.size}..${endCp.size}`,
    );
  const warnings: string[] = [];
  const from = Date.parse(doc.period.from);
  const to = Date.parse(doc.period.to);
  if (Number.isNaN(from) || Number.isNaN(to) || from > to)
    return fail(
      'PERIOD_MISMATCH',
      `The period "${doc.period.from}" to "${doc.period.to}" is not a time range`,
    );
  const prefixIds = compactRangeNodes(startCp.size);
  if (doc.prefix.length !== prefixIds.length)
    return fail(
      'PREFIX_MISMATCH',
      `A prefix of ${startCp.size} leaves has ${prefixIds.length} hashes, the export ${doc.prefix.length}`,
    );
  const prefixHashes: Uint8Array[] = [];
  for (const [i, text] of doc.prefix.entries()) {
    const h = decodeBase64Strict(text);
    if (!h || h.length !== HASH_SIZE)
      return fail('PREFIX_MISMATCH', `Prefix hash ${i} is not the base64 of 32 bytes`);
    prefixHashes.push(h);
  }
  const range = CompactRange.fromHashes(startCp.size, prefixHashes);
  if (!hashesEqual(range.root(), startCp.rootHash))
    return fail(
      'PREFIX_MISMATCH',
      `The prefix does not hash to the start checkpoint's root at size ${startCp.size}`,
    );

  // Devices and listed certificates.
  const devices = new Map<string, DeviceState>();
  for (const device of doc.devices) {
    if (devices.has(device.id)) return fail('MALFORMED_EXPORT', `Device "${device.id}" is listed twice`);
    let key: KeyObject;
    try {
      key = devicePublicKeyFromSpki(device.spki);
    } catch {
      return fail('BAD_DEVICE_KEY', `The registered key of device "${device.id}" is not an SPKI public key`);
    }
    devices.set(device.id, {
      device,
      key,
      sessions: new Map(),
      previous: undefined,
      entries: 0,
      firstSeq: null,
      lastSeq: null,
    });
  }
  /** Every session, in the order first seen; each device's map holds its own. */
  const sessions: SessionState[] = [];
  for (const [i, cert] of doc.certificates.entries()) {
    const device = devices.get(cert.device);
    if (!device)
      return fail(
        'UNKNOWN_DEVICE',
        `Certificate ${i} is for device "${cert.device}", which is not registered`,
        {
          certificate: i,
        },
      );
    const checked = verifySessionCertificate(cert, device.key);
    if (!checked.ok)
      return fail('BAD_CERTIFICATE', `Certificate ${i}: ${checked.reason}`, { certificate: i });
    const publicKey = sessionKeyBytes(cert);
    if (!publicKey)
      return fail('BAD_CERTIFICATE', `Certificate ${i} holds no 32-byte session key`, { certificate: i });
    const other = device.sessions.get(cert.session);
    if (other && !hashesEqual(other.publicKey, publicKey))
      return fail(
        'BAD_CERTIFICATE',
        `Certificate ${i} certifies a second key for session "${cert.session}"`,
        {
          certificate: i,
        },
      );
    if (other) continue;
    const state: SessionState = {
      device: cert.device,
      session: cert.session,
      publicKey,
      user: cert.user,
      keyProtection: cert.keyProtection,
      entries: 0,
      tail: null,
    };
    device.sessions.set(cert.session, state);
    sessions.push(state);
  }

  // Entries: one pass in log order. Signature checks go out in batches and come back later; the
  // earliest failure of either kind wins.
  const coverage = options.signatures ?? 'every-entry';
  const verifier = options.verifySignatures ?? inProcessEd25519Verifier;
  const batchSize = options.batchSize ?? 4096;
  const maxInFlight = options.maxInFlight ?? 16;
  const inFlight: { indexes: number[]; result: Promise<Uint8Array> }[] = [];
  const settled: { indexes: number[]; result: Uint8Array }[] = [];
  let batch = new Ed25519BatchBuilder({ jobs: batchSize });
  let batchIndexes: number[] = [];
  let signaturesChecked = 0;
  const flush = async (): Promise<void> => {
    if (batch.count === 0) return;
    signaturesChecked += batch.count;
    const result = verifier(batch.build());
    // Awaited below; marked handled now so a failure while another batch is awaited is not
    // reported as unhandled.
    result.catch(() => undefined);
    inFlight.push({ indexes: batchIndexes, result });
    batch = new Ed25519BatchBuilder({ jobs: batchSize });
    batchIndexes = [];
    while (inFlight.length > maxInFlight) {
      const oldest = inFlight.shift() as (typeof inFlight)[number];
      settled.push({ indexes: oldest.indexes, result: await oldest.result });
    }
  };
  const queue = async (index: number, publicKey: Uint8Array, signingText: string, sig: string) => {
    batch.addText(publicKey, signingText, sig);
    batchIndexes.push(index);
    if (batch.count >= batchSize) await flush();
  };

  const entries = doc.entries;
  const total = entries.length;
  const types: Record<string, number> = {};
  const users = new Set<string>();
  let firstEntryTime: string | null = null;
  let lastEntryTime: string | null = null;
  let entryFailure: ExportFailure | undefined;
  let foldFailure: ExportFailure | undefined;
  const where = (index: number): ExportFailureEntry => {
    const r = entries[index] as Partial<JournalEntry> | null | undefined;
    const pick = <T>(v: unknown, t: string): T | null => (typeof v === t ? (v as T) : null);
    return {
      index,
      treeIndex: startCp.size + index,
      device: pick<string>(r?.device, 'string'),
      seq: pick<number>(r?.seq, 'number'),
      session: pick<string>(r?.session, 'string'),
      type: pick<string>(r?.type, 'string'),
    };
  };
  const entryFail = (
    code: ExportFailureCode,
    index: number,
    e: JournalEntry,
    reason: string,
  ): ExportFailure =>
    fail(code, `Entry ${index} (device "${e.device}" seq ${e.seq}) ${reason}`, { entry: where(index) });
  // One scratch buffer for the bytes of every entry: 0x00 || entry bytes is the leaf hash input
  // (RFC 9162 2.1.1), the entry bytes alone the chain hash input.
  let scratch = Buffer.alloc(64 * 1024);

  for (let i = 0; i < total; i++) {
    if (i % batchSize === 0) {
      options.onProgress?.(i, total);
      // Let worker results and progress through.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const enc = encodeEntryText(entries[i]);
    if (!enc.ok) {
      entryFailure = fail('BAD_ENTRY', `Entry ${i} is malformed: ${enc.error}`, { entry: where(i) });
      break;
    }
    const { entry, text, signingText } = enc.value;
    const device = devices.get(entry.device);
    if (!device) {
      entryFailure = entryFail('UNKNOWN_DEVICE', i, entry, 'comes from a device that is not registered');
      break;
    }
    // The device chain: seq contiguous, prev the hash of the entry before (docs/spec/journal.md).
    const previous = device.previous === undefined ? device.device.anchor : device.previous;
    if (previous === null) {
      if (entry.seq !== 0 || entry.prev !== ZERO_HASH) {
        entryFailure = entryFail(
          'BAD_CHAIN',
          i,
          entry,
          entry.seq !== 0
            ? `is the device's first entry in the period but has no anchor for seq ${entry.seq - 1}`
            : `starts the device's journal but its prev is not zero`,
        );
        break;
      }
    } else if (entry.seq !== previous.seq + 1) {
      entryFailure = entryFail(
        'BAD_CHAIN',
        i,
        entry,
        `follows seq ${previous.seq}: ${entry.seq <= previous.seq ? 'reordered or replayed' : `entries ${previous.seq + 1}..${entry.seq - 1} are missing`}`,
      );
      break;
    } else if (entry.prev !== previous.hash) {
      entryFailure = entryFail(
        'BAD_CHAIN',
        i,
        entry,
        `does not chain to seq ${previous.seq}: its prev is not the hash of the entry before`,
      );
      break;
    }

    let session = device.sessions.get(entry.session);
    if (entry.type === SESSION_KEY_ENTRY) {
      const payload = entry.payload as Partial<SessionKeyPayload> | null;
      const cert = parseSessionCertificate(payload?.certificate);
      const problem = ((): string | undefined => {
        if (!cert.ok) return `carries a malformed session certificate: ${cert.error}`;
        const checked = verifySessionCertificate(cert.value, device.key);
        if (!checked.ok) return checked.reason;
        if (
          cert.value.session !== entry.session ||
          cert.value.device !== entry.device ||
          cert.value.sessionKey !== payload?.publicKey
        )
          return 'the session certificate is for another session, device or key';
        if (session && session.entries > 0)
          return `session "${entry.session}" already had entries before its key`;
        const key = sessionKeyBytes(cert.value);
        if (!key) return 'the session certificate holds no 32-byte key';
        if (session && !hashesEqual(session.publicKey, key))
          return 'the session key differs from the listed certificate of the session';
        return undefined;
      })();
      if (problem || !cert.ok) {
        entryFailure = entryFail('BAD_CERTIFICATE', i, entry, `has a bad session key entry: ${problem}`);
        break;
      }
      if (!session) {
        session = {
          device: entry.device,
          session: entry.session,
          publicKey: sessionKeyBytes(cert.value) as Uint8Array,
          user: cert.value.user,
          keyProtection: cert.value.keyProtection,
          entries: 0,
          tail: null,
        };
        device.sessions.set(entry.session, session);
        sessions.push(session);
      }
    }
    if (!session) {
      entryFailure = entryFail(
        'BAD_SIGNATURE',
        i,
        entry,
        `belongs to session "${entry.session}", whose key was never certified`,
      );
      break;
    }

    if (coverage === 'every-entry') await queue(i, session.publicKey, signingText, entry.sig);
    else session.tail = i;
    if (session.entries === 0 && session.user) users.add(session.user);
    session.entries += 1;

    if (scratch.length < text.length * 3 + 1) scratch = Buffer.alloc(text.length * 3 + 1);
    const written = scratch.write(text, 1, 'utf8');
    const chainHash = hash('sha256', scratch.subarray(1, written + 1), 'hex');
    if (device.previous) {
      device.previous.seq = entry.seq;
      device.previous.hash = chainHash;
    } else device.previous = { seq: entry.seq, hash: chainHash };
    range.append(hash('sha256', scratch.subarray(0, written + 1), 'buffer'));
    device.entries += 1;
    device.firstSeq ??= entry.seq;
    device.lastSeq = entry.seq;
    types[entry.type] = (types[entry.type] ?? 0) + 1;
    firstEntryTime ??= entry.time;
    lastEntryTime = entry.time;

    const cp = known.get(range.size);
    if (cp && !foldFailure && !hashesEqual(range.root(), cp.rootHash))
      foldFailure = fail(
        'INCONSISTENT_CHECKPOINT',
        `A known checkpoint of size ${cp.size} has a root the log's leaves do not pass through: the log was rewritten or forked`,
      );
  }
  options.onProgress?.(entryFailure ? (entryFailure.entry?.index ?? total) : total, total);

  if (coverage === 'session-tails') {
    for (const s of sessions) {
      if (s.tail === null) continue;
      const enc = encodeEntryText(entries[s.tail]);
      if (enc.ok) await queue(s.tail, s.publicKey, enc.value.signingText, enc.value.entry.sig);
    }
  }
  await flush();
  for (const f of inFlight) settled.push({ indexes: f.indexes, result: await f.result });
  let badSignature = Number.POSITIVE_INFINITY;
  for (const s of settled)
    for (let k = 0; k < s.indexes.length; k++)
      if (s.result[k] !== 1) badSignature = Math.min(badSignature, s.indexes[k] as number);
  if (badSignature < (entryFailure?.entry?.index ?? Number.POSITIVE_INFINITY)) {
    const e = entries[badSignature] as JournalEntry;
    return fail(
      'BAD_SIGNATURE',
      `Entry ${badSignature} (device "${e.device}" seq ${e.seq}, ${e.type}) has a signature that does not match its content`,
      { entry: where(badSignature) },
    );
  }
  if (entryFailure) return entryFailure;

  if (total !== endCp.size - startCp.size)
    return fail(
      'SIZE_MISMATCH',
      `The export holds ${total} entries but the checkpoints cover ${endCp.size - startCp.size} (leaves ${startCp.size}..${endCp.size}): entries were ${total < endCp.size - startCp.size ? 'removed' : 'added'}`,
    );
  if (foldFailure) return foldFailure;
  if (!hashesEqual(range.root(), endCp.rootHash))
    return fail(
      'ROOT_MISMATCH',
      `The entries do not fold to the end checkpoint's root at size ${endCp.size}: an entry was changed, reordered or replaced`,
    );

  // The certificate's claim is the device's own; the registration is the edge's record.
  for (const s of sessions) {
    const registered = devices.get(s.device)?.device.protection;
    if (s.entries > 0 && registered && s.keyProtection !== registered)
      warnings.push(
        `Session "${s.session}" claims key protection "${s.keyProtection}" but device "${s.device}" was registered with "${registered}"`,
      );
  }
  const summary = (o: OpenedCheckpoint): VerifiedCheckpoint => ({
    size: o.checkpoint.size,
    rootHash: encodeBase64(o.checkpoint.rootHash),
    cosignatures: o.cosignatures,
  });
  const activeSessions = sessions.filter((s) => s.entries > 0);
  return {
    ok: true,
    origin: doc.origin,
    period: { ...doc.period, firstEntryTime, lastEntryTime },
    checkpoints: { start: summary(start.value), end: summary(end.value) },
    counts: {
      entries: total,
      devices: [...devices.values()].filter((d) => d.entries > 0).length,
      sessions: activeSessions.length,
      users: users.size,
      signaturesChecked,
      types,
    },
    signatures: coverage,
    devices: [...devices.values()].map((d) => ({
      id: d.device.id,
      protection: d.device.protection,
      entries: d.entries,
      firstSeq: d.firstSeq,
      lastSeq: d.lastSeq,
      anchor: d.device.anchor,
      head: d.previous ? d.previous.hash : null,
    })),
    users: [...users].sort(),
    sessions: activeSessions.map((s) => ({
      device: s.device,
      session: s.session,
      user: s.user,
      keyProtection: s.keyProtection,
      entries: s.entries,
    })),
    uncheckedCheckpoints,
    warnings,
  };
}
