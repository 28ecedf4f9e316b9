import type { KeyObject } from 'node:crypto';
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type EntryBody,
  entryBytes,
  entryHash,
  type JournalEntry,
  type JsonValue,
  parseJournalEntry,
  SESSION_KEY_ENTRY,
  signEntry,
  toJsonValue,
  ZERO_HASH,
} from '@ceros/protocol';
import { createEntryRedactor, type EntryRedactor } from '../redaction/entry-redactor.ts';
import { ensurePrivateDir, FILE_MODE } from '../state/secure-fs.ts';
import { epochBegun, prepareEpoch } from './epoch.ts';
import { type HeadRecordFile, openHeadRecord } from './head-record.ts';
import { JournalError, toJournalError } from './journal-error.ts';
import type { EpochStatement } from './rewind.ts';
import { setAside } from './set-aside.ts';

export const JOURNAL_FILE = 'journal.jsonl';

/** Serialises appenders across processes; the real one is flock(2), tests may pass a no-op. */
export interface FileLock {
  lock(fd: number): void;
  unlock(fd: number): void;
}

export interface JournalWriter {
  /**
   * Appends one entry, signed by the session key, and returns it once it is on disk (fdatasync).
   * Throws a JournalError when it is not: then nothing of it is in the file.
   */
  append(type: string, payload: unknown): JournalEntry;
  /**
   * `append`, except that a large payload of a type nothing waits on (a tool's output, an API
   * exchange) is redacted in steps between which the event loop runs, so a hook's decision is not
   * held up by it; such entries are appended in the order they were recorded.
   */
  record(type: string, payload: unknown): JournalEntry | Promise<JournalEntry>;
  readonly path: string;
  /** What the writer found in the file and dealt with (a torn tail it set aside), oldest first. */
  findings(): readonly JournalFinding[];
  close(): void;
}

/** The system calls an append makes; tests pass short writes and ENOSPC. */
export interface JournalIo {
  /** Writes at the end (O_APPEND); returns how many bytes went out, which may be fewer than asked. */
  write(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fdatasync(fd: number): void;
}

export const NODE_JOURNAL_IO: JournalIo = {
  write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length, null),
  fdatasync: fdatasyncSync,
};

export type JournalFinding = {
  kind: 'torn-tail';
  /** Where the torn bytes began, and how many there were. */
  offset: number;
  length: number;
  /** The 0600 file that keeps them, or null when even that could not be written. */
  setAside: string | null;
};

export interface OpenJournalOptions {
  dir: string;
  device: string;
  session: string;
  sessionKey: KeyObject;
  lock: FileLock;
  now?: () => Date;
  io?: JournalIo;
  /**
   * Told once per session and kind when the journal cannot be written (disk full, read-only), so
   * the person at the terminal hears it once, not at every denied call.
   */
  warn?: (line: string) => void;
  /**
   * Applied to every payload before it is signed (privacy tier, then secret redaction). Defaults to
   * the vendored rules with the key in the journal folder's parent (CEROS_HOME); false writes
   * payloads as given (tests of the writer's own mechanics).
   */
  redactor?: EntryRedactor | false;
}

/** Entry types whose payload may be large and that no answer waits for. */
const DEFERRABLE = new Set([
  'tool.result',
  'api.request',
  'api.response',
  'system.prompt',
  'tool.definition',
  'hook.post-tool-batch',
  'hook.stop',
  'subagent.stop',
]);
/** Payloads with more string characters than this are redacted in steps (record()). */
export const DEFER_CHARS = 64 * 1024;

function stringChars(value: unknown, limit: number): number {
  let total = 0;
  const visit = (v: unknown, depth: number): void => {
    if (total > limit) return;
    if (typeof v === 'string') total += v.length;
    else if (v && typeof v === 'object' && depth < 64)
      for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item, depth + 1);
  };
  visit(value, 0);
  return total;
}

interface Tail {
  size: number;
  seq: number;
  hash: string;
}

/**
 * The device journal: one canonical JSON entry a line, chained per device across sessions.
 * An append is acknowledged only after all of its bytes and fdatasync succeeded, so an
 * acknowledged entry survives a crash. An append that fails (a short write on a full disk, an
 * fdatasync error) cuts its partial bytes off again and throws: the caller never believes it
 * recorded something that is not there, and the next entry chains onto the last one that is.
 * A torn final line left by a crash was never acknowledged: the next writer sets it aside.
 */
