import type { KeyObject } from 'node:crypto';
import {
  parseSessionCertificate,
  SESSION_KEY_ENTRY,
  type SessionCertificate,
  type VerifyJournalResult,
  verifyJournal,
} from '@ceros/protocol';
import {
  CHAIN_START,
  type ChainEvidence,
  type ChainPoint,
  type EpochStatement,
  findRewind,
  type Rewind,
} from './rewind.ts';

export interface EpochSummary {
  /** Index in the journal and seq of the epoch's first entry (its session's key). */
  index: number;
  seq: number;
  time: string;
  session: string;
  statement: EpochStatement;
}

export type DeviceJournalVerdict =
  | (Extract<VerifyJournalResult, { ok: true }> & { epochs: EpochSummary[]; rewind: Rewind | null })
  | (Extract<VerifyJournalResult, { ok: false }> & { epochs: EpochSummary[]; rewind: null });

interface Boundary {
  index: number;
  statement: EpochStatement;
}

/** A session.key whose payload opens a new chain epoch (journal/epoch.ts), with its statement. */
function epochOf(raw: unknown): EpochStatement | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const entry = raw as { type?: unknown; payload?: { epoch?: Partial<EpochStatement> } | null };
  const epoch = entry.type === SESSION_KEY_ENTRY ? entry.payload?.epoch : undefined;
  const anchor = epoch?.anchor;
  const journal = epoch?.journal;
  if (
    epoch?.reason !== 'journal-rewound' ||
    !anchor ||
    !Number.isSafeInteger(anchor.seq) ||
    typeof anchor.hash !== 'string' ||
    !journal ||
    !Number.isSafeInteger(journal.seq) ||
    typeof journal.hash !== 'string'
  )
    return null;
  return epoch as EpochStatement;
}

/**
 * `ceros log verify` for this device's own journal: the chain, signatures and certificates
 * (verifyJournal), epoch by epoch, then the journal's end against what the device recorded
 * elsewhere (findRewind). A new epoch's first entry chains to the anchor its signed statement
 * names; the statement must also describe truly what the entries before it end with, so an
 * epoch cannot hide entries cut from the middle.
 */
export function verifyDeviceJournal(
  entries: readonly unknown[],
  deviceKey: (device: string) => KeyObject | undefined,
  evidence: ChainEvidence,
): DeviceJournalVerdict {
  const boundaries: Boundary[] = [];
  entries.forEach((raw, index) => {
    const statement = epochOf(raw);
    if (statement) boundaries.push({ index, statement });
  });
  const epochs: EpochSummary[] = boundaries.map(({ index, statement }) => {
    const e = entries[index] as { seq: number; time: string; session: string };
    return { index, seq: e.seq, time: e.time, session: e.session, statement };
  });
  const starts = [0, ...boundaries.map((b) => b.index).filter((i) => i > 0)];
  const sessions = new Set<string>();
  const devices = new Set<string>();
  const users = new Set<string>();
  let end: ChainPoint = CHAIN_START;
  for (const [k, start] of starts.entries()) {
    const stop = starts[k + 1] ?? entries.length;
    const boundary = boundaries.find((b) => b.index === start);
    if (boundary) {
      const { journal } = boundary.statement;
      if (journal.seq !== end.seq || (end.seq >= 0 && journal.hash !== end.hash)) {
        const e = entries[start] as { seq: number };
        return {
          ok: false,
          index: start,
          seq: e.seq,
          code: 'BAD_CHAIN',
          reason: `Entry seq ${e.seq} begins a chain epoch whose statement says the journal ended at seq ${journal.seq}, but the entries before it end at seq ${end.seq}`,
          epochs,
          rewind: null,
        };
      }
    }
    const anchor = boundary && boundary.statement.anchor.seq >= 0 ? boundary.statement.anchor : undefined;
    const result = verifyJournal(entries.slice(start, stop), {
      deviceKey,
      ...(anchor ? { anchor: { seq: anchor.seq, hash: anchor.hash } } : {}),
      // A session that began before the epoch may go on appending after it.
      certificates: certificatesBefore(entries, start),
    });
    if (!result.ok) return { ...result, index: result.index + start, epochs, rewind: null };
    for (const s of result.sessions) sessions.add(s);
    for (const d of result.devices) devices.add(d);
    for (const u of result.users) users.add(u);
    const last = entries[stop - 1] as { seq: number } | undefined;
    if (last && result.head && stop > start) end = { seq: last.seq, hash: result.head };
  }
  return {
    ok: true,
    count: entries.length,
    sessions: [...sessions],
    devices: [...devices],
    users: [...users],
    head: end.seq >= 0 ? end.hash : null,
    epochs,
    rewind: findRewind(end, evidence),
  };
}

function certificatesBefore(entries: readonly unknown[], stop: number): SessionCertificate[] {
  const out: SessionCertificate[] = [];
  for (let i = 0; i < stop; i++) {
    const e = entries[i] as { type?: unknown; payload?: { certificate?: unknown } | null } | null;
    if (e?.type !== SESSION_KEY_ENTRY) continue;
    const cert = parseSessionCertificate(e.payload?.certificate);
    if (cert.ok) out.push(cert.value);
  }
  return out;
}
