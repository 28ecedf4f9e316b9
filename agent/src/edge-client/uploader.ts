import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, entryHash, type JournalEntry, type JsonValue } from '@ceros/protocol';
import { writePrivateFile } from '../state/secure-fs.ts';
import { type EdgeClient, EdgeClientError } from './client.ts';
import { readSyncState, type SyncState, writeSyncState } from './sync-state.ts';

/**
 * Uploads the journal to the edge. The journal is the queue: nothing is copied or deleted, and a
 * durable cursor file (0600) remembers the last seq the edge acknowledged. After a crash the
 * uploader resends from the cursor, and the edge acknowledges entries it already has without
 * storing them twice, so every entry arrives exactly once however often the process or the
 * network dies. With the edge unreachable it backs off (exponential, full jitter, capped) and keeps
 * trying for as long as it runs; the journal keeps growing meanwhile and is sent when the edge
 * returns.
 */
export interface UploaderOptions {
  client: EdgeClient;
  /** Entries with seq > `seq`, ascending, at most `limit`; the lead's journal reader plugs in here. */
  readEntriesAfter: (seq: number, limit: number) => Promise<readonly JournalEntry[]>;
  /** `${CEROS_HOME}/journal/upload-cursor.json` */
  cursorPath: string;
  deviceId: string;
  maxBatchEntries?: number;
  /** Keep under the edge's ingest cap (4 MiB by default). */
  maxBatchBytes?: number;
  /** How long to wait for new entries when caught up (notify() wakes it early). */
  idleMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  onEvent?: (event: UploaderEvent) => void;
}

export type UploaderEvent =
  | {
      kind: 'uploaded';
      accepted: number;
      duplicates: number;
      cursor: number;
      /** The batch's last entry, as read from the journal: the one to get an inclusion receipt for. */
      last: JournalEntry;
    }
  | { kind: 'rewound'; from: number; to: number }
  /** The edge refused a batch as too large; the next ones are smaller. */
  | { kind: 'split'; entries: number }
  | { kind: 'retrying'; code: string; message: string; delayMs: number; failures: number }
  /** The edge refuses this device (revoked, unknown): the uploader stopped. */
  | { kind: 'refused'; code: string; message: string }
  /**
   * The edge refuses these entries for good (a rewound journal's CHAIN_CONFLICT or BAD_CHAIN, a
   * bad signature): the same bytes would be refused forever, so the uploader stopped, wrote
   * journal/sync-state.json, and says why instead of retrying quietly.
   */
  | { kind: 'stuck'; state: SyncState };

/** What one pass did: sent something, found nothing to send, or must wait before trying again. */
export type StepResult =
  | { kind: 'progress' }
  | { kind: 'idle' }
  | { kind: 'retry'; error: EdgeClientError }
  | { kind: 'refused'; error: EdgeClientError }
  | { kind: 'stuck'; state: SyncState };

export interface Uploader {
  /** Runs the upload loop in the background until stop(). */
  start(): void;
  stop(): Promise<void>;
  /** Wakes an idle loop: new entries were appended. */
  notify(): void;
  /** One request at most. For tests and for callers that drive their own loop. */
  step(): Promise<StepResult>;
  /** Uploads until caught up, or until `timeoutMs` passes or an error needs a wait; true when caught up. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** The last seq the edge acknowledged (-1 before the first). */
  cursor(): number;
}

interface CursorFile {
  v: 1;
  device: string;
  seq: number;
  /** The chain hash of the entry at `seq`: the edge's head as of that acknowledgement. */
  hash?: string;
}

export const UPLOAD_DEFAULTS = {
  maxBatchEntries: 500,
  maxBatchBytes: 2 * 1024 * 1024,
  idleMs: 2000,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
} as const;

