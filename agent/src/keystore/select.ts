import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyProtection } from '@ceros/protocol';
import { DEFAULT_TCTI, listTpmKeyNames } from './fapi-config.ts';
import { createFileKeystore } from './file.ts';
import { type Keystore, KeystoreError } from './keystore.ts';
import { createNcryptKeystore, isPlatformCryptoAvailable, MS_PLATFORM_CRYPTO_PROVIDER } from './ncrypt.ts';
import {
  createSecureEnclaveKeystore,
  defaultSecureEnclaveLibraryPath,
  isSecureEnclaveAvailable,
} from './secure-enclave.ts';
import { createTpmKeystore, probeTpm, type TpmKeystoreOptions, type TpmProbe } from './tpm.ts';

/**
 * Picks where the device key lives. Hardware when the platform has it and it works (Linux TPM 2.0,
 * macOS Secure Enclave, Windows Platform Crypto Provider), else a software key, said plainly.
 *
 * Two rules keep the choice stable and honest:
 * - an explicit request (`prefer`, else CEROS_KEYSTORE) for hardware that is not usable is an error,
 *   never a silent fallback to software;
 * - an existing device key decides the backend: a key enrolled in the TPM is never silently replaced
 *   by a software key when the TPM stops answering, and an enrolled software key keeps working when
 *   a TPM appears (re-enroll with CEROS_KEYSTORE=tpm to move to it).
 */

export type KeystorePreference = 'auto' | KeyProtection;

const PREFERENCES: readonly KeystorePreference[] = [
  'auto',
  'software',
  'tpm',
  'secure-enclave',
  'platform-crypto',
];

/** Which hardware backend each platform has. */
const HARDWARE: Readonly<Record<string, KeyProtection>> = {
  linux: 'tpm',
  darwin: 'secure-enclave',
  win32: 'platform-crypto',
};

export interface KeystoreProbes {
  tpm(options: TpmKeystoreOptions): TpmProbe;
  secureEnclave(libraryPath: string): boolean;
  platformCrypto(): boolean;
  exists(path: string): boolean;
}

export interface SelectKeystoreOptions {
  env: Readonly<Record<string, string | undefined>>;
  cerosHome: string;
  /** `process.platform`. */
  platform: string;
  /** From a command-line flag; wins over CEROS_KEYSTORE. Leave undefined when no flag was given. */
  prefer?: KeystorePreference;
  /** The device key's name, whose existence decides the backend; default "device". */
  keyName?: string;
  /** Folder with native helper libraries (macOS: libceros-secure-enclave.dylib), e.g. next to the binary. */
  nativeLibraryDir?: string;
  /** Test seams; default to the real probes. */
  probes?: Partial<KeystoreProbes>;
}

export interface KeystoreSelection {
  keystore: Keystore;
  kind: KeyProtection;
  /** One plain sentence for enrollment and `ceros status` output: what was picked and why. */
  reason: string;
}

export const DEFAULT_KEY_NAME = 'device';

/** Where each backend keeps its files under CEROS_HOME. */
export function keystorePaths(cerosHome: string): { keysDir: string; tpmDir: string } {
  return { keysDir: join(cerosHome, 'keys'), tpmDir: join(cerosHome, 'tpm') };
}

/** TPM settings from the environment: CEROS_TPM_TCTI, CEROS_TPM_EK_CERT_LESS, CEROS_TPM_LIBRARY. */
export function tpmOptionsFromEnv(env: SelectKeystoreOptions['env'], tpmDir: string): TpmKeystoreOptions {
  const tcti = env.CEROS_TPM_TCTI?.trim() || DEFAULT_TCTI;
  const askedCertLess = /^(1|yes|true)$/i.test(env.CEROS_TPM_EK_CERT_LESS?.trim() ?? '');
  // Simulators never carry an endorsement key certificate FAPI could verify.
  const simulator = tcti.startsWith('swtpm:') || tcti.startsWith('mssim:');
  const libraryPath = env.CEROS_TPM_LIBRARY?.trim();
  return {
    dir: tpmDir,
    tcti,
    ekCertLess: askedCertLess || simulator,
    ...(libraryPath ? { libraryPath } : {}),
  };
}

export function parseKeystorePreference(value: string | undefined): KeystorePreference | undefined {
  const trimmed = value?.trim().toLowerCase();
  if (!trimmed) return undefined;
  if ((PREFERENCES as readonly string[]).includes(trimmed)) return trimmed as KeystorePreference;
  throw new KeystoreError(
    'INVALID_ARGUMENT',
    `Cannot use keystore "${value}": expected one of ${PREFERENCES.map((p) => `"${p}"`).join(', ')}`,
  );
}

