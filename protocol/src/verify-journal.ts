import type { KeyObject } from 'node:crypto';
import { ZERO_HASH } from './encoding.ts';
import {
  ed25519PublicKeyFromRaw,
  entryHash,
  type JournalEntry,
  parseJournalEntry,
  verifyEntrySignature,
} from './journal-entry.ts';
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

/**
 * Checks a device's journal (or a contiguous range of it): every entry well formed, seq
 * contiguous, each `prev` the hash of the entry before, every entry signed by its session's key,
 * and every session key certified by the registered device key. Names the first bad entry.
 */
export function verifyJournal(raw: readonly unknown[], options: VerifyJournalOptions): VerifyJournalResult {
  const sessionKeys = new Map<string, KeyObject>();
  const users = new Set<string>();
  for (const cert of options.certificates ?? []) {
    const key = options.deviceKey(cert.device);
    if (key && verifySessionCertificate(cert, key).ok) {
      sessionKeys.set(`${cert.device}\n${cert.session}`, ed25519PublicKeyFromRaw(cert.sessionKey));
      if (cert.user) users.add(cert.user);
    }
  }
  const devices = new Set<string>();
  let previous: { seq: number; hash: string } | undefined = options.anchor;
  let index = 0;
  const fail = (
    code: VerifyJournalFailure['code'],
    seq: number | null,
    reason: string,
  ): VerifyJournalFailure => ({ ok: false, index, seq, code, reason });

  for (; index < raw.length; index++) {
    const parsed = parseJournalEntry(raw[index]);
    if (!parsed.ok) return fail('BAD_ENTRY', null, `Entry ${index} is malformed: ${parsed.error}`);
    const entry: JournalEntry = parsed.value;
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
      let key: KeyObject;
      try {
        key = ed25519PublicKeyFromRaw(cert.value.sessionKey);
      } catch (error) {
        return fail('BAD_CERTIFICATE', entry.seq, `${where}: ${(error as Error).message}`);
      }
      sessionKeys.set(sessionId, key);
      if (cert.value.user) users.add(cert.value.user);
    }
    const key = sessionKeys.get(sessionId);
    if (!key)
      return fail(
        'BAD_SIGNATURE',
        entry.seq,
        `${where} belongs to session "${entry.session}", whose key was never certified`,
      );
    if (!verifyEntrySignature(entry, key)) {
      return fail(
        'BAD_SIGNATURE',
        entry.seq,
        `${where} (${entry.type}) has a signature that does not match its content`,
      );
    }
    previous = { seq: entry.seq, hash: entryHash(entry) };
  }
  return {
    ok: true,
    count: raw.length,
    sessions: [...new Set([...sessionKeys.keys()].map((k) => k.split('\n')[1] ?? ''))],
    devices: [...devices],
    users: [...users],
    head: previous?.hash ?? null,
  };
}
