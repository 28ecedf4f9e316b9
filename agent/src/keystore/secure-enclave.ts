import { dlopen, FFIType, type Library } from 'bun:ffi';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toBase64Url } from '@ceros/protocol';
import { ensurePrivateDir, writePrivateFile } from '../state/secure-fs.ts';
import { parseP256Spki } from './key-encoding.ts';
import {
  type DeviceKeyHandle,
  isValidKeyName,
  type Keystore,
  KeystoreError,
  type KeystoreErrorCode,
} from './keystore.ts';

/**
 * macOS: a P-256 key inside the Secure Enclave through CryptoKit, reached through the small Swift
 * library in agent/native/macos (C exports, dlopen'ed here). The enclave-encrypted key blob
 * (`dataRepresentation`) sits in a 0600 file under `dir`; it is useless on any other Mac.
 * Written against Apple's documented API; not run on Linux.
 */

export const SECURE_ENCLAVE_LIBRARY = 'libceros-secure-enclave.dylib';

export interface SecureEnclaveKeystoreOptions {
  /** Folder for the key blobs (CEROS_HOME/keys). */
  dir: string;
  /** Path of libceros-secure-enclave.dylib. */
  libraryPath: string;
}

// Status codes of agent/native/macos/CerosSecureEnclave.swift.
const STATUS = { OK: 0, UNAVAILABLE: 1, BUFFER_TOO_SMALL: 2, BAD_KEY_DATA: 3, FAILED: 4 } as const;

// Swift `Int` is 64-bit on both macOS architectures.
const SYMBOLS = {
  ceros_se_is_available: { args: [], returns: FFIType.i32 },
  ceros_se_create: {
    args: [
      FFIType.ptr,
      FFIType.i64,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.i64,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.i64,
    ],
    returns: FFIType.i32,
  },
  ceros_se_public_key: {
    args: [FFIType.ptr, FFIType.i64, FFIType.ptr, FFIType.i64, FFIType.ptr, FFIType.ptr, FFIType.i64],
    returns: FFIType.i32,
  },
  ceros_se_sign: {
    args: [
      FFIType.ptr,
      FFIType.i64,
      FFIType.ptr,
      FFIType.i64,
      FFIType.ptr,
      FFIType.i64,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.i64,
    ],
    returns: FFIType.i32,
  },
} as const;

type EnclaveLibrary = Library<typeof SYMBOLS>;
const libraries = new Map<string, EnclaveLibrary>();

