import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessReader, RawProcess, ReadResult } from './process-reader.ts';

/**
 * USER_HZ: /proc/<pid>/stat counts start time in these ticks. It is 100 on every architecture
 * Node and Bun run on (sysconf(_SC_CLK_TCK) only differs on alpha), and reading it would need FFI.
 */
const USER_HZ = 100n;

export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  /** Field 22: start time in clock ticks since boot. */
  startTicks: bigint;
}

/**
 * Parses /proc/<pid>/stat (proc(5)). The command name is between the first "(" and the LAST ")":
 * it may itself contain spaces and parentheses (`a (b) c`, or a hostile `x) R 1 (y`), so the
 * numeric fields are read only after the last ")".
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const state = fields[0];
  const ppid = fields[1];
  const start = fields[19];
  if (state === undefined || ppid === undefined || start === undefined) return null;
  if (!/^\d+$/.test(ppid) || !/^\d+$/.test(start)) return null;
  return { comm: text.slice(open + 1, close), state, ppid: Number(ppid), startTicks: BigInt(start) };
}

/** The real uid from /proc/<pid>/status ("Uid: real effective saved fs"). */
export function parseStatusUid(text: string): string | null {
  return /^Uid:\s+(\d+)/m.exec(text)?.[1] ?? null;
}

/** /proc/<pid>/cmdline: NUL-separated and NUL-terminated; a process may rewrite it as one string. */
export function parseCmdline(bytes: Buffer): string[] {
  const text = bytes.toString('utf8');
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** Reads processes from procfs under `root` ('/' live; a synthetic tree in tests). */
export function createLinuxProcessReader(options: { root?: string } = {}): ProcessReader {
  const root = options.root ?? '/';
  const proc = (pid: number, file: string) => join(root, 'proc', String(pid), file);
  let bootTime: bigint | null | undefined;
  const boot = (): bigint | null => {
    if (bootTime !== undefined) return bootTime;
    try {
      const match = /^btime (\d+)$/m.exec(readFileSync(join(root, 'proc', 'stat'), 'utf8'));
      bootTime = match?.[1] ? BigInt(match[1]) : null;
    } catch {
      bootTime = null;
    }
    return bootTime;
  };
  const readStat = (pid: number): { stat: ProcStat } | { error: string } => {
    try {
      const stat = parseProcStat(readFileSync(proc(pid, 'stat'), 'utf8'));
      return stat ? { stat } : { error: 'unparseable stat' };
    } catch (error) {
      return { error: errorCode(error) };
    }
  };
  const read = (pid: number): ReadResult => {
    const result = readStat(pid);
    if ('error' in result) {
      const gone = result.error === 'ENOENT' || result.error === 'ESRCH';
      return { found: false, exists: !gone, reason: gone ? 'no such process' : `stat: ${result.error}` };
    }
    const { stat } = result;
    const notes: string[] = [];
    let uid: string | null = null;
    try {
      uid = parseStatusUid(readFileSync(proc(pid, 'status'), 'utf8'));
    } catch (error) {
      notes.push(`status: ${errorCode(error)}`);
    }
    let argv: string[] | null = null;
    try {
      argv = parseCmdline(readFileSync(proc(pid, 'cmdline')));
    } catch (error) {
      notes.push(`cmdline: ${errorCode(error)}`);
    }
    let exe: string | null = null;
    let hashPath: string | null = proc(pid, 'exe');
    try {
      exe = readlinkSync(proc(pid, 'exe'));
    } catch (error) {
      const code = errorCode(error);
      notes.push(`exe: ${code}`);
      // Kernel threads have no executable; for EACCES the hash attempt reports the same reason.
      if (code === 'ENOENT') hashPath = null;
    }
    const btime = boot();
    const startedAt =
      btime === null ? null : new Date(Number((btime * USER_HZ + stat.startTicks) * 10n)).toISOString();
    const process: RawProcess = {
      pid,
      ppid: stat.ppid,
      start: stat.startTicks,
      startedAt,
      uid,
      name: stat.comm,
      exe,
      argv,
      hashPath,
      notes,
    };
    return { found: true, process };
  };
  return {
    platform: 'linux',
    read,
    readStart: (pid) => {
      const result = readStat(pid);
      return 'stat' in result ? result.stat.startTicks : null;
    },
  };
}
