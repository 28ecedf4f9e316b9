import { ZERO_HASH } from '@ceros/protocol';
import type { SyncState } from '../edge-client/sync-state.ts';
import type { HeadRecord } from './head-record.ts';

export interface ChainPoint {
  seq: number;
  hash: string;
}

/** No entry yet: the chain starts at seq 0 with a zero prev. */
export const CHAIN_START: ChainPoint = { seq: -1, hash: ZERO_HASH };

/** What this device knows besides the journal: each says how far the chain once reached. */
export interface ChainEvidence {
  /** journal-head.json: the last entry any writer acknowledged. */
  head: HeadRecord | null;
  /** upload-cursor.json: the last entry the edge acknowledged (with its hash since 14.2). */
  uploaded: { seq: number; hash: string | null } | null;
  /** The highest seq an inclusion receipt of the edge's log covers. */
  receipted: number | null;
  /** sync-state.json: the edge refused the chain, and what it holds. */
  refused: SyncState | null;
}

export interface Rewind {
  /** One sentence: what the journal lacks and how that is known. */
  message: string;
  /** The journal's last entry, or CHAIN_START for an empty (or deleted) journal. */
  journal: ChainPoint;
  /** Seqs this device wrote (or the edge acknowledged) that the journal no longer holds. */
  missing: { from: number; to: number } | null;
}

/**
 * Compares the journal's last entry with what the device recorded elsewhere. A journal truncated
 * at a line boundary, deleted, or restored from an older backup verifies on its own (the chain
 * only proves order): this is what catches it. A head record behind the journal is not a rewind
 * (a power cut can leave it behind; see head-record.ts).
 */
export function findRewind(journal: ChainPoint, evidence: ChainEvidence): Rewind | null {
  const reasons: string[] = [];
  let reached = journal.seq;
  const { head, uploaded, receipted, refused } = evidence;
  if (head && head.seq > journal.seq) {
    reasons.push(`this device wrote up to seq ${head.seq} (journal-head.json, ${head.time})`);
    reached = Math.max(reached, head.seq);
  } else if (head && head.seq === journal.seq && head.hash !== journal.hash)
    reasons.push(`the entry at seq ${head.seq} is not the one this device wrote (journal-head.json)`);
  if (uploaded && uploaded.seq > journal.seq) {
    reasons.push(`the edge acknowledged up to seq ${uploaded.seq}`);
    reached = Math.max(reached, uploaded.seq);
  }
  if (receipted !== null && receipted > journal.seq) {
    reasons.push(`the edge's log holds a receipt for seq ${receipted}`);
    reached = Math.max(reached, receipted);
  }
  if (refused?.chain)
    reasons.push(
      `the edge refused the chain at seq ${refused.seq} (${refused.code})${refused.edgeHead ? ` and holds up to seq ${refused.edgeHead.seq}` : ''}`,
    );
  if (reasons.length === 0) return null;
  const ends = journal.seq < 0 ? 'is empty' : `ends at seq ${journal.seq}`;
  return {
    message: `The journal was rewound: it ${ends}, but ${reasons.join(', and ')}`,
    journal,
    missing: reached > journal.seq ? { from: journal.seq + 1, to: reached } : null,
  };
}

/** The statement a new chain epoch opens with: in the `epoch` member of its session.key payload. */
export interface EpochStatement {
  v: 1;
  reason: 'journal-rewound';
  statement: string;
  /** The journal's last entry when the epoch began (what the entries before it end with). */
  journal: ChainPoint;
  /** What this epoch's first entry chains to: the edge's head, or the journal's own last entry. */
  anchor: ChainPoint & { source: 'edge' | 'journal' };
  missing: { from: number; to: number } | null;
  /** Entries moved out of the journal because the edge holds other entries at their seqs. */
  setAside: { from: number; to: number; file: string } | null;
  evidence: {
    head: ChainPoint | null;
    uploaded: { seq: number; hash: string | null } | null;
    receipted: number | null;
    refused: { code: string; message: string; seq: number } | null;
  };
}

/**
 * Where the next session's chain goes on after a rewind. On the edge's head when it is known
 * (what it refused says, or the hash the last acknowledgement carried): the edge keeps what it
 * had, and the epoch's first entry extends it like any batch. Otherwise on the journal's own
 * last entry: with no edge there is nothing to disagree with, and an edge that holds more
 * refuses once more and names its head, which the session after that anchors on.
 */
export function planEpoch(rewind: Rewind, evidence: ChainEvidence): Omit<EpochStatement, 'setAside'> {
  const edgeHead =
    evidence.refused?.chain && evidence.refused.edgeHead
      ? evidence.refused.edgeHead
      : evidence.uploaded?.hash && evidence.uploaded.seq > rewind.journal.seq
        ? { seq: evidence.uploaded.seq, hash: evidence.uploaded.hash }
        : null;
  const anchor = edgeHead
    ? { ...edgeHead, source: 'edge' as const }
    : { ...rewind.journal, source: 'journal' as const };
  const { head, uploaded, receipted, refused } = evidence;
  return {
    v: 1,
    reason: 'journal-rewound',
    statement: `${rewind.message}. A new chain epoch begins here, chained to ${anchor.source === 'edge' ? `the edge's head (seq ${anchor.seq})` : `the journal's last entry (seq ${anchor.seq})`}; the entries the journal lost are not recreated, and the edge keeps what it had`,
    journal: rewind.journal,
    anchor,
    missing: rewind.missing,
    evidence: {
      head: head ? { seq: head.seq, hash: head.hash } : null,
      uploaded,
      receipted,
      refused: refused ? { code: refused.code, message: refused.message, seq: refused.seq } : null,
    },
  };
}