export function readUploadCursor(path: string, deviceId: string): number {
  if (!existsSync(path)) return -1;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<CursorFile>;
    // A cursor for another device key (re-enrolled) or a damaged file: start over; the edge dedupes.
    if (parsed.v !== 1 || parsed.device !== deviceId || !Number.isSafeInteger(parsed.seq)) return -1;
    return parsed.seq as number;
  } catch {
    return -1;
  }
}

/** The cursor with the hash of the entry it names, when the file has it (written since 14.2). */
export function readUploadAnchor(
  path: string,
  deviceId: string,
): { seq: number; hash: string | null } | null {
  const seq = readUploadCursor(path, deviceId);
  if (seq < 0) return null;
  try {
    const hash = (JSON.parse(readFileSync(path, 'utf8')) as Partial<CursorFile>).hash;
    return { seq, hash: typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : null };
  } catch {
    return { seq, hash: null };
  }
}

export function writeUploadCursor(path: string, deviceId: string, seq: number, hash?: string): void {
  const file: CursorFile = { v: 1, device: deviceId, seq, ...(hash ? { hash } : {}) };
  writePrivateFile(path, `${JSON.stringify(file)}\n`);
}

/** Refusals that no retry can change: the edge holds another chain, or the entries fail its checks. */
function isChainRefusal(error: EdgeClientError): boolean {
  return (
    error.code === 'CHAIN_CONFLICT' || (error.code === 'VERIFY_FAILED' && error.details.check === 'BAD_CHAIN')
  );
}

