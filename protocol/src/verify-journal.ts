import { hash, type KeyObject, verify } from 'node:crypto';
import { Ed25519BatchBuilder, type Ed25519BatchVerifier } from './ed25519-batch.ts';
import { ZERO_HASH } from './encoding.ts';
import { encodeEntryText } from './entry-encoder.ts';
import { ed25519PublicKeyFromRaw, type JournalEntry, parseJournalEntry } from './journal-entry.ts';
import {
  parseSessionCertificate,
  type SessionCertificate,
  verifySessionCertificate,
} from './session-certificate.ts';

/** The first entry of every session: its key, certified by the device key. */
export const SESSION_KEY_ENTRY = 'session.key';

export interface SessionKeyPayload {
  publicKey: string;
  certificate: SessionCertificate;
}

export interface VerifyJournalOptions {
  /** The registered device key for a device id, or undefined when the device is not registered. */
  deviceKey: (device: string) => KeyObject | undefined;
  /** Where the range starts when it does not start at seq 0: the hash of the entry before it. */
  anchor?: { seq: number; hash: string };
  /** Certificates of sessions that began before the range (an export carries them). */
  certificates?: SessionCertificate[];
}

export type VerifyJournalFailure = {
  ok: false;
  /** Index in the given list, and the entry's seq when it could be read. */
  index: number;
  seq: number | null;
  code: 'BAD_ENTRY' | 'BAD_CHAIN' | 'BAD_SIGNATURE' | 'BAD_CERTIFICATE';
  reason: string;
};

export type VerifyJournalResult =
  | { ok: true; count: number; sessions: string[]; devices: string[]; users: string[]; head: string | null }
  | VerifyJournalFailure;

/** An entry that passed: its canonical text (the stored bytes, the Merkle leaf data) and chain hash. */
export interface VerifiedJournalEntry {
  readonly entry: JournalEntry;
  /** The RFC 8785 canonical entry, `sig` included. */
  readonly text: string;
  /** Hex SHA-256 of `text` as UTF-8: the next entry's `prev`. */
  readonly hash: string;
}

export type VerifyJournalBatchResult =
  | (Extract<VerifyJournalResult, { ok: true }> & { entries: VerifiedJournalEntry[] })
  | VerifyJournalFailure;

interface SessionKey {
  readonly raw: Uint8Array;
  readonly key: KeyObject;
}

/** What the walk over the entries hands each signature to; false stops the walk at that entry. */
type SignatureCheck = (index: number, key: SessionKey, signingText: string, sig: string) => boolean;

interface Walk {
  failure: VerifyJournalFailure | undefined;
  entries: VerifiedJournalEntry[];
  sessions: Map<string, SessionKey>;
  devices: Set<string>;
  users: Set<string>;
}

function sessionKeyOf(sessionKey: string): SessionKey {
  const key = ed25519PublicKeyFromRaw(sessionKey);
  return { raw: new Uint8Array(Buffer.from(sessionKey, 'base64url')), key };
}

/**
 * Every check but the signatures themselves, in entry order, stopping at the first failure: each
 * entry well formed, seq contiguous, `prev` the hash of the entry before, its session's key
 * certified by the registered device key. Each entry's signature goes to `check`.
 */
