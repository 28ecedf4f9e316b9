/**
 * The port each platform implements: read one process by pid. Linux reads procfs
 * (`linux-reader.ts`), macOS and Windows call their documented APIs through FFI
 * (`darwin-ffi-reader.ts`, `win32-ffi-reader.ts`, each loaded only on its OS); tests use
 * `createFakeProcessReader`.
 */
export interface RawProcess {
  pid: number;
  ppid: number | null;
  /** Start time in platform units; compared as a bigint against PID reuse. */
  start: bigint;
  startedAt: string | null;
  uid: string | null;
  name: string;
  exe: string | null;
  /** Unredacted; the walker redacts before anything is returned. */
  argv: string[] | null;
  /** The path to hash: /proc/<pid>/exe on Linux (the running inode), the image path elsewhere. */
  hashPath: string | null;
  notes: string[];
}

export type ReadResult =
  | { found: true; process: RawProcess }
  /** `exists` distinguishes "no such process" from "cannot read it" (hidepid, permissions). */
  | { found: false; exists: boolean; reason: string };

export interface ProcessReader {
  readonly platform: string;
  read(pid: number): ReadResult;
  /** The start time alone, to check a process is still the one read (null: gone or unreadable). */
  readStart(pid: number): bigint | null;
}

/** An in-memory process table for tests; `table` may be changed between calls to simulate exits and reuse. */
export function createFakeProcessReader(table: Map<number, RawProcess>, platform = 'fake'): ProcessReader {
  return {
    platform,
    read: (pid) => {
      const process = table.get(pid);
      return process ? { found: true, process } : { found: false, exists: false, reason: 'no such process' };
    },
    readStart: (pid) => table.get(pid)?.start ?? null,
  };
}
