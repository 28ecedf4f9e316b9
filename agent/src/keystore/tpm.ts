import { CString, dlopen, FFIType, type Library, toArrayBuffer } from 'bun:ffi';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { toBase64Url } from '@ceros/protocol';
import {
  type FapiConfigOptions,
  fapiKeyPath,
  parseFapiExportedPublicKey,
  writeFapiConfig,
} from './fapi-config.ts';
import { parseP256PublicKeyPem } from './key-encoding.ts';
import {
  type DeviceKeyHandle,
  isValidKeyName,
  type Keystore,
  KeystoreError,
  type KeystoreErrorCode,
} from './keystore.ts';
import { describeTss2Rc, isKeyRejected, isTpmUnreachable, TSS2_RC } from './tss2-rc.ts';

/**
 * Linux TPM 2.0 through tpm2-tss's FAPI (libtss2-fapi.so.1) and bun:ffi. The P-256 key is created
 * inside the TPM ("sign,noDa") under a transient SRK; FAPI's keystore under CEROS_HOME/tpm holds only
 * the TPM-wrapped private blob, which no other TPM can load. Each operation opens its own FAPI
 * context and closes it: nothing holds the TPM between sessions, and swtpm (one client at a time)
 * works for tests.
 */

export const FAPI_LIBRARY = 'libtss2-fapi.so.1';
const TSS2_RC_LIBRARY = 'libtss2-rc.so.0';
const LIBC = 'libc.so.6';

export interface TpmKeystoreOptions extends FapiConfigOptions {
  /** File name or path of libtss2-fapi; default `libtss2-fapi.so.1` from the loader's search path. */
  libraryPath?: string;
}

const FAPI_SYMBOLS = {
  Fapi_Initialize: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.u32 },
  Fapi_Finalize: { args: [FFIType.ptr], returns: FFIType.void },
  Fapi_Free: { args: [FFIType.ptr], returns: FFIType.void },
  Fapi_Provision: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.u32 },
  Fapi_CreateKey: {
    args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr],
    returns: FFIType.u32,
  },
  Fapi_Delete: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.u32 },
  Fapi_ExportKey: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.u32 },
  Fapi_Sign: {
    args: [
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u64,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
    ],
    returns: FFIType.u32,
  },
} as const;

type FapiLibrary = Library<typeof FAPI_SYMBOLS>;

const libraries = new Map<string, FapiLibrary>();
let libcSetenv: ((name: string, value: string, overwrite: boolean) => void) | undefined;
let rcDecoder: ((rc: number) => string | undefined) | null | undefined;

function loadFapi(path: string): FapiLibrary {
  const cached = libraries.get(path);
  if (cached) return cached;
  try {
    const library = dlopen(path, FAPI_SYMBOLS);
    libraries.set(path, library);
    return library;
  } catch (error) {
    throw new KeystoreError(
      'UNAVAILABLE',
      `Cannot load the TPM library "${path}": ${(error as Error).message}; install the Debian package libtss2-fapi1`,
      { cause: error },
    );
  }
}

/**
 * FAPI reads TSS2_FAPICONF with C getenv, and assigning process.env in Bun does not reach the C
 * environment: call libc setenv.
 */
