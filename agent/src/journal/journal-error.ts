/**
 * Why the journal could not do what was asked, with a code the callers branch on (STYLE.md 6).
 * DISK_FULL and WRITE_FAILED mean nothing was acknowledged: the entry that failed is not on disk
 * (its partial bytes are cut off again), and whoever asked for it must treat it as not recorded;
 * for a tool decision, that is a deny.
 */
export type JournalErrorCode =
  /** ENOSPC or EDQUOT: no room for the entry. */
  | 'DISK_FULL'
  /** The file system is mounted read-only, or the folder is not ours to write. */
  | 'READ_ONLY'
  /** Any other failed write or fdatasync (EIO, ...). */
  | 'WRITE_FAILED'
  /** The journal ends with a line that is not an entry: nothing can be chained after it. */
  | 'DAMAGED';

export class JournalError extends Error {
  override readonly name = 'JournalError';
  /** Set once the writer told the person at the terminal (OpenJournalOptions.warn): say it once. */
  reported = false;
  constructor(
    readonly code: JournalErrorCode,
    message: string,
    readonly errno?: string,
  ) {
    super(message);
  }
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

/** A failed system call on the journal, as a JournalError whose message says what it means. */
export function toJournalError(error: unknown, path: string, doing: string): JournalError {
  if (error instanceof JournalError) return error;
  const errno = (error as NodeJS.ErrnoException)?.code;
  if (errno && DISK_FULL.has(errno))
    return new JournalError(
      'DISK_FULL',
      `Cannot ${doing} "${path}": the disk is full (${errno}); free some space`,
      errno,
    );
  if (errno && READ_ONLY.has(errno))
    return new JournalError(
      'READ_ONLY',
      `Cannot ${doing} "${path}": ${errno === 'EROFS' ? 'the file system is read-only' : 'permission denied'} (${errno})`,
      errno,
    );
  return new JournalError(
    'WRITE_FAILED',
    `Cannot ${doing} "${path}": ${(error as Error)?.message ?? String(error)}`,
    errno,
  );
}

/** True for a journal failure the user was already told about: callers need not say it again. */
export function wasReported(error: unknown): boolean {
  return error instanceof JournalError && error.reported;
}
