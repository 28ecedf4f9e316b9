import { type CompactRange, leafHash } from '@ceros/protocol';
import type { LogAppend, LogLeaf, LogNode } from '../store/ledger-store.ts';

/**
 * Subtrees below this level are not stored: a proof hashes them from at most 2^4 = 16 leaf
 * hashes. Storing every subtree would add two rows per entry; this adds one per sixteen.
 */
export const STORED_NODE_LEVEL = 4;

/** What the edge keeps in memory per organization log: enough to append and to compute the root. */
export interface LogHead {
  readonly size: number;
  /** The compact range [0, size): its root is the log's root. */
  readonly range: CompactRange;
  /** When the last leaf was appended; leaf times never decrease, so periods are index ranges. */
  readonly lastTimeMs: number;
}

export interface LogAppendInput {
  readonly deviceId: string;
  readonly seq: number;
  /** The entry's stored bytes (canonical JSON): the leaf data (RFC 9162 2.1.1). */
  readonly bytes: string;
  /** When the edge received it, if not now (entries stored before the log existed). */
  readonly timeMs?: number;
}

/**
 * Plans appending entries to a log: the leaf rows and the stored subtrees they complete, and the
 * head after them. Pure: nothing is stored until the caller commits `append`, and only then should
 * it replace its head with `next`.
 */
export function planLogAppend(
  head: LogHead,
  entries: readonly LogAppendInput[],
  timeMs: number,
): { append: LogAppend; next: LogHead } {
  const range = head.range.clone();
  const nodes: LogNode[] = [];
  let at = head.lastTimeMs;
  const leaves = entries.map((entry): LogLeaf => {
    const hash = leafHash(Buffer.from(entry.bytes, 'utf8'));
    range.append(hash, (id, node) => {
      if (id.level >= STORED_NODE_LEVEL) nodes.push({ level: id.level, index: id.index, hash: node });
    });
    at = Math.max(at, entry.timeMs ?? timeMs);
    return { deviceId: entry.deviceId, seq: entry.seq, timeMs: at, hash };
  });
  return {
    append: { firstIndex: head.size, leaves, nodes },
    next: { size: range.size, range, lastTimeMs: at },
  };
}
