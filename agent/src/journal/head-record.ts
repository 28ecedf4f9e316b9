import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FILE_MODE } from '../state/secure-fs.ts';

/**
 * The journal's head as its writers last left it: seq and hash of the newest entry, kept beside
 * the journal folder (`CEROS_HOME/journal-head.json`, 0600) so that a journal truncated at a line
 * boundary, restored from an older backup, or deleted is told apart from one that never had more
 * (docs/recovery.md). The chain alone cannot show a missing tail: only a later head can.
 *
 * Written in place after every acknowledged append, fsync'd when a writer closes. A process that
 * dies leaves it in the page cache, whole; a machine that loses power may leave it behind the
 * journal (never ahead: it is written only after the entry's fdatasync), which reads as "nothing
 * rewound", never as a false alarm.
 */
export interface HeadRecord {
  v: 1;
  device: string;
  seq: number;
  hash: string;
  time: string;
}

export const HEAD_RECORD_FILE = 'journal-head.json';
/** Fixed length, so an in-place write replaces the whole record (device ids are at most 128). */
const RECORD_BYTES = 512;

export function headRecordPath(journalDir: string): string {
  return join(dirname(journalDir), HEAD_RECORD_FILE);
}

export type ReadHead = { ok: true; value: HeadRecord | null } | { ok: false; error: string };

/** The head record for `device`; null when there is none (a fresh device, or one from before it). */
export function readHeadRecord(journalDir: string, device: string): ReadHead {
  const path = headRecordPath(journalDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: null };
    return { ok: false, error: `Cannot read "${path}": ${(error as Error).message}` };
  }
  return parseHeadRecord(text, device, path);
}

function parseHeadRecord(text: string, device: string, path: string): ReadHead {
  if (text.trim() === '') return { ok: true, value: null };
  try {
    const record = JSON.parse(text) as Partial<HeadRecord>;
    if (
      record.v !== 1 ||
      typeof record.device !== 'string' ||
      !Number.isSafeInteger(record.seq) ||
      typeof record.hash !== 'string' ||
      typeof record.time !== 'string'
    )
      return { ok: false, error: `"${path}" is not a head record` };
    // Another device key (re-enrolled): its head says nothing about this chain.
    if (record.device !== device) return { ok: true, value: null };
    return { ok: true, value: record as HeadRecord };
  } catch (error) {
    return { ok: false, error: `"${path}" is not a head record: ${(error as Error).message}` };
  }
}

/** The writer's handle on the head record: one fd, written in place under the journal's lock. */
export interface HeadRecordFile {
  read(device: string): ReadHead;
  write(record: HeadRecord): void;
  close(): void;
}

export function openHeadRecord(journalDir: string): HeadRecordFile {
  const path = headRecordPath(journalDir);
  const fd = openSync(path, 'a+', FILE_MODE);
  // 'a+' appends on Linux whatever the position: reopen for positioned writes.
  closeSync(fd);
  const rw = openSync(path, 'r+');
  return {
    read(device) {
      const size = fstatSync(rw).size;
      const buffer = Buffer.alloc(size);
      readSync(rw, buffer, 0, size, 0);
      return parseHeadRecord(buffer.toString('utf8'), device, path);
    },
    write(record) {
      const bytes = Buffer.alloc(RECORD_BYTES, 0x20);
      bytes.write(JSON.stringify(record));
      bytes[RECORD_BYTES - 1] = 0x0a;
      writeSync(rw, bytes, 0, bytes.length, 0);
    },
    close() {
      try {
        fsyncSync(rw);
      } finally {
        closeSync(rw);
      }
    },
  };
}
