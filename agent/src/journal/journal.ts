import type { KeyObject } from 'node:crypto';
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  type EntryBody,
  entryBytes,
  entryHash,
  type JournalEntry,
  type JsonValue,
  signEntry,
  toJsonValue,
  ZERO_HASH,
} from '@ceros/protocol';
import { ensurePrivateDir, FILE_MODE } from '../state/secure-fs.ts';

export const JOURNAL_FILE = 'journal.jsonl';

/** Serialises appenders across processes; the real one is flock(2), tests may pass a no-op. */
export interface FileLock {
  lock(fd: number): void;
  unlock(fd: number): void;
}

export interface JournalWriter {
  /** Appends one entry, signed by the session key, and returns it once it is on disk (fdatasync). */
  append(type: string, payload: unknown): JournalEntry;
  readonly path: string;
  close(): void;
}

export interface OpenJournalOptions {
  dir: string;
  device: string;
  session: string;
  sessionKey: KeyObject;
  lock: FileLock;
  now?: () => Date;
}

interface Tail {
  size: number;
  seq: number;
  hash: string;
}

/**
 * The device journal: one canonical JSON entry a line, chained per device across sessions.
 * An append is acknowledged only after fdatasync, so an acknowledged entry survives a crash;
 * a torn final line left by a crash was never acknowledged and is cut off by the next writer.
 */
export function openJournalWriter(options: OpenJournalOptions): JournalWriter {
  ensurePrivateDir(options.dir);
  const path = join(options.dir, JOURNAL_FILE);
  const fd = openSync(path, 'a+', FILE_MODE);
  const now = options.now ?? (() => new Date());
  let tail: Tail | undefined;

  const append = (type: string, payload: unknown): JournalEntry => {
    options.lock.lock(fd);
    try {
      const size = fstatSync(fd).size;
      if (!tail || tail.size !== size) tail = readTail(fd, size);
      const body: EntryBody = {
        v: 1,
        device: options.device,
        seq: tail.seq + 1,
        prev: tail.hash,
        time: now().toISOString(),
        session: options.session,
        type,
        payload: toJsonValue(payload) as JsonValue,
      };
      const entry = signEntry(body, options.sessionKey);
      const line = Buffer.from(`${entryBytes(entry)}\n`);
      writeSync(fd, line, 0, line.length, null);
      fdatasyncSync(fd);
      tail = { size: tail.size + line.length, seq: entry.seq, hash: entryHash(entry) };
      return entry;
    } finally {
      options.lock.unlock(fd);
    }
  };

  return { append, path, close: () => closeSync(fd) };
}

/** Finds the last complete entry; cuts off a torn last line (a crash mid-write, never acknowledged). */
function readTail(fd: number, size: number): Tail {
  if (size === 0) return { size: 0, seq: -1, hash: ZERO_HASH };
  let window = 64 * 1024;
  for (;;) {
    const start = Math.max(0, size - window);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    let end = buffer.length;
    if (buffer[end - 1] !== 0x0a) {
      const lastNewline = buffer.lastIndexOf(0x0a);
      if (lastNewline === -1 && start > 0) {
        window *= 4;
        continue;
      }
      end = lastNewline + 1;
      ftruncateSync(fd, start + end);
      if (end === 0) return { size: start, seq: -1, hash: ZERO_HASH };
    }
    const previousNewline = buffer.lastIndexOf(0x0a, end - 2);
    if (previousNewline === -1 && start > 0) {
      window *= 4;
      continue;
    }
    const line = buffer.subarray(previousNewline + 1, end - 1).toString('utf8');
    const entry = JSON.parse(line) as JournalEntry;
    return { size: start + end, seq: entry.seq, hash: entryHash(entry) };
  }
}

export interface ReadJournalResult {
  entries: unknown[];
  /** Lines that are not JSON, with their line numbers; a torn last line shows up here. */
  unreadable: { line: number; error: string }[];
}

/** Reads every line of the journal as parsed JSON (untrusted: verify before believing it). */
export function readJournalFile(path: string): ReadJournalResult {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const buffer = Buffer.alloc(size);
      readSync(fd, buffer, 0, size, 0);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], unreadable: [] };
    throw error;
  }
  const entries: unknown[] = [];
  const unreadable: ReadJournalResult['unreadable'] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line === '') return;
    try {
      entries.push(JSON.parse(line));
    } catch (error) {
      unreadable.push({ line: index + 1, error: (error as Error).message });
      entries.push(line);
    }
  });
  return { entries, unreadable };
}
