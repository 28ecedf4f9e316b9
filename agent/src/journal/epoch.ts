import { fstatSync, ftruncateSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { entryHash } from '@ceros/protocol';
import { readReceipts, receiptsPath } from '../edge-client/receipts.ts';
import { readSyncState, writeSyncState } from '../edge-client/sync-state.ts';
import { readUploadAnchor, writeUploadCursor } from '../edge-client/uploader.ts';
import { type HeadRecordFile, readHeadRecord } from './head-record.ts';
import {
  CHAIN_START,
  type ChainEvidence,
  type ChainPoint,
  type EpochStatement,
  findRewind,
  planEpoch,
} from './rewind.ts';
import { scanJournalBytes } from './scan.ts';
import { setAside } from './set-aside.ts';

const CURSOR_FILE = 'upload-cursor.json';

/** Everything this device recorded about how far its chain reached, besides the journal. */
export function readChainEvidence(
  journalDir: string,
  device: string,
  head: Pick<HeadRecordFile, 'read'> | null = { read: (d) => readHeadRecord(journalDir, d) },
): ChainEvidence {
  const headRead = head?.read(device);
  let receipted: number | null = null;
  for (const r of readReceipts(receiptsPath(dirname(journalDir))).receipts)
    if (r.device === device && (receipted === null || r.seq > receipted)) receipted = r.seq;
  return {
    head: headRead?.ok ? headRead.value : null,
    uploaded: readUploadAnchor(join(journalDir, CURSOR_FILE), device),
    receipted,
    refused: readSyncState(journalDir, device),
  };
}

export interface PreparedEpoch {
  statement: EpochStatement;
  /** The point the epoch's first entry chains to, and the journal's size once entries were set aside. */
  anchor: ChainPoint;
  size: number;
}

/**
 * Called under the journal's lock before a session's first entry: null when the journal is where
 * the device's records say it should be, else the new epoch. When it chains to the edge's head,
 * entries of the journal at seqs the edge holds other entries for can never be uploaded: they are
 * moved, as they are, to a 0600 file and named in the statement (nothing signed is destroyed).
 */
export function prepareEpoch(
  fd: number,
  journalDir: string,
  device: string,
  tail: ChainPoint & { size: number },
  head: HeadRecordFile | null,
  now: Date,
): PreparedEpoch | null {
  const evidence = readChainEvidence(journalDir, device, head);
  const rewind = findRewind(tail, evidence);
  if (!rewind) return null;
  const plan = planEpoch(rewind, evidence);
  let size = tail.size;
  let moved: EpochStatement['setAside'] = null;
  let before: ChainPoint = { seq: tail.seq, hash: tail.hash };
  if (plan.anchor.source === 'edge' && tail.seq > plan.anchor.seq) {
    const bytes = Buffer.alloc(tail.size);
    readSync(fd, bytes, 0, tail.size, 0);
    const lines = scanJournalBytes(bytes);
    let first = lines.length;
    while (first > 0) {
      const line = lines[first - 1];
      if (line?.kind !== 'entry' || line.entry.seq <= plan.anchor.seq) break;
      first--;
    }
    const start = lines[first];
    if (start?.kind === 'entry') {
      const file = setAside(journalDir, bytes.subarray(start.offset), start.offset, now);
      ftruncateSync(fd, start.offset);
      size = fstatSync(fd).size;
      moved = { from: start.entry.seq, to: tail.seq, file };
      const kept = lines[first - 1];
      before = kept?.kind === 'entry' ? { seq: kept.entry.seq, hash: entryHash(kept.entry) } : CHAIN_START;
    }
  }
  return {
    // `journal` is what the entries before the epoch now end with; the statement says what moved.
    statement: { ...plan, journal: before, setAside: moved },
    anchor: { seq: plan.anchor.seq, hash: plan.anchor.hash },
    size,
  };
}

/** Once the epoch's first entry is on disk: the uploader resumes from the edge's head. */
export function epochBegun(journalDir: string, device: string, statement: EpochStatement): void {
  if (statement.anchor.source === 'edge') {
    writeUploadCursor(join(journalDir, CURSOR_FILE), device, statement.anchor.seq, statement.anchor.hash);
    writeSyncState(journalDir, null);
  }
}
