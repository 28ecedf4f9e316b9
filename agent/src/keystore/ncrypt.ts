import { dlopen, FFIType, type Library } from 'bun:ffi';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { toBase64Url } from '@ceros/protocol';
import { parseBcryptEccPublicBlob, toDerEcdsaSignature } from './key-encoding.ts';
import {
  type DeviceKeyHandle,
  isValidKeyName,
  type Keystore,
  KeystoreError,
  type KeystoreErrorCode,
} from './keystore.ts';
import { describeTss2Rc } from './tss2-rc.ts';

/**
 * Windows: a per-user ECDSA_P256 key in the TPM through CNG's "Microsoft Platform Crypto Provider"
 * (ncrypt.dll). The provider keeps the TPM-wrapped key under the user's profile; NCryptSignHash
 * returns raw r||s, converted to DER here. Written against the documented ncrypt.h API; not run on
 * Linux.
 */

export const MS_PLATFORM_CRYPTO_PROVIDER = 'Microsoft Platform Crypto Provider';
const NCRYPT_ECDSA_P256_ALGORITHM = 'ECDSA_P256';
const BCRYPT_ECCPUBLIC_BLOB = 'ECCPUBLICBLOB';
const NCRYPT_SILENT_FLAG = 0x40;
const NCRYPT_OVERWRITE_KEY_FLAG = 0x80;

// winerror.h
const NTE = {
  BAD_KEYSET: 0x80090016,
  NO_KEY: 0x8009000d,
  EXISTS: 0x8009000f,
  PERM: 0x80090010,
  NOT_SUPPORTED: 0x80090029,
  DEVICE_NOT_READY: 0x80090030,
  TBS_SERVICE_NOT_RUNNING: 0x80284008,
  TBS_TPM_NOT_FOUND: 0x8028400f,
} as const;

const MEANINGS: Record<number, string> = {
  [NTE.BAD_KEYSET]: 'the key does not exist',
  [NTE.NO_KEY]: 'the key does not exist',
  [NTE.EXISTS]: 'the key already exists',
  [NTE.PERM]: 'access denied',
  [NTE.NOT_SUPPORTED]: 'not supported by this TPM',
  [NTE.DEVICE_NOT_READY]: 'the TPM is not ready (disabled in the firmware, or not provisioned by Windows)',
  [NTE.TBS_SERVICE_NOT_RUNNING]: 'the TPM Base Services service is not running',
  [NTE.TBS_TPM_NOT_FOUND]: 'no TPM found',
};

/** "0x80090016 (the key does not exist)"; TPM 2.0 codes arrive as 0x80280000 | TPM_RC. */
export function describeNcryptStatus(status: number): string {
  const code = status >>> 0;
  const hex = `0x${code.toString(16).padStart(8, '0')}`;
  const meaning = MEANINGS[code];
  if (meaning) return `${hex} (${meaning})`;
  if ((code & 0xffff0000) >>> 0 === 0x80280000 && (code & 0xf000) === 0)
    return `${hex} (${describeTss2Rc(code & 0xfff)})`;
  return hex;
}

/** UTF-16LE, NUL-terminated: LPCWSTR. */
export function toWideString(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le');
}

// NCRYPT_PROV_HANDLE and NCRYPT_KEY_HANDLE are ULONG_PTR; SECURITY_STATUS is a LONG; DWORD is u32.
const SYMBOLS = {
  NCryptOpenStorageProvider: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  NCryptOpenKey: {
    args: [FFIType.u64, FFIType.ptr, FFIType.ptr, FFIType.u32, FFIType.u32],
    returns: FFIType.i32,
  },
  NCryptCreatePersistedKey: {
    args: [FFIType.u64, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u32, FFIType.u32],
    returns: FFIType.i32,
  },
  NCryptFinalizeKey: { args: [FFIType.u64, FFIType.u32], returns: FFIType.i32 },
  NCryptExportKey: {
    args: [
      FFIType.u64,
      FFIType.u64,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u32,
      FFIType.ptr,
      FFIType.u32,
    ],
    returns: FFIType.i32,
  },
  NCryptSignHash: {
    args: [
      FFIType.u64,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u32,
      FFIType.ptr,
      FFIType.u32,
      FFIType.ptr,
      FFIType.u32,
    ],
    returns: FFIType.i32,
  },
  NCryptFreeObject: { args: [FFIType.u64], returns: FFIType.i32 },
} as const;

type NcryptLibrary = Library<typeof SYMBOLS>;
let library: NcryptLibrary | undefined;

