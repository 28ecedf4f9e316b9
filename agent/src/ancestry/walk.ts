import type { HashCache } from './hash-cache.ts';
import type { ProcessReader, RawProcess } from './process-reader.ts';
import { redactArgv } from './redact.ts';
import type { Ancestry, AncestryStop, ProcessInfo } from './types.ts';

/** Deeper chains than this are cut (a real one is rarely over 15: hook, sh, claude, ceros, shell, terminal, ...). */
export const MAX_ANCESTRY_DEPTH = 64;

export interface WalkOptions {
  hashCache: HashCache;
  maxDepth?: number;
}

/**
 * Walks from `pid` up to a process without a parent, then hashes every executable in parallel.
 * PID reuse is checked twice: a parent must not have started after its child (otherwise the
 * parent exited and its pid went to someone else), and after hashing each process must still
 * have the start time it was read with (otherwise the hash may be of another program).
 */
export async function walkAncestry(
  pid: number,
  reader: ProcessReader,
  options: WalkOptions,
): Promise<Ancestry> {
  const started = performance.now();
  const maxDepth = options.maxDepth ?? MAX_ANCESTRY_DEPTH;
  const raws: RawProcess[] = [];
  let stop: AncestryStop = 'root';
  const first = reader.read(pid);
  if (!first.found) {
    return {
      v: 1,
      platform: reader.platform,
      pid,
      chain: [],
      complete: false,
      stop: 'not-found',
      ms: performance.now() - started,
    };
  }
  // Copies: notes are added below and the reader's records stay untouched.
  let current: RawProcess = { ...first.process, notes: [...first.process.notes] };
  for (;;) {
    raws.push(current);
    const ppid = current.ppid;
    if (ppid === null || ppid === 0 || ppid === current.pid) {
      stop = 'root';
      break;
    }
    if (raws.length >= maxDepth) {
      stop = 'max-depth';
      break;
    }
    const parent = reader.read(ppid);
    if (!parent.found) {
      stop = parent.exists ? 'parent-unreadable' : 'parent-exited';
      current.notes.push(`parent ${ppid}: ${parent.reason}`);
      break;
    }
    // A start of 0 means unknown (Windows processes that refuse OpenProcess): nothing to compare.
    if (current.start !== 0n && parent.process.start > current.start) {
      stop = 'parent-pid-reused';
      current.notes.push(`parent ${ppid} started after this process: its pid was reused`);
      break;
    }
    current = { ...parent.process, notes: [...parent.process.notes] };
  }
  const chain = await Promise.all(raws.map((raw) => toProcessInfo(raw, reader, options.hashCache)));
  return {
    v: 1,
    platform: reader.platform,
    pid,
    chain,
    complete: stop === 'root',
    stop,
    ms: performance.now() - started,
  };
}

async function toProcessInfo(
  raw: RawProcess,
  reader: ProcessReader,
  hashCache: HashCache,
): Promise<ProcessInfo> {
  let sha256: string | null = null;
  let hashError: string | undefined;
  let hashMs = 0;
  if (raw.hashPath === null) {
    hashError = 'executable path unknown';
  } else {
    try {
      const outcome = await hashCache.hash(raw.hashPath);
      sha256 = outcome.sha256;
      hashMs = outcome.ms;
    } catch (error) {
      hashError = (error as Error).message;
    }
  }
  if (sha256 !== null && reader.readStart(raw.pid) !== raw.start) {
    sha256 = null;
    hashError = `process ${raw.pid} exited or its pid was reused while it was hashed`;
  }
  const redacted = raw.argv === null ? null : redactArgv(raw.argv);
  const info: ProcessInfo = {
    pid: raw.pid,
    ppid: raw.ppid,
    start: raw.start.toString(),
    startedAt: raw.startedAt,
    uid: raw.uid,
    name: raw.name,
    exe: raw.exe,
    argv: redacted?.argv ?? null,
    redactions: redacted?.redactions ?? 0,
    sha256,
    hashMs,
  };
  if (hashError !== undefined) info.hashError = hashError;
  if (raw.notes.length > 0) info.notes = [...raw.notes];
  return info;
}
