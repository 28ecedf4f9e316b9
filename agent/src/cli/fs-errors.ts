import { JournalError } from '../journal/journal-error.ts';

/** What each system call was doing, in the words of a message ("Cannot <verb> "<path>""). */
const VERBS: Readonly<Record<string, string>> = {
  mkdir: 'create the folder',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'replace',
  unlink: 'remove',
  rmdir: 'remove the folder',
  chmod: 'set the permissions of',
  fchmod: 'set the permissions of',
  scandir: 'list the folder',
  stat: 'look at',
  lstat: 'look at',
  fsync: 'flush',
  fdatasync: 'flush',
  ftruncate: 'truncate',
  copyfile: 'copy',
  symlink: 'link',
};

/** What an errno means to someone at the terminal, and what to do about it. */
const MEANINGS: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only (EROFS); set CEROS_HOME to a writable folder',
  EACCES: 'permission denied (EACCES); check who owns it, or set CEROS_HOME to a folder of yours',
  EPERM: 'the operation is not permitted (EPERM); check who owns it',
  ENOSPC: 'the disk is full (ENOSPC); free some space',
  EDQUOT: 'the disk quota is used up (EDQUOT); free some space',
  ENOENT: 'it does not exist (ENOENT)',
  ENOTDIR: 'a part of the path is a file, not a folder (ENOTDIR)',
  EISDIR: 'it is a folder, not a file (EISDIR)',
  EEXIST: 'it already exists (EEXIST)',
  ELOOP: 'the path has too many symbolic links (ELOOP)',
  ENAMETOOLONG: 'the path is too long (ENAMETOOLONG)',
  EMFILE: 'too many files are open (EMFILE)',
  EIO: 'the disk reported an input/output error (EIO)',
  EBUSY: 'it is busy (EBUSY)',
};

/**
 * A file system error (or a journal error) as one sentence for stderr, or null for anything else.
 * Such errors are the machine's state, not a bug of ours: a stack trace would only hide the cause.
 */
export function describeFsError(error: unknown): string | null {
  if (error instanceof JournalError) return error.message;
  const e = error as NodeJS.ErrnoException | null;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return null;
  const meaning = MEANINGS[e.code];
  if (!meaning && !e.syscall) return null;
  const verb = (e.syscall && VERBS[e.syscall]) ?? e.syscall ?? 'use';
  const what = e.path ? ` "${e.path}"` : '';
  return `Cannot ${verb}${what}: ${meaning ?? `${e.code}`}`;
}