function loadNcrypt(): NcryptLibrary {
  if (library) return library;
  try {
    library = dlopen('ncrypt.dll', SYMBOLS);
    return library;
  } catch (error) {
    throw new KeystoreError('UNAVAILABLE', `Cannot load "ncrypt.dll": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function check(status: number, code: KeystoreErrorCode, action: string): void {
  if (status === 0) return;
  const unavailable = [NTE.DEVICE_NOT_READY, NTE.TBS_SERVICE_NOT_RUNNING, NTE.TBS_TPM_NOT_FOUND] as number[];
  throw new KeystoreError(
    unavailable.includes(status >>> 0) ? 'UNAVAILABLE' : code,
    `${action}: ${describeNcryptStatus(status)}`,
  );
}

function withProvider<T>(action: (lib: NcryptLibrary, provider: bigint) => T): T {
  const lib = loadNcrypt();
  const providerOut = new BigUint64Array(1);
  check(
    lib.symbols.NCryptOpenStorageProvider(providerOut, toWideString(MS_PLATFORM_CRYPTO_PROVIDER), 0),
    'UNAVAILABLE',
    `Cannot open the "${MS_PLATFORM_CRYPTO_PROVIDER}"`,
  );
  const provider = providerOut[0] ?? 0n;
  try {
    return action(lib, provider);
  } finally {
    lib.symbols.NCryptFreeObject(provider);
  }
}

/** Opens key `keyName`, runs `action`, frees the key handle; undefined when the key does not exist. */
function withKey<T>(keyName: string, action: (lib: NcryptLibrary, key: bigint) => T): T | undefined {
  return withProvider((lib, provider) => {
    const keyOut = new BigUint64Array(1);
    const status = lib.symbols.NCryptOpenKey(provider, keyOut, toWideString(keyName), 0, NCRYPT_SILENT_FLAG);
    if (status >>> 0 === NTE.BAD_KEYSET || status >>> 0 === NTE.NO_KEY) return undefined;
    check(status, 'KEY_CORRUPT', `Cannot open platform key "${keyName}"`);
    const key = keyOut[0] ?? 0n;
    try {
      return action(lib, key);
    } finally {
      lib.symbols.NCryptFreeObject(key);
    }
  });
}

function exportPublicKey(lib: NcryptLibrary, key: bigint, keyName: string): Uint8Array {
  const size = new Uint32Array(1);
  const blobType = toWideString(BCRYPT_ECCPUBLIC_BLOB);
  check(
    lib.symbols.NCryptExportKey(key, 0n, blobType, null, null, 0, size, 0),
    'KEY_CORRUPT',
    `Cannot export the public key of platform key "${keyName}"`,
  );
  const blob = new Uint8Array(size[0] ?? 0);
  check(
    lib.symbols.NCryptExportKey(key, 0n, blobType, null, blob, blob.length, size, 0),
    'KEY_CORRUPT',
    `Cannot export the public key of platform key "${keyName}"`,
  );
  const spki = parseBcryptEccPublicBlob(blob.subarray(0, size[0] ?? 0));
  if (!spki.ok)
    throw new KeystoreError('KEY_CORRUPT', `Cannot read platform key "${keyName}": ${spki.error}`);
  return spki.value;
}

export function isPlatformCryptoAvailable(): boolean {
  try {
    return withProvider(() => true);
  } catch {
    return false;
  }
}

export function createNcryptKeystore(): Keystore {
  const keyNameOf = (name: string) => {
    if (!isValidKeyName(name)) {
      throw new KeystoreError(
        'INVALID_ARGUMENT',
        `Cannot use "${name}" as a key name: use letters, digits, ".", "_" or "-"`,
      );
    }
    return `ceros-${name}`;
  };

  const handle = (keyName: string, spki: Uint8Array): DeviceKeyHandle => {
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return {
      publicKeySpki: toBase64Url(spki),
      protection: 'platform-crypto',
      async sign(message) {
        const digest = createHash('sha256').update(message).digest();
        const raw = withKey(keyName, (lib, key) => {
          const signature = new Uint8Array(64);
          const size = new Uint32Array(1);
          check(
            lib.symbols.NCryptSignHash(
              key,
              null,
              digest,
              digest.length,
              signature,
              signature.length,
              size,
              NCRYPT_SILENT_FLAG,
            ),
            'SIGN_FAILED',
            `Cannot sign with platform key "${keyName}"`,
          );
          return signature.subarray(0, size[0] ?? 0);
        });
        if (!raw)
          throw new KeystoreError(
            'KEY_CORRUPT',
            `Cannot sign with platform key "${keyName}": it no longer exists`,
          );
        if (raw.length !== 64) {
          throw new KeystoreError(
            'SIGN_FAILED',
            `Cannot sign with platform key "${keyName}": got ${raw.length} signature bytes`,
          );
        }
        const der = toDerEcdsaSignature(raw);
        if (!verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der)) {
          throw new KeystoreError('SIGN_FAILED', `Cannot sign with platform key "${keyName}": bad signature`);
        }
        return der;
      },
    };
  };

  return {
    kind: 'platform-crypto',
    async load(name) {
      const keyName = keyNameOf(name);
      const spki = withKey(keyName, (lib, key) => exportPublicKey(lib, key, keyName));
      return spki && handle(keyName, spki);
    },
    async create(name) {
      const keyName = keyNameOf(name);
      const spki = withProvider((lib, provider) => {
        const keyOut = new BigUint64Array(1);
        check(
          lib.symbols.NCryptCreatePersistedKey(
            provider,
            keyOut,
            toWideString(NCRYPT_ECDSA_P256_ALGORITHM),
            toWideString(keyName),
            0,
            NCRYPT_OVERWRITE_KEY_FLAG | NCRYPT_SILENT_FLAG,
          ),
          'CREATE_FAILED',
          `Cannot create platform key "${keyName}"`,
        );
        const key = keyOut[0] ?? 0n;
        try {
          // The key exists in the TPM only once finalized. No export policy is set, so the private part is not exportable.
          check(
            lib.symbols.NCryptFinalizeKey(key, NCRYPT_SILENT_FLAG),
            'CREATE_FAILED',
            `Cannot create platform key "${keyName}"`,
          );
          return exportPublicKey(lib, key, keyName);
        } finally {
          lib.symbols.NCryptFreeObject(key);
        }
      });
      return handle(keyName, spki);
    },
  };
}
