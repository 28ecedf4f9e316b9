import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '@ceros/protocol';
import type { FileLock } from './journal.ts';
import { JOURNAL_FILE } from './journal.ts';
import { describeLine, type ScannedLine, scanJournalBytes } from './scan.ts';
import { setAside } from './set-aside.ts';

export interface RemovedLine {
  kind: 'torn' | 'damaged';
  line: number;
  offset: number;
  length: number;
  /** Hex SHA-256 of the line's bytes (its newline included): which bytes left, without them. */
  sha256: string;
  reason: string;
}

export interface RepairReport {
  journal: string;
  removed: RemovedLine[];
  /** The file that keeps every byte from the first removed line to the old end, or null. */
  setAside: string | null;
  bytesBefore: number;
  bytesAfter: number;
  /** Entries kept after the first removed line (moved up in the file, unchanged). */
  entriesKept: number;
}

/**
 * Sets aside every line of the journal that is not an entry (a torn tail, a line something else
 * wrote) and keeps every entry byte for byte, in order. Chain breaks are not "repaired": an entry
 * that is well formed stays, so `ceros log verify` still names a gap or an edit. Runs under the
 * journal's lock and rewrites the file in place, so a running session's writer (which holds the
 * file open) goes on appending to the repaired file. The original bytes from the first removed
 * line on are fsync'd to a 0600 file before the journal is touched: a crash mid-repair loses nothing.
 */
export function repairJournal(dir: string, lock: FileLock, now: () => Date = () => new Date()): RepairReport {
  const path = join(dir, JOURNAL_FILE);
  const fd = openSync(path, 'r+');
  try {
    lock.lock(fd);
    try {
      const size = fstatSync(fd).size;
      const bytes = Buffer.alloc(size);
      readSync(fd, bytes, 0, size, 0);
      const lines = scanJournalBytes(bytes);
      const bad = lines.filter((l): l is Exclude<ScannedLine, { kind: 'entry' }> => l.kind !== 'entry');
      const report: RepairReport = {
        journal: path,
        removed: bad.map((l) => ({
          kind: l.kind,
          line: l.line,
          offset: l.offset,
          length: l.length,
          sha256: sha256Hex(bytes.subarray(l.offset, l.offset + l.length)),
          reason: describeLine(l),
        })),
        setAside: null,
        bytesBefore: size,
        bytesAfter: size,
        entriesKept: 0,
      };
      const first = bad[0];
      if (!first) return report;
      report.setAside = setAside(dir, bytes.subarray(first.offset), first.offset, now());
      const kept = lines.filter((l) => l.kind === 'entry' && l.offset > first.offset);
      const rest = Buffer.concat(kept.map((l) => bytes.subarray(l.offset, l.offset + l.length)));
      writeSync(fd, rest, 0, rest.length, first.offset);
      ftruncateSync(fd, first.offset + rest.length);
      fdatasyncSync(fd);
      report.bytesAfter = first.offset + rest.length;
      report.entriesKept = kept.length;
      return report;
    } finally {
      lock.unlock(fd);
    }
  } finally {
    closeSync(fd);
  }
}