function setCEnv(name: string, value: string, overwrite: boolean): void {
  if (!libcSetenv) {
    try {
      const libc = dlopen(LIBC, {
        setenv: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      });
      libcSetenv = (n, v, o) => {
        if (libc.symbols.setenv(cString(n), cString(v), o ? 1 : 0) !== 0)
          throw new Error(`setenv("${n}") failed`);
      };
    } catch (error) {
      throw new KeystoreError(
        'UNAVAILABLE',
        `Cannot set "${name}" for the TPM library: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  libcSetenv(name, value, overwrite);
}

/** libtss2-rc's text for codes tss2-rc.ts does not know; optional (null when the library is absent). */
function decodeRc(rc: number): string | undefined {
  if (rcDecoder === undefined) {
    try {
      const lib = dlopen(TSS2_RC_LIBRARY, { Tss2_RC_Decode: { args: [FFIType.u32], returns: FFIType.ptr } });
      rcDecoder = (code) => {
        const text = lib.symbols.Tss2_RC_Decode(code);
        return text ? new CString(text) : undefined;
      };
    } catch {
      rcDecoder = null;
    }
  }
  return rcDecoder?.(rc);
}

function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

function tpmError(code: KeystoreErrorCode, action: string, rc: number): KeystoreError {
  const actual = isTpmUnreachable(rc) ? 'UNAVAILABLE' : isKeyRejected(rc) ? 'KEY_CORRUPT' : code;
  return new KeystoreError(actual, `${action}: ${describeTss2Rc(rc, decodeRc(rc))}`, { tssRc: rc });
}

/** One open FAPI context; methods return the raw TSS2 code where callers branch on it. */
interface FapiSession {
  provision(): number;
  createKey(path: string): number;
  deleteKey(path: string): number;
  exportPublicKey(path: string): { rc: number; exported?: string };
  sign(path: string, digest: Uint8Array): { rc: number; signature?: Uint8Array; publicKeyPem?: string };
}

/** A readable message before FAPI's generic "IO failure" for the usual /dev/tpmrm0 problems. */
function checkDevice(tcti: string): void {
  if (!tcti.startsWith('device:')) return;
  const device = tcti.slice('device:'.length) || '/dev/tpmrm0';
  if (!existsSync(device)) {
    throw new KeystoreError(
      'UNAVAILABLE',
      `Cannot use the TPM: "${device}" does not exist (no TPM 2.0, or it is disabled in the firmware)`,
    );
  }
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    throw new KeystoreError(
      'UNAVAILABLE',
      `Cannot open the TPM "${device}": permission denied; add the user to the "tss" group and log in again`,
    );
  }
}

function withFapi<T>(options: TpmKeystoreOptions, action: (fapi: FapiSession) => T): T {
  checkDevice(options.tcti);
  const lib = loadFapi(options.libraryPath ?? FAPI_LIBRARY);
  const configPath = writeFapiConfig(options);
  setCEnv('TSS2_FAPICONF', configPath, true);
  // FAPI logs its errors to stderr; we report them as KeystoreErrors. A TSS2_LOG set by the user wins.
  setCEnv('TSS2_LOG', 'all+NONE', false);
  const f = lib.symbols;
  const contextBox = new BigUint64Array(1);
  // FAPI creates its keystore files with the process umask: keep them private (0700/0600).
  const previousMask = process.umask(0o077);
  try {
    const rc = f.Fapi_Initialize(contextBox, null);
    if (rc !== TSS2_RC.SUCCESS)
      throw tpmError('UNAVAILABLE', `Cannot reach the TPM at "${options.tcti}"`, rc);
    const context = contextBox[0] ?? 0n;
    try {
      return action({
        provision: () => f.Fapi_Provision(context, null, null, null),
        createKey: (path) => f.Fapi_CreateKey(context, cString(path), cString('sign,noDa'), null, null),
        deleteKey: (path) => f.Fapi_Delete(context, cString(path)),
        exportPublicKey(path) {
          const out = new BigUint64Array(1);
          const rc = f.Fapi_ExportKey(context, cString(path), null, out);
          const pointer = out[0] ?? 0n;
          if (rc !== TSS2_RC.SUCCESS || pointer === 0n) return { rc };
          try {
            return { rc, exported: new CString(pointer) };
          } finally {
            f.Fapi_Free(pointer);
          }
        },
        sign(path, digest) {
          const signatureOut = new BigUint64Array(1);
          const sizeOut = new BigUint64Array(1);
          const publicKeyOut = new BigUint64Array(1);
          const rc = f.Fapi_Sign(
            context,
            cString(path),
            null,
            digest,
            digest.length,
            signatureOut,
            sizeOut,
            publicKeyOut,
            null,
          );
          const signaturePointer = signatureOut[0] ?? 0n;
          const publicKeyPointer = publicKeyOut[0] ?? 0n;
          try {
            if (rc !== TSS2_RC.SUCCESS || signaturePointer === 0n) return { rc };
            const size = Number(sizeOut[0] ?? 0n);
            return {
              rc,
              signature: new Uint8Array(toArrayBuffer(signaturePointer, 0, size).slice(0)),
              ...(publicKeyPointer === 0n ? {} : { publicKeyPem: new CString(publicKeyPointer) }),
            };
          } finally {
            if (signaturePointer !== 0n) f.Fapi_Free(signaturePointer);
            if (publicKeyPointer !== 0n) f.Fapi_Free(publicKeyPointer);
          }
        },
      });
    } finally {
      f.Fapi_Finalize(contextBox);
    }
  } finally {
    process.umask(previousMask);
  }
}

function checkName(name: string): string {
  if (!isValidKeyName(name)) {
    throw new KeystoreError(
      'INVALID_ARGUMENT',
      `Cannot use "${name}" as a TPM key name: use 1-64 letters, digits, ".", "_" or "-"`,
    );
  }
  return fapiKeyPath(name);
}

function readPublicKey(fapi: FapiSession, path: string): Uint8Array | undefined {
  const { rc, exported } = fapi.exportPublicKey(path);
  if (
    rc === TSS2_RC.FAPI_KEY_NOT_FOUND ||
    rc === TSS2_RC.FAPI_PATH_NOT_FOUND ||
    rc === TSS2_RC.FAPI_NOT_PROVISIONED
  ) {
    return undefined;
  }
  if (rc !== TSS2_RC.SUCCESS || exported === undefined) {
    throw tpmError('KEY_CORRUPT', `Cannot read the public key of TPM key "${path}"`, rc);
  }
  const spki = parseFapiExportedPublicKey(exported);
  if (!spki.ok)
    throw new KeystoreError('KEY_CORRUPT', `Cannot read the public key of TPM key "${path}": ${spki.error}`);
  return spki.value;
}

function toHandle(options: TpmKeystoreOptions, path: string, spki: Uint8Array): DeviceKeyHandle {
  const publicKeySpki = toBase64Url(spki);
  const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return {
    publicKeySpki,
    protection: 'tpm',
    async sign(message) {
      const digest = createHash('sha256').update(message).digest();
      const result = withFapi(options, (fapi) => fapi.sign(path, digest));
      if (result.rc !== TSS2_RC.SUCCESS || !result.signature) {
        throw tpmError('SIGN_FAILED', `Cannot sign with TPM key "${path}"`, result.rc);
      }
      // The key on disk can change under a long-lived handle (re-enrollment in another process).
      const signer =
        result.publicKeyPem === undefined ? undefined : parseP256PublicKeyPem(result.publicKeyPem);
      if (signer?.ok && toBase64Url(signer.value) !== publicKeySpki) {
        throw new KeystoreError(
          'KEY_CORRUPT',
          `Cannot sign with TPM key "${path}": the key was replaced since it was loaded`,
        );
      }
      // One verify (~0.1 ms) so that a TPM or FAPI fault never yields a certificate nobody can check.
      if (!verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, result.signature)) {
        throw new KeystoreError(
          'SIGN_FAILED',
          `Cannot sign with TPM key "${path}": the TPM returned a bad signature`,
        );
      }
      return result.signature;
    },
  };
}

export function createTpmKeystore(options: TpmKeystoreOptions): Keystore {
  return {
    kind: 'tpm',
    async load(name) {
      const path = checkName(name);
      const spki = withFapi(options, (fapi) => readPublicKey(fapi, path));
      return spki && toHandle(options, path, spki);
    },
    async create(name) {
      const path = checkName(name);
      const spki = withFapi(options, (fapi) => {
        let rc = fapi.createKey(path);
        if (rc === TSS2_RC.FAPI_NOT_PROVISIONED) {
          const provisioned = fapi.provision();
          if (provisioned !== TSS2_RC.SUCCESS && provisioned !== TSS2_RC.FAPI_ALREADY_PROVISIONED) {
            throw tpmError(
              'CREATE_FAILED',
              `Cannot provision the TPM keystore in "${options.dir}"`,
              provisioned,
            );
          }
          rc = fapi.createKey(path);
        }
        if (rc === TSS2_RC.FAPI_PATH_ALREADY_EXISTS) {
          const deleted = fapi.deleteKey(path);
          if (deleted !== TSS2_RC.SUCCESS)
            throw tpmError('CREATE_FAILED', `Cannot replace TPM key "${path}"`, deleted);
          rc = fapi.createKey(path);
        }
        if (rc !== TSS2_RC.SUCCESS) throw tpmError('CREATE_FAILED', `Cannot create TPM key "${path}"`, rc);
        const created = readPublicKey(fapi, path);
        if (!created)
          throw new KeystoreError('CREATE_FAILED', `Cannot find TPM key "${path}" right after creating it`);
        return created;
      });
      return toHandle(options, path, spki);
    },
  };
}

export type TpmProbe = { ok: true } | { ok: false; error: KeystoreError };

/**
 * Whether the TPM answers: loads libtss2-fapi and opens (then closes) a FAPI context, which
 * connects through the TCTI and reads the TPM's capabilities. Never throws.
 */
export function probeTpm(options: TpmKeystoreOptions): TpmProbe {
  try {
    withFapi(options, () => undefined);
    return { ok: true };
  } catch (error) {
    if (error instanceof KeystoreError) return { ok: false, error };
    return {
      ok: false,
      error: new KeystoreError('UNAVAILABLE', `Cannot use the TPM: ${(error as Error).message}`),
    };
  }
}