function walkJournal(raw: readonly unknown[], options: VerifyJournalOptions, check: SignatureCheck): Walk {
  const sessions = new Map<string, SessionKey>();
  const users = new Set<string>();
  for (const cert of options.certificates ?? []) {
    const key = options.deviceKey(cert.device);
    if (!key || !verifySessionCertificate(cert, key).ok) continue;
    try {
      sessions.set(`${cert.device}\n${cert.session}`, sessionKeyOf(cert.sessionKey));
    } catch {
      // A certified key that is not an Ed25519 point certifies nothing: its entries fail below.
      continue;
    }
    if (cert.user) users.add(cert.user);
  }
  const devices = new Set<string>();
  const entries: VerifiedJournalEntry[] = [];
  let previous: { seq: number; hash: string } | undefined = options.anchor;
  let index = 0;
  const walk = (failure?: Omit<VerifyJournalFailure, 'ok' | 'index'>): Walk => ({
    failure: failure ? { ok: false, index, ...failure } : undefined,
    entries,
    sessions,
    devices,
    users,
  });
  const fail = (code: VerifyJournalFailure['code'], seq: number | null, reason: string) =>
    walk({ seq, code, reason });

  for (; index < raw.length; index++) {
    const encoded = encodeEntryText(raw[index]);
    if (!encoded.ok) {
      // parseJournalEntry names every bad field; the encoder's stricter rules (canonical sig and
      // payload) only speak when the schema found nothing.
      const parsed = parseJournalEntry(raw[index]);
      return fail(
        'BAD_ENTRY',
        null,
        `Entry ${index} is malformed: ${parsed.ok ? encoded.error : parsed.error}`,
      );
    }
    const { entry, text, signingText } = encoded.value;
    const where = `Entry seq ${entry.seq}`;
    devices.add(entry.device);
    if (previous === undefined) {
      if (entry.seq !== 0)
        return fail(
          'BAD_CHAIN',
          entry.seq,
          `${where} starts the range but no anchor for seq ${entry.seq - 1} was given`,
        );
      if (entry.prev !== ZERO_HASH)
        return fail('BAD_CHAIN', entry.seq, `${where} is the first entry but its prev is not zero`);
    } else {
      if (entry.seq !== previous.seq + 1) {
        return fail(
          'BAD_CHAIN',
          entry.seq,
          `${where} follows seq ${previous.seq}: ${entry.seq <= previous.seq ? 'reordered or replayed' : `entries ${previous.seq + 1}..${entry.seq - 1} are missing`}`,
        );
      }
      if (entry.prev !== previous.hash) {
        return fail(
          'BAD_CHAIN',
          entry.seq,
          `${where} does not chain to seq ${previous.seq}: prev ${entry.prev.slice(0, 12)}… is not the hash of the entry before`,
        );
      }
    }
    const sessionId = `${entry.device}\n${entry.session}`;
    if (entry.type === SESSION_KEY_ENTRY) {
      const payload = entry.payload as Partial<SessionKeyPayload> | null;
      const cert = parseSessionCertificate(payload?.certificate);
      if (!cert.ok)
        return fail(
          'BAD_CERTIFICATE',
          entry.seq,
          `${where} carries a malformed session certificate: ${cert.error}`,
        );
      const deviceKey = options.deviceKey(entry.device);
      if (!deviceKey)
        return fail('BAD_CERTIFICATE', entry.seq, `${where}: device "${entry.device}" has no registered key`);
      const certResult = verifySessionCertificate(cert.value, deviceKey);
      if (!certResult.ok) return fail('BAD_CERTIFICATE', entry.seq, `${where}: ${certResult.reason}`);
      if (
        cert.value.session !== entry.session ||
        cert.value.device !== entry.device ||
        cert.value.sessionKey !== payload?.publicKey
      ) {
        return fail(
          'BAD_CERTIFICATE',
          entry.seq,
          `${where}: the session certificate is for another session, device or key`,
        );
      }
      try {
        sessions.set(sessionId, sessionKeyOf(cert.value.sessionKey));
      } catch (error) {
        return fail('BAD_CERTIFICATE', entry.seq, `${where}: ${(error as Error).message}`);
      }
      if (cert.value.user) users.add(cert.value.user);
    }
    const key = sessions.get(sessionId);
    if (!key)
      return fail(
        'BAD_SIGNATURE',
        entry.seq,
        `${where} belongs to session "${entry.session}", whose key was never certified`,
      );
    if (!check(index, key, signingText, entry.sig)) return fail(...badSignature(entry));
    const chainHash = hash('sha256', text, 'hex');
    entries.push({ entry, text, hash: chainHash });
    previous = { seq: entry.seq, hash: chainHash };
  }
  return walk();
}

function badSignature(entry: JournalEntry): [VerifyJournalFailure['code'], number, string] {
  return [
    'BAD_SIGNATURE',
    entry.seq,
    `Entry seq ${entry.seq} (${entry.type}) has a signature that does not match its content`,
  ];
}

function summary(
  walked: Walk,
  count: number,
  options: VerifyJournalOptions,
): Extract<VerifyJournalResult, { ok: true }> {
  return {
    ok: true,
    count,
    sessions: [...new Set([...walked.sessions.keys()].map((k) => k.split('\n')[1] ?? ''))],
    devices: [...walked.devices],
    users: [...walked.users],
    // An empty range ends where it was anchored.
    head: walked.entries.at(-1)?.hash ?? options.anchor?.hash ?? null,
  };
}

/**
 * Checks a device's journal (or a contiguous range of it): every entry well formed, seq
 * contiguous, each `prev` the hash of the entry before, every entry signed by its session's key,
 * and every session key certified by the registered device key. Names the first bad entry.
 */
export function verifyJournal(raw: readonly unknown[], options: VerifyJournalOptions): VerifyJournalResult {
  const walked = walkJournal(raw, options, (_index, key, signingText, sig) => {
    try {
      return verify(null, Buffer.from(signingText), key.key, Buffer.from(sig, 'base64url'));
    } catch {
      return false;
    }
  });
  if (walked.failure) return walked.failure;
  return summary(walked, raw.length, options);
}

/**
 * `verifyJournal` with the signatures checked in one batch by `verifySignatures` (a worker pool,
 * say) while this thread does the rest: the same checks and the same first failure, since a bad
 * signature before the first other failure wins. Also gives each entry's canonical text and chain
 * hash, so a caller that stores the entries need not encode them again. A verifier that throws
 * rejects the whole batch: nothing is reported verified that was not.
 */
export async function verifyJournalBatch(
  raw: readonly unknown[],
  options: VerifyJournalOptions & { verifySignatures: Ed25519BatchVerifier },
): Promise<VerifyJournalBatchResult> {
  const batch = new Ed25519BatchBuilder({ jobs: raw.length });
  const walked = walkJournal(raw, options, (_index, key, signingText, sig) => {
    batch.addText(key.raw, signingText, sig);
    return true;
  });
  // Jobs were added in entry order, one per entry that passed every other check.
  const results = batch.count > 0 ? await options.verifySignatures(batch.build()) : new Uint8Array(0);
  if (results.length !== batch.count)
    throw new RangeError(
      `The signature verifier answered ${results.length} of ${batch.count} signatures: the batch is not verified`,
    );
  const bad = results.findIndex((r) => r !== 1);
  if (bad >= 0) {
    const entry = walked.entries[bad]?.entry as JournalEntry;
    const [code, seq, reason] = badSignature(entry);
    return { ok: false, index: bad, seq, code, reason };
  }
  if (walked.failure) return walked.failure;
  return { ...summary(walked, raw.length, options), entries: walked.entries };
}