export function createUploader(options: UploaderOptions): Uploader {
  const maxEntries = options.maxBatchEntries ?? UPLOAD_DEFAULTS.maxBatchEntries;
  const maxBytes = options.maxBatchBytes ?? UPLOAD_DEFAULTS.maxBatchBytes;
  const idleMs = options.idleMs ?? UPLOAD_DEFAULTS.idleMs;
  const baseMs = options.backoffBaseMs ?? UPLOAD_DEFAULTS.backoffBaseMs;
  const maxMs = options.backoffMaxMs ?? UPLOAD_DEFAULTS.backoffMaxMs;
  const random = options.random ?? Math.random;
  const emit = options.onEvent ?? (() => {});

  let cursor = readUploadCursor(options.cursorPath, options.deviceId);
  let batchLimit = maxEntries;
  let failures = 0;
  let running: Promise<void> | null = null;
  let stopped = false;
  let pending: { finish: () => void; idle: boolean } | null = null;
  let lock: Promise<unknown> = Promise.resolve();

  const journalDir = dirname(options.cursorPath);
  let stuck = readSyncState(journalDir, options.deviceId) !== null;
  const saveCursor = (seq: number, hash?: string) => {
    cursor = seq;
    writeUploadCursor(options.cursorPath, options.deviceId, seq, hash);
  };

  /** What the edge holds for this device, to anchor a new epoch on; null when it will not say. */
  const edgeHead = async (): Promise<SyncState['edgeHead']> => {
    try {
      const response = await options.client.request('GET', '/v1/agent/ingest/head');
      const head = (response.body as { head?: { seq?: unknown; hash?: unknown } | null }).head;
      return head && Number.isSafeInteger(head.seq) && typeof head.hash === 'string'
        ? { seq: head.seq as number, hash: head.hash }
        : null;
    } catch {
      return null;
    }
  };

  /** stop() ends any wait; notify() ends only an idle wait, never a backoff. */
  const sleep = (ms: number, idle: boolean) =>
    new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        if (pending?.finish === finish) pending = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      pending = { finish, idle };
    });

  const stepUnlocked = async (): Promise<StepResult> => {
    const entries = await options.readEntriesAfter(cursor, batchLimit);
    if (entries.length === 0) return { kind: 'idle' };
    const batch: JournalEntry[] = [];
    let bytes = 16;
    for (const entry of entries) {
      const size = Buffer.byteLength(canonicalJson(entry as unknown as JsonValue)) + 1;
      if (batch.length > 0 && bytes + size > maxBytes) break;
      batch.push(entry);
      bytes += size;
    }
    const last = batch.at(-1);
    if (!last) return { kind: 'idle' };
    try {
      const response = await options.client.request('POST', '/v1/agent/ingest', { json: { entries: batch } });
      const body = response.body as { accepted?: number; duplicates?: number };
      saveCursor(last.seq, entryHash(last));
      if (stuck) {
        writeSyncState(journalDir, null);
        stuck = false;
      }
      failures = 0;
      batchLimit = maxEntries;
      emit({
        kind: 'uploaded',
        accepted: body.accepted ?? 0,
        duplicates: body.duplicates ?? 0,
        cursor,
        last,
      });
      return { kind: 'progress' };
    } catch (caught) {
      const error =
        caught instanceof EdgeClientError
          ? caught
          : new EdgeClientError('UNREACHABLE', (caught as Error).message, null);
      const expected = error.details.expectedSeq;
      if (error.code === 'CHAIN_GAP' && typeof expected === 'number') {
        // The edge holds a different prefix than the cursor says (a lost cursor file, or an edge
        // restored from backup): continue from what the edge actually has.
        emit({ kind: 'rewound', from: cursor, to: expected - 1 });
        saveCursor(expected - 1);
        return { kind: 'progress' };
      }
      if (error.code === 'BODY_TOO_LARGE' && batch.length > 1) {
        batchLimit = Math.max(1, Math.floor(batch.length / 2));
        emit({ kind: 'split', entries: batchLimit });
        return { kind: 'progress' };
      }
      if (error.refusesDevice) return { kind: 'refused', error };
      if (error.retryable) return { kind: 'retry', error };
      const state: SyncState = {
        v: 1,
        device: options.deviceId,
        status: 'refused',
        code: error.code,
        message: error.message,
        chain: isChainRefusal(error),
        seq: batch[0]?.seq ?? last.seq,
        edgeHead: await edgeHead(),
        time: new Date().toISOString(),
      };
      writeSyncState(journalDir, state);
      stuck = true;
      return { kind: 'stuck', state };
    }
  };

  // One request at a time, even when flush() runs beside the background loop.
  const step = (): Promise<StepResult> => {
    const next = lock.then(stepUnlocked, stepUnlocked);
    lock = next.catch(() => {});
    return next;
  };

  const backoffDelay = () => {
    failures++;
    // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, cap].
    const cap = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
    return Math.max(1, Math.floor(random() * cap));
  };

  const loop = async () => {
    while (!stopped) {
      let result: StepResult;
      try {
        result = await step();
      } catch (error) {
        // The journal reader failed (disk, partial line): wait like any other failure.
        result = {
          kind: 'retry',
          error: new EdgeClientError('JOURNAL_READ', (error as Error).message, null),
        };
      }
      if (result.kind === 'progress') continue;
      if (result.kind === 'idle') {
        await sleep(idleMs, true);
        continue;
      }
      if (result.kind === 'refused') {
        emit({ kind: 'refused', code: result.error.code, message: result.error.message });
        stopped = true;
        break;
      }
      if (result.kind === 'stuck') {
        emit({ kind: 'stuck', state: result.state });
        stopped = true;
        break;
      }
      const delayMs = backoffDelay();
      emit({ kind: 'retrying', code: result.error.code, message: result.error.message, delayMs, failures });
      await sleep(delayMs, false);
    }
  };

  return {
    start() {
      if (running) return;
      stopped = false;
      running = loop().finally(() => {
        running = null;
      });
    },
    async stop() {
      stopped = true;
      pending?.finish();
      await running;
    },
    notify() {
      if (pending?.idle) pending.finish();
    },
    step,
    async flush(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const result = await step();
        if (result.kind === 'idle') return true;
        if (result.kind !== 'progress') return false;
      }
      return false;
    },
    cursor: () => cursor,
  };
}
