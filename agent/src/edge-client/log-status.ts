import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { entryHash, openCheckpoint } from '@ceros/protocol';
import { readChainEvidence } from '../journal/epoch.ts';
import { lastJournalEntry } from '../journal/journal.ts';
import { CHAIN_START, findRewind } from '../journal/rewind.ts';
import { logCheckpointPath, logKeyPath } from './checkpoints.ts';
import { uploadCursorPath } from './config.ts';
import { readReceipts, receiptsPath } from './receipts.ts';
import { readSyncState, type SyncState } from './sync-state.ts';
import { readUploadCursor } from './uploader.ts';

/** What this device holds about the organization's log, read from `${CEROS_HOME}` (no network). */
export interface LogStatus {
  device: string;
  /** The last checkpoint this device verified; null before the first check. */
  checkpoint: {
    origin: string;
    size: number;
    /** The file's time: the last check that accepted it (a same-size check stores it again). */
    verifiedAt: string;
  } | null;
  /** Why the stored checkpoint cannot be shown, when it exists but does not open with the pinned key. */
  checkpointError: string | null;
  receipts: number;
  /** The highest seq of this device an inclusion receipt covers (and, by the chain, all before it). */
  highestSeq: number | null;
  /** The last seq the edge acknowledged; null before the first upload. */
  uploadedThrough: number | null;
  /** Uploaded entries no receipt covers yet. */
  pending: number;
  /** Lines of the receipts file that do not parse (a write torn by a crash). */
  unreadable: number;
  /** The journal's last seq (null when it is empty), and how many entries after the cursor wait for upload. */
  journalSeq: number | null;
  notUploaded: number;
  /** Why upload stopped, when the edge refused the device's entries for good (sync-state.json). */
  syncStopped: SyncState | null;
  /** The journal ends before what this device recorded elsewhere (docs/recovery.md), or null. */
  rewound: string | null;
}

export function readLogStatus(home: string, device: string): LogStatus {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  let checkpoint: LogStatus['checkpoint'] = null;
  let checkpointError: string | null = null;
  const note = read(logCheckpointPath(home));
  const logKey = read(logKeyPath(home))?.trim();
  if (note && logKey) {
    const opened = openCheckpoint(note, { logKey });
    if (opened.ok)
      checkpoint = {
        origin: opened.value.checkpoint.origin,
        size: opened.value.checkpoint.size,
        verifiedAt: statSync(logCheckpointPath(home)).mtime.toISOString(),
      };
    else checkpointError = opened.error;
  } else if (note) checkpointError = 'No log key is pinned';

  const { receipts, unreadable } = readReceipts(receiptsPath(home));
  let count = 0;
  let highestSeq: number | null = null;
  for (const r of receipts) {
    if (r.device !== device) continue;
    count++;
    if (highestSeq === null || r.seq > highestSeq) highestSeq = r.seq;
  }
  const cursor = readUploadCursor(uploadCursorPath(home), device);
  const journalDir = join(home, 'journal');
  const last = lastJournalEntry(journalDir);
  const rewind = findRewind(
    last ? { seq: last.seq, hash: entryHash(last) } : CHAIN_START,
    readChainEvidence(journalDir, device),
  );
  return {
    device,
    checkpoint,
    checkpointError,
    receipts: count,
    highestSeq,
    uploadedThrough: cursor >= 0 ? cursor : null,
    pending: Math.max(0, cursor - (highestSeq ?? -1)),
    unreadable,
    journalSeq: last?.seq ?? null,
    notUploaded: Math.max(0, (last?.seq ?? -1) - cursor),
    syncStopped: readSyncState(journalDir, device),
    rewound: rewind?.message ?? null,
  };
}
