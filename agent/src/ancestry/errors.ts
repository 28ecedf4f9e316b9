/** One error class with a machine code (STYLE.md 6); tests assert on `code`. */
export type AncestryErrorCode =
  /** The file could not be opened or read. */
  | 'HASH_FAILED'
  /** The file's identity (device, inode, size, mtime, ctime) changed while it was being hashed. */
  | 'FILE_CHANGED'
  /** The hash worker died or did not answer. */
  | 'HASHER_FAILED'
  /** The process reader for this platform could not be loaded (no FFI, missing library). */
  | 'UNSUPPORTED_PLATFORM';

export class AncestryError extends Error {
  readonly code: AncestryErrorCode;
  constructor(code: AncestryErrorCode, message: string) {
    super(message);
    this.name = 'AncestryError';
    this.code = code;
  }
}