export function openJournalWriter(options: OpenJournalOptions): JournalWriter {
  const path = join(options.dir, JOURNAL_FILE);
  let fd: number;
  try {
    ensurePrivateDir(options.dir);
    fd = openSync(path, 'a+', FILE_MODE);
  } catch (error) {
    throw toJournalError(error, path, 'open the journal');
  }
  const now = options.now ?? (() => new Date());
  const io = options.io ?? NODE_JOURNAL_IO;
  const findings: JournalFinding[] = [];
  const warned = new Set<string>();
  let tail: Tail | undefined;

  const warnOnce = (error: JournalError) => {
    if (!options.warn || (error.code !== 'DISK_FULL' && error.code !== 'READ_ONLY')) return;
    error.reported = true;
    if (warned.has(error.code)) return;
    warned.add(error.code);
    options.warn(
      `ceros: ${error.message}. Until the journal can be written again, every tool call is denied and no request goes to the model (nothing unrecorded runs)`,
    );
  };

  let opened = false;
  let head: HeadRecordFile | null = null;
  let keyWritten = false;
  let reported = 0;
  /** Alerts to journal after the session's key: what the writer found and dealt with. */
  const notices: { kind: string; message: string; [key: string]: unknown }[] = [];

  /** Writes one entry onto `tail`; the lock is held and `tail` is current. */
  const appendLocked = (current: Tail, type: string, payload: unknown): JournalEntry => {
    const body: EntryBody = {
      v: 1,
      device: options.device,
      seq: current.seq + 1,
      prev: current.hash,
      time: now().toISOString(),
      session: options.session,
      type,
      payload: toJsonValue(payload) as JsonValue,
    };
    const entry = signEntry(body, options.sessionKey);
    const line = Buffer.from(`${entryBytes(entry)}\n`);
    try {
      writeAll(io, fd, line);
      io.fdatasync(fd);
    } catch (error) {
      const failure = toJournalError(error, path, `write entry seq ${entry.seq} (${type}) to the journal`);
      cutBack(fd, current.size);
      tail = undefined;
      warnOnce(failure);
      throw failure;
    }
    const hash = entryHash(entry);
    tail = { size: current.size + line.length, seq: entry.seq, hash };
    try {
      head?.write({ v: 1, device: options.device, seq: entry.seq, hash, time: body.time });
    } catch {
      // The entry is durable; a head record left behind only makes a later rewind check weaker.
    }
    return entry;
  };

  let redactor: EntryRedactor | null = null;
  const redactorOf = (): EntryRedactor | null => {
    if (options.redactor === false) return null;
    redactor ??= options.redactor ?? createEntryRedactor({ home: dirname(options.dir) });
    return redactor;
  };

  const append = (type: string, payload: unknown): JournalEntry => {
    const r = redactorOf();
    return appendRedacted(type, r ? r.redact(type, toJsonValue(payload) as JsonValue) : payload);
  };

  let queue: Promise<unknown> = Promise.resolve();
  const record = (type: string, payload: unknown): JournalEntry | Promise<JournalEntry> => {
    const r = redactorOf();
    if (!r || !DEFERRABLE.has(type) || stringChars(payload, DEFER_CHARS) <= DEFER_CHARS)
      return append(type, payload);
    const value = toJsonValue(payload) as JsonValue;
    const done = queue.then(async () => appendRedacted(type, await r.redactLater(type, value)));
    queue = done.catch(() => {});
    return done;
  };

  const appendRedacted = (type: string, payload: unknown): JournalEntry => {
    options.lock.lock(fd);
    try {
      const size = fstatSync(fd).size;
      if (!tail || tail.size !== size) tail = readTail(fd, size, options.dir, now, findings);
      let body = payload;
      let epoch: EpochStatement | null = null;
      if (!opened) {
        opened = true;
        head = openHeadRecordQuietly(options.dir);
        // A session's first entry is its key; a rewound journal's next chain epoch starts with it.
        if (type === SESSION_KEY_ENTRY) {
          const prepared = prepareEpoch(fd, options.dir, options.device, tail, head, now());
          if (prepared) {
            tail = { size: prepared.size, seq: prepared.anchor.seq, hash: prepared.anchor.hash };
            epoch = prepared.statement;
            body = { ...(payload as Record<string, unknown>), epoch };
          }
        }
      }
      for (const finding of findings.slice(reported))
        notices.push({
          kind: 'journal-torn-tail',
          message: `A torn last line of the journal (${finding.length} bytes, never acknowledged) was set aside`,
          offset: finding.offset,
          length: finding.length,
          setAside: finding.setAside,
        });
      reported = findings.length;
      const entry = appendLocked(tail, type, body);
      if (type === SESSION_KEY_ENTRY) keyWritten = true;
      if (epoch) {
        epochBegun(options.dir, options.device, epoch);
        notices.push({ kind: 'journal-rewound', message: epoch.statement, epoch });
        options.warn?.(`ceros: ${epoch.statement} (docs/recovery.md)`);
      }
      if (keyWritten)
        while (notices.length > 0 && tail) {
          const notice = notices.shift();
          try {
            appendLocked(tail, 'alert', notice);
          } catch {
            break;
          }
        }
      return entry;
    } finally {
      options.lock.unlock(fd);
    }
  };

  return {
    append,
    record,
    path,
    findings: () => [...findings],
    close: () => {
      try {
        head?.close();
      } finally {
        closeSync(fd);
      }
    },
  };
}

function openHeadRecordQuietly(dir: string): HeadRecordFile | null {
  try {
    return openHeadRecord(dir);
  } catch {
    return null;
  }
}

/** A write may go out in pieces; on a full disk the first piece is short and the next one fails. */
function writeAll(io: JournalIo, fd: number, line: Buffer): void {
  let written = 0;
  while (written < line.length) {
    const n = io.write(fd, line, written, line.length - written);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'ENOSPC' });
    written += n;
  }
}

