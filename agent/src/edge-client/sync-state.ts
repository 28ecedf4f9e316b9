import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../state/secure-fs.ts';

/**
 * Why upload stopped, kept in `CEROS_HOME/journal/sync-state.json` (0600) for `ceros log receipts`
 * and for the next session: an edge that refuses the device's chain (CHAIN_CONFLICT, BAD_CHAIN)
 * will refuse every retry of the same bytes, so the uploader stops and says so instead of retrying
 * quietly, and the next `ceros claude` starts a new chain epoch on the edge's head
 * (docs/recovery.md).
 */
export interface SyncState {
  v: 1;
  device: string;
  status: 'refused';
  /** The edge's code (CHAIN_CONFLICT, VERIFY_FAILED, ...) and its message. */
  code: string;
  message: string;
  /** True when the edge refused the chain itself: a new epoch is the way on. */
  chain: boolean;
  /** The first seq of the batch the edge refused. */
  seq: number;
  /** What the edge holds for this device (GET /v1/agent/ingest/head), when it said. */
  edgeHead: { seq: number; hash: string } | null;
  time: string;
}

export const SYNC_STATE_FILE = 'sync-state.json';

export function syncStatePath(journalDir: string): string {
  return join(journalDir, SYNC_STATE_FILE);
}

export function readSyncState(journalDir: string, device: string): SyncState | null {
  const path = syncStatePath(journalDir);
  if (!existsSync(path)) return null;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as Partial<SyncState>;
    if (state.v !== 1 || state.device !== device || state.status !== 'refused') return null;
    return state as SyncState;
  } catch {
    return null;
  }
}

export function writeSyncState(journalDir: string, state: SyncState | null): void {
  const path = syncStatePath(journalDir);
  if (state === null) {
    if (existsSync(path)) writePrivateFile(path, '{}\n');
    return;
  }
  writePrivateFile(path, `${JSON.stringify(state)}\n`);
}