export function selectKeystore(options: SelectKeystoreOptions): KeystoreSelection {
  const probes: KeystoreProbes = {
    tpm: probeTpm,
    secureEnclave: isSecureEnclaveAvailable,
    platformCrypto: isPlatformCryptoAvailable,
    exists: existsSync,
    ...options.probes,
  };
  const { env, platform } = options;
  const keyName = options.keyName ?? DEFAULT_KEY_NAME;
  const { keysDir, tpmDir } = keystorePaths(options.cerosHome);
  const fromFlag = options.prefer !== undefined && options.prefer !== 'auto';
  const requested = fromFlag ? options.prefer : parseKeystorePreference(env.CEROS_KEYSTORE);
  const source = fromFlag ? 'requested' : 'requested by CEROS_KEYSTORE';
  const hardware = HARDWARE[platform];
  const softwareKeyPath = join(keysDir, `${keyName}.p256.pk8`);

  const software = (why: string): KeystoreSelection => ({
    keystore: createFileKeystore(keysDir),
    kind: 'software',
    reason: `${why}: using a software device key in "${keysDir}", which any program running as this user can copy`,
  });

  /** The hardware backend of this platform if it works, else why not. */
  const tryHardware = (): { ok: true; selection: KeystoreSelection } | { ok: false; why: string } => {
    if (hardware === 'tpm') {
      const tpm = tpmOptionsFromEnv(env, tpmDir);
      const probe = probes.tpm(tpm);
      if (!probe.ok) return { ok: false, why: probe.error.message };
      return {
        ok: true,
        selection: {
          keystore: createTpmKeystore(tpm),
          kind: 'tpm',
          reason: `Using the TPM at "${tpm.tcti}"`,
        },
      };
    }
    if (hardware === 'secure-enclave') {
      const dir = options.nativeLibraryDir;
      const libraryPath =
        env.CEROS_SECURE_ENCLAVE_LIB?.trim() || (dir && defaultSecureEnclaveLibraryPath(dir));
      if (!libraryPath) {
        return {
          ok: false,
          why: 'The Secure Enclave helper library is not installed (set CEROS_SECURE_ENCLAVE_LIB)',
        };
      }
      if (!probes.secureEnclave(libraryPath)) {
        return { ok: false, why: `The Secure Enclave is not usable through "${libraryPath}"` };
      }
      return {
        ok: true,
        selection: {
          keystore: createSecureEnclaveKeystore({ dir: keysDir, libraryPath }),
          kind: 'secure-enclave',
          reason: 'Using the Secure Enclave',
        },
      };
    }
    if (hardware === 'platform-crypto') {
      if (!probes.platformCrypto())
        return { ok: false, why: `The "${MS_PLATFORM_CRYPTO_PROVIDER}" is not usable` };
      return {
        ok: true,
        selection: {
          keystore: createNcryptKeystore(),
          kind: 'platform-crypto',
          reason: `Using the TPM through the "${MS_PLATFORM_CRYPTO_PROVIDER}"`,
        },
      };
    }
    return { ok: false, why: `No hardware keystore is supported on "${platform}"` };
  };

  const requireHardware = (context: string): KeystoreSelection => {
    const result = tryHardware();
    if (result.ok) return result.selection;
    throw new KeystoreError('UNAVAILABLE', `${context}, but it is not usable: ${result.why}`);
  };

  if (requested === 'software') return software(`A software key was ${source}`);
  if (requested !== undefined && requested !== 'auto') {
    if (requested !== hardware) {
      throw new KeystoreError(
        'UNAVAILABLE',
        `Cannot use keystore "${requested}" on "${platform}"${hardware ? `: this platform has "${hardware}"` : ''}`,
      );
    }
    return requireHardware(`Keystore "${requested}" was ${source}`);
  }

  // auto: an existing device key decides.
  const hardwareKeyExists =
    (hardware === 'tpm' && listTpmKeyNames(tpmDir).includes(keyName)) ||
    (hardware === 'secure-enclave' && probes.exists(join(keysDir, `${keyName}.p256.enclave`)));
  if (hardwareKeyExists) return requireHardware(`Device key "${keyName}" is held by the ${hardware}`);
  if (probes.exists(softwareKeyPath))
    return software(`Device key "${keyName}" was enrolled as a software key`);

  if (hardware === 'tpm' && !env.CEROS_TPM_TCTI?.trim() && !probes.exists('/dev/tpmrm0')) {
    return software('No TPM found ("/dev/tpmrm0" does not exist and CEROS_TPM_TCTI is not set)');
  }
  const result = tryHardware();
  if (result.ok) return result.selection;
  return software(result.why);
}
