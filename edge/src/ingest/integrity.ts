import { canonicalJson, type JsonValue } from '@ceros/protocol';

/**
 * What the agent journals about its own journal's integrity (issue 14.2, docs/recovery.md), as
 * `alert` entries of these kinds: a rewind caught and a new chain epoch begun
 * (agent/src/journal/journal.ts, rewind.ts), the edge refusing the journal for good
 * (edge-client/sync-report.ts), `ceros log repair` (cli/log-repair.ts), a torn last line set aside.
 * Other alerts (a revocation, a posture change) are about the device's state, not its record.
 */
export const INTEGRITY_ALERT_KINDS = [
  'journal-rewound',
  'sync-refused',
  'journal-repaired',
  'journal-torn-tail',
] as const;
export type IntegrityAlertKind = (typeof INTEGRITY_ALERT_KINDS)[number];

export interface IntegrityAlertProjection {
  alertKind: IntegrityAlertKind;
  /** The agent's own sentence; for a rewind, the statement the new epoch is signed with. */
  message: string;
  /** What the device page shows besides the message, as canonical JSON of {@link IntegrityDetails}. */
  details: string;
}

/** The facts of an alert a reader needs, each field null when the entry did not carry it. */
export type IntegrityDetails =
  | {
      kind: 'journal-rewound';
      /** The journal's last entry when the epoch began: where it was rewound to (-1: empty). */
      rewoundToSeq: number | null;
      /** What the new epoch's first entry chains to, and whose head that is. */
      anchorSeq: number | null;
      anchorSource: 'edge' | 'journal' | null;
      /** Entries the device lost (the edge keeps what it had of them). */
      missing: { from: number; to: number } | null;
      /** Entries the device moved out of its journal because the edge holds others at their seqs. */
      setAside: { from: number; to: number } | null;
    }
  | { kind: 'sync-refused'; seq: number | null; code: string | null; edgeHeadSeq: number | null }
  | {
      kind: 'journal-repaired';
      removedLines: number | null;
      bytesBefore: number | null;
      bytesAfter: number | null;
    }
  | { kind: 'journal-torn-tail'; offset: number | null; length: number | null };

/** A session the next session ended on its behalf: its wrapper died (agent/src/session/orphaned-sessions.ts). */
export interface AbandonedProjection {
  /** The journal's id of the session that died. */
  session: string;
  /** Shown as the session's state: `abandoned: <reason>`. */
  state: string;
  /** When the dead session was last heard from (its last entry), as the next session read it. */
  lastMs: number | null;
}

/** When an abandoned session ended: its last entry, unless that claims to be after it was found dead. */
export function abandonedEndMs(abandoned: AbandonedProjection, foundMs: number): number {
  return abandoned.lastMs !== null && abandoned.lastMs <= foundMs ? abandoned.lastMs : foundMs;
}

type Obj = { [key: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);
const int = (v: JsonValue | undefined): number | null =>
  typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
const range = (v: JsonValue | undefined): { from: number; to: number } | null => {
  if (!isObj(v)) return null;
  const from = int(v.from);
  const to = int(v.to);
  return from === null || to === null ? null : { from, to };
};
const MAX_MESSAGE = 4 * 1024;

function isIntegrityKind(kind: string | null): kind is IntegrityAlertKind {
  return (INTEGRITY_ALERT_KINDS as readonly (string | null)[]).includes(kind);
}

function detailsOf(kind: IntegrityAlertKind, p: Obj): IntegrityDetails {
  switch (kind) {
    case 'journal-rewound': {
      const epoch = isObj(p.epoch) ? p.epoch : {};
      const journal = isObj(epoch.journal) ? epoch.journal : {};
      const anchor = isObj(epoch.anchor) ? epoch.anchor : {};
      const source = str(anchor.source);
      return {
        kind,
        rewoundToSeq: int(journal.seq),
        anchorSeq: int(anchor.seq),
        anchorSource: source === 'edge' || source === 'journal' ? source : null,
        missing: range(epoch.missing),
        setAside: range(epoch.setAside),
      };
    }
    case 'sync-refused': {
      const evidence = isObj(p.evidence) ? p.evidence : {};
      const head = isObj(evidence.edgeHead) ? evidence.edgeHead : {};
      return { kind, seq: int(evidence.seq), code: str(evidence.code), edgeHeadSeq: int(head.seq) };
    }
    case 'journal-repaired':
      return {
        kind,
        removedLines: Array.isArray(p.removed) ? p.removed.length : null,
        bytesBefore: int(p.bytesBefore),
        bytesAfter: int(p.bytesAfter),
      };
    case 'journal-torn-tail':
      return { kind, offset: int(p.offset), length: int(p.length) };
  }
}

/** The integrity alert an `alert` entry's payload carries, or null for any other alert. */
export function integrityAlertOf(payload: JsonValue): IntegrityAlertProjection | null {
  const p = isObj(payload) ? payload : {};
  const kind = str(p.kind);
  if (!isIntegrityKind(kind)) return null;
  const message = str(p.message) ?? '';
  return {
    alertKind: kind,
    message: message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) : message,
    details: canonicalJson(detailsOf(kind, p) as unknown as JsonValue),
  };
}

/** The session a `session.abandoned` entry ends, or null when the payload names none. */
export function abandonedOf(payload: JsonValue): AbandonedProjection | null {
  const p = isObj(payload) ? payload : {};
  const session = str(p.session);
  if (!session) return null;
  const reason = str(p.reason)?.slice(0, 200) || 'its wrapper ended without closing it';
  const last = Date.parse(str(p.lastTime) ?? '');
  return { session, state: `abandoned: ${reason}`, lastMs: Number.isFinite(last) ? last : null };
}