/**
 * Removes the bytes of an append that failed. If even that fails the file keeps a torn tail,
 * which the next reader recognises (no newline) and sets aside: the entry was never acknowledged.
 */
function cutBack(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size);
  } catch {
    // See above: a torn tail is handled by the next writer.
  }
}

/** Finds the last complete entry; sets aside a torn last line (a crash mid-write, never acknowledged). */
function readTail(fd: number, size: number, dir: string, now: () => Date, findings: JournalFinding[]): Tail {
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
      const torn = buffer.subarray(end);
      let kept: string | null = null;
      try {
        kept = setAside(dir, torn, start + end, now());
      } catch {
        // No room even for that (a full disk tore the line): the bytes were never acknowledged.
      }
      ftruncateSync(fd, start + end);
      findings.push({ kind: 'torn-tail', offset: start + end, length: torn.length, setAside: kept });
      if (end === 0) return { size: start, seq: -1, hash: ZERO_HASH };
    }
    const previousNewline = buffer.lastIndexOf(0x0a, end - 2);
    if (previousNewline === -1 && start > 0) {
      window *= 4;
      continue;
    }
    const text = buffer.subarray(previousNewline + 1, end - 1).toString('utf8');
    const offset = start + previousNewline + 1;
    let parsed: ReturnType<typeof parseJournalEntry>;
    try {
      parsed = parseJournalEntry(JSON.parse(text));
    } catch (error) {
      parsed = { ok: false, error: `not JSON (${(error as Error).message})` };
    }
    if (!parsed.ok) throw damaged(offset, parsed.error);
    return { size: start + end, seq: parsed.value.seq, hash: entryHash(parsed.value) };
  }
}

/**
 * Why no session could append to the journal in `dir` now, or null: its last complete line is not
 * an entry (a torn tail is fine: the writer sets it aside). Read-only; `ceros claude` asks this
 * before it starts Claude Code, so a damaged journal is a clear refusal, not a session killed
 * once it has started.
 */
export function journalTailProblem(dir: string): JournalError | null {
  const last = lastJournalLine(dir);
  return last && !last.entry ? damaged(last.offset, last.error) : null;
}

/** The journal's last entry (a torn tail skipped), or null when it has none. Read-only. */
export function lastJournalEntry(dir: string): JournalEntry | null {
  return lastJournalLine(dir)?.entry ?? null;
}

type LastLine =
  | { offset: number; entry: JournalEntry; error: '' }
  | { offset: number; entry: null; error: string };

function lastJournalLine(dir: string): LastLine | null {
  let fd: number;
  try {
    fd = openSync(join(dir, JOURNAL_FILE), 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    for (let window = 64 * 1024; size > 0; window *= 4) {
      const start = Math.max(0, size - window);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const lastNewline = buffer.lastIndexOf(0x0a);
      if (lastNewline === -1) {
        if (start === 0) return null;
        continue;
      }
      const previous = buffer.lastIndexOf(0x0a, lastNewline - 1);
      if (previous === -1 && start > 0) continue;
      const offset = start + previous + 1;
      const text = buffer.subarray(previous + 1, lastNewline).toString('utf8');
      try {
        const parsed = parseJournalEntry(JSON.parse(text));
        return parsed.ok
          ? { offset, entry: parsed.value, error: '' }
          : { offset, entry: null, error: parsed.error };
      } catch (error) {
        return { offset, entry: null, error: `not JSON (${(error as Error).message})` };
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

function damaged(offset: number, why: string): JournalError {
  return new JournalError(
    'DAMAGED',
    `Cannot append to the journal: its last line (at byte ${offset}) is not an entry: ${why}. Run \`ceros log repair\` to set it aside`,
  );
}

export interface ReadJournalResult {
  entries: unknown[];
  /** Lines that are not JSON, with their line numbers; a torn last line shows up here. */
  unreadable: { line: number; error: string }[];
  /** The last line when it has no newline: an append cut short, never acknowledged (its bytes). */
  tornTail: { line: number; offset: number; length: number } | null;
}

/** Reads every line of the journal as parsed JSON (untrusted: verify before believing it). */
export function readJournalFile(path: string): ReadJournalResult {
  let buffer: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      buffer = Buffer.alloc(size);
      readSync(fd, buffer, 0, size, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { entries: [], unreadable: [], tornTail: null };
    throw error;
  }
  const entries: unknown[] = [];
  const unreadable: ReadJournalResult['unreadable'] = [];
  const lines = buffer.toString('utf8').split('\n');
  lines.forEach((line, index) => {
    if (line === '') return;
    try {
      entries.push(JSON.parse(line));
    } catch (error) {
      unreadable.push({ line: index + 1, error: (error as Error).message });
      entries.push(line);
    }
  });
  let tornTail: ReadJournalResult['tornTail'] = null;
  if (buffer.length > 0 && buffer[buffer.length - 1] !== 0x0a) {
    const offset = buffer.lastIndexOf(0x0a) + 1;
    tornTail = { line: lines.length, offset, length: buffer.length - offset };
  }
  return { entries, unreadable, tornTail };
}
