import type { KeyProtection } from '@ceros/protocol';

/**
 * The device key: P-256, created at enrollment, held by the hardware where there is one. It signs
 * one session certificate per session, never journal entries (the TPM is too slow for that path).
 */
export interface DeviceKeyHandle {
  /** base64url SPKI DER of the public key; what the edge registers. */
  publicKeySpki: string;
  protection: KeyProtection;
  /** Signs `message` (hashed with SHA-256 inside) and returns a DER ECDSA signature. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface Keystore {
  /** Which backend this is, for posture and `ceros status` ("tpm", "software", ...). */
  readonly kind: KeyProtection;
  /** Loads the device key named `name`, or undefined when it does not exist yet. */
  load(name: string): Promise<DeviceKeyHandle | undefined>;
  /** Creates (or replaces) the device key named `name`. */
  create(name: string): Promise<DeviceKeyHandle>;
}

/** Key names become file names, FAPI paths and CNG key names: keep them to one plain segment. */
export function isValidKeyName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name);
}

export type KeystoreErrorCode =
  /** The requested backend is missing, unreachable or not usable by this user. */
  | 'UNAVAILABLE'
  /** The stored key cannot be read or no longer matches what the hardware holds. */
  | 'KEY_CORRUPT'
  | 'CREATE_FAILED'
  | 'SIGN_FAILED'
  /** A bad key name or a bad CEROS_KEYSTORE value: a caller or configuration mistake. */
  | 'INVALID_ARGUMENT';

export class KeystoreError extends Error {
  readonly code: KeystoreErrorCode;
  /** The TSS2 return code behind a TPM failure, for logs and support; undefined elsewhere. */
  readonly tssRc: number | undefined;
  constructor(code: KeystoreErrorCode, message: string, options: { tssRc?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeystoreError';
    this.code = code;
    this.tssRc = options.tssRc;
  }
}
