/** One process of an ancestry chain, as recorded in the journal. */
export interface ProcessInfo {
  pid: number;
  /** null when the platform does not say (the chain ends there). */
  ppid: number | null;
  /**
   * The process start time in the platform's own units, as a decimal string: clock ticks since
   * boot on Linux, microseconds since the epoch on macOS, FILETIME (100 ns since 1601) on
   * Windows. Together with `pid` it identifies the process against PID reuse.
   */
  start: string;
  /** The start time as an ISO timestamp, where it can be derived. */
  startedAt: string | null;
  /** Real user: the decimal uid on Linux and macOS, the SID on Windows. */
  uid: string | null;
  /** The short name the kernel keeps (comm on Linux and macOS, the image name on Windows). */
  name: string;
  /** Path of the executable; on Linux ends in " (deleted)" when the file was replaced or removed. */
  exe: string | null;
  /** Command line with secrets redacted; null when it cannot be read. */
  argv: string[] | null;
  /** How many arguments (or parts of them) were redacted. */
  redactions: number;
  /** SHA-256 (hex) of the executable the process runs; null with `hashError` saying why. */
  sha256: string | null;
  hashError?: string;
  /** Why a field could not be read (permissions, process gone), for the evidence. */
  notes?: string[];
  /** Time spent hashing this executable (0 on a cache hit). Excluded from the digest. */
  hashMs: number;
}

/** Why the walk up the chain stopped. */
export type AncestryStop =
  /** Reached a process without a parent (PID 1, kthreadd, System, a namespace init). */
  | 'root'
  /** The parent exited before it could be read (Windows keeps orphans' old parent ids). */
  | 'parent-exited'
  /** The parent pid now belongs to a process that started after its child: the pid was reused. */
  | 'parent-pid-reused'
  /** The parent exists but could not be read (hidepid, another user's process on macOS). */
  | 'parent-unreadable'
  | 'max-depth'
  /** The starting process itself was not found. */
  | 'not-found';

export interface Ancestry {
  v: 1;
  platform: string;
  /** The process the chain starts from. */
  pid: number;
  /** From `pid` up to the root, child first. */
  chain: ProcessInfo[];
  /** True when the chain reached a process without a parent. */
  complete: boolean;
  stop: AncestryStop;
  /** Wall time of the capture. Excluded from the digest. */
  ms: number;
}
