/**
 * Process ancestry: who launched Claude Code and each hook, up to PID 1, with every executable
 * hashed. The public surface of agent/src/ancestry; adding an export is an API decision.
 */
export { type BunFileHasher, type BunFileHasherOptions, createBunFileHasher } from './bun-file-hasher.ts';
export { type CaptureAncestryOptions, captureAncestry, createProcessReader } from './capture-ancestry.ts';
export { ancestryDigest } from './digest.ts';
export { AncestryError, type AncestryErrorCode } from './errors.ts';
export {
  type CacheLoadReport,
  createHashCache,
  DEFAULT_MAX_HASH_CACHE_ENTRIES,
  defaultHashCacheFile,
  type FileHasher,
  fileIdentityKey,
  type HashCache,
  type HashCacheOptions,
  type HashOutcome,
} from './hash-cache.ts';
export { createLinuxProcessReader, parseProcStat } from './linux-reader.ts';
export { createNodeFileHasher } from './node-file-hasher.ts';
export {
  createFakeProcessReader,
  type ProcessReader,
  type RawProcess,
  type ReadResult,
} from './process-reader.ts';
export { isSecretName, REDACTED, type RedactedArgv, redactArgv, redactInline } from './redact.ts';
export type { Ancestry, AncestryStop, ProcessInfo } from './types.ts';
export { MAX_ANCESTRY_DEPTH, type WalkOptions, walkAncestry } from './walk.ts';