function loadLibrary(path: string): EnclaveLibrary {
  const cached = libraries.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    throw new KeystoreError(
      'UNAVAILABLE',
      `Cannot use the Secure Enclave: helper library "${path}" is missing`,
    );
  }
  try {
    const library = dlopen(path, SYMBOLS);
    libraries.set(path, library);
    return library;
  } catch (error) {
    throw new KeystoreError(
      'UNAVAILABLE',
      `Cannot load the Secure Enclave helper "${path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A caller-owned output buffer with its length cell, grown once if the library asks for more. */
interface Out {
  bytes: Uint8Array;
  length: BigInt64Array;
}
const out = (capacity: number): Out => ({ bytes: new Uint8Array(capacity), length: new BigInt64Array(1) });
const taken = (buffer: Out) => buffer.bytes.slice(0, Number(buffer.length[0] ?? 0n));

function call(action: string, failure: KeystoreErrorCode, run: (error: Uint8Array) => number): void {
  const error = new Uint8Array(512);
  const status = run(error);
  if (status === STATUS.OK) return;
  const detail = new TextDecoder().decode(error.subarray(0, Math.max(0, error.indexOf(0))));
  const code =
    status === STATUS.UNAVAILABLE ? 'UNAVAILABLE' : status === STATUS.BAD_KEY_DATA ? 'KEY_CORRUPT' : failure;
  throw new KeystoreError(code, `${action}: ${detail || `status ${status}`}`);
}

/** Runs `run` with a buffer of `capacity`, and once more with the size the library reported if too small. */
function withGrowth(capacity: number, run: (buffer: Out) => number): { status: number; buffer: Out } {
  let buffer = out(capacity);
  let status = run(buffer);
  if (status === STATUS.BUFFER_TOO_SMALL) {
    buffer = out(Number(buffer.length[0] ?? 0n));
    status = run(buffer);
  }
  return { status, buffer };
}

export function isSecureEnclaveAvailable(libraryPath: string): boolean {
  try {
    return loadLibrary(libraryPath).symbols.ceros_se_is_available() === 1;
  } catch {
    return false;
  }
}

export function createSecureEnclaveKeystore(options: SecureEnclaveKeystoreOptions): Keystore {
  const pathOf = (name: string) => {
    if (!isValidKeyName(name)) {
      throw new KeystoreError(
        'INVALID_ARGUMENT',
        `Cannot use "${name}" as a key name: use letters, digits, ".", "_" or "-"`,
      );
    }
    return join(options.dir, `${name}.p256.enclave`);
  };

  const publicKeyOf = (lib: EnclaveLibrary, blob: Uint8Array, file: string): Uint8Array => {
    let spki = new Uint8Array();
    call(`Cannot read Secure Enclave key "${file}"`, 'KEY_CORRUPT', (error) => {
      const { status, buffer } = withGrowth(256, (b) =>
        lib.symbols.ceros_se_public_key(
          blob,
          blob.length,
          b.bytes,
          b.bytes.length,
          b.length,
          error,
          error.length,
        ),
      );
      spki = taken(buffer);
      return status;
    });
    return checkedSpki(spki, file);
  };

  const handle = (lib: EnclaveLibrary, blob: Uint8Array, spki: Uint8Array, file: string): DeviceKeyHandle => {
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return {
      publicKeySpki: toBase64Url(spki),
      protection: 'secure-enclave',
      async sign(message) {
        // Bun passes an empty typed array as NULL; the Swift side takes a non-optional pointer.
        const input = message.length > 0 ? message : new Uint8Array(1);
        let signature = new Uint8Array();
        call(`Cannot sign with Secure Enclave key "${file}"`, 'SIGN_FAILED', (error) => {
          const { status, buffer } = withGrowth(128, (b) =>
            lib.symbols.ceros_se_sign(
              blob,
              blob.length,
              input,
              message.length,
              b.bytes,
              b.bytes.length,
              b.length,
              error,
              error.length,
            ),
          );
          signature = taken(buffer);
          return status;
        });
        // A TPM-style self-check: an enclave or bridge fault must never yield an unverifiable certificate.
        if (!verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature)) {
          throw new KeystoreError(
            'SIGN_FAILED',
            `Cannot sign with Secure Enclave key "${file}": bad signature`,
          );
        }
        return signature;
      },
    };
  };

  return {
    kind: 'secure-enclave',
    async load(name) {
      const file = pathOf(name);
      if (!existsSync(file)) return undefined;
      const lib = loadLibrary(options.libraryPath);
      const blob = new Uint8Array(readFileSync(file));
      return handle(lib, blob, publicKeyOf(lib, blob, file), file);
    },
    async create(name) {
      const file = pathOf(name);
      const lib = loadLibrary(options.libraryPath);
      let blob = new Uint8Array();
      let spki = new Uint8Array();
      call('Cannot create a Secure Enclave key', 'CREATE_FAILED', (error) => {
        const publicKey = out(256);
        const { status, buffer } = withGrowth(1024, (b) =>
          lib.symbols.ceros_se_create(
            b.bytes,
            b.bytes.length,
            b.length,
            publicKey.bytes,
            publicKey.bytes.length,
            publicKey.length,
            error,
            error.length,
          ),
        );
        blob = taken(buffer);
        spki = taken(publicKey);
        return status;
      });
      const checked = checkedSpki(spki, file);
      ensurePrivateDir(options.dir);
      writePrivateFile(file, blob);
      return handle(lib, blob, checked, file);
    },
  };
}

function checkedSpki(spki: Uint8Array, file: string): Uint8Array {
  const parsed = parseP256Spki(spki);
  if (!parsed.ok)
    throw new KeystoreError('KEY_CORRUPT', `Cannot read Secure Enclave key "${file}": ${parsed.error}`);
  return parsed.value;
}

/** Where the helper library is looked for when CEROS_SECURE_ENCLAVE_LIB is not set. */
export function defaultSecureEnclaveLibraryPath(libraryDir: string): string {
  return join(libraryDir, SECURE_ENCLAVE_LIBRARY);
}
