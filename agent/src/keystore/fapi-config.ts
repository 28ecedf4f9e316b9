import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseResult } from '@ceros/protocol';
import { ensurePrivateDir, writePrivateFile } from '../state/secure-fs.ts';
import { parseP256PublicKeyPem } from './key-encoding.ts';

/**
 * The FAPI config and crypto profile ceros writes for itself under CEROS_HOME/tpm, so it never
 * depends on (or changes) the machine's /etc/tpm2-tss setup or /var/lib/tpm2-tss keystore.
 */

export const FAPI_PROFILE_NAME = 'P_ECCP256SHA256';

/** TCTI of a real TPM through the kernel's resource manager. */
export const DEFAULT_TCTI = 'device:/dev/tpmrm0';

export interface FapiConfigOptions {
  /** CEROS_HOME/tpm: holds the config, the profile and FAPI's keystore (TPM-wrapped blobs only). */
  dir: string;
  /** `device:/dev/tpmrm0` on hardware, `swtpm:host=127.0.0.1,port=P` for tests. */
  tcti: string;
  /** Provision without verifying an EK certificate (swtpm has none; some firmware TPMs neither). */
  ekCertLess: boolean;
}

export interface FapiLayout {
  configPath: string;
  profileDir: string;
  userDir: string;
  systemDir: string;
  logDir: string;
}

export function fapiLayout(dir: string): FapiLayout {
  return {
    configPath: join(dir, 'fapi-config.json'),
    profileDir: join(dir, 'profiles'),
    userDir: join(dir, 'user'),
    systemDir: join(dir, 'system'),
    logDir: join(dir, 'log'),
  };
}

/** FAPI key path of the device key named `name`: a child of the storage root key. */
export function fapiKeyPath(name: string): string {
  return `/HS/SRK/${name}`;
}

export function toFapiConfig(options: FapiConfigOptions): Record<string, unknown> {
  const layout = fapiLayout(options.dir);
  return {
    profile_name: FAPI_PROFILE_NAME,
    profile_dir: layout.profileDir,
    user_dir: layout.userDir,
    system_dir: layout.systemDir,
    log_dir: layout.logDir,
    tcti: options.tcti,
    system_pcrs: [],
    ...(options.ekCertLess ? { ek_cert_less: 'yes' } : {}),
  };
}

/**
 * tpm2-tss's stock P_ECCP256SHA256 profile with one change: the SRK template carries no persistent
 * handle. The stock template persists the SRK at 0x81000001, which needs owner authorization and
 * collides with whoever already holds that handle (systemd-cryptenroll, another user's FAPI, 3.2.x
 * fails with "SRK persistent handle already defined"). A transient SRK is re-derived from the same
 * template and seed on each use: the same key, one CreatePrimary per operation (about 20 ms on swtpm).
 */
export function toFapiProfile(): Record<string, unknown> {
  return {
    type: 'TPM2_ALG_ECC',
    nameAlg: 'TPM2_ALG_SHA256',
    srk_template: 'system,restricted,decrypt',
    srk_description: 'Storage root key SRK',
    ek_template: 'system,restricted,decrypt',
    ek_description: 'Endorsement key EK',
    ecc_signing_scheme: { scheme: 'TPM2_ALG_ECDSA', details: { hashAlg: 'TPM2_ALG_SHA256' } },
    sym_mode: 'TPM2_ALG_CFB',
    sym_parameters: { algorithm: 'TPM2_ALG_AES', keyBits: '128', mode: 'TPM2_ALG_CFB' },
    sym_block_size: 16,
    pcr_selection: [
      { hash: 'TPM2_ALG_SHA1', pcrSelect: [] },
      { hash: 'TPM2_ALG_SHA256', pcrSelect: Array.from({ length: 24 }, (_, i) => i) },
    ],
    curveID: 'TPM2_ECC_NIST_P256',
    ek_policy: {
      description: 'Endorsement hierarchy used for policy secret.',
      policy: [{ type: 'POLICYSECRET', objectName: '4000000b' }],
    },
  };
}

/**
 * Writes the config and profile (0700 folders, 0600 files) and returns the config's path. Runs before
 * every TPM operation, so files already holding the right content are left alone (no fsync).
 */
export function writeFapiConfig(options: FapiConfigOptions): string {
  const layout = fapiLayout(options.dir);
  ensurePrivateDir(options.dir);
  for (const dir of [layout.profileDir, layout.userDir, layout.systemDir, layout.logDir])
    ensurePrivateDir(dir);
  writeIfChanged(
    join(layout.profileDir, `${FAPI_PROFILE_NAME}.json`),
    `${JSON.stringify(toFapiProfile(), null, 2)}\n`,
  );
  writeIfChanged(layout.configPath, `${JSON.stringify(toFapiConfig(options), null, 2)}\n`);
  return layout.configPath;
}

function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writePrivateFile(path, text);
}

/** Names of the device keys FAPI's user keystore under `dir` holds (read from disk, no TPM needed). */
export function listTpmKeyNames(dir: string): string[] {
  const srk = join(fapiLayout(dir).userDir, FAPI_PROFILE_NAME, 'HS', 'SRK');
  if (!existsSync(srk)) return [];
  return readdirSync(srk, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(srk, entry.name, 'object.json')))
    .map((entry) => entry.name)
    .sort();
}

/** The SPKI DER public key in what Fapi_ExportKey returns for a key when no new parent is given. */
export function parseFapiExportedPublicKey(exported: string): ParseResult<Uint8Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(exported);
  } catch (error) {
    return { ok: false, error: `Cannot parse FAPI's exported key: ${(error as Error).message}` };
  }
  const pem = (parsed as { pem_ext_public?: unknown } | null)?.pem_ext_public;
  if (typeof pem !== 'string') return { ok: false, error: 'FAPI\'s exported key has no "pem_ext_public"' };
  return parseP256PublicKeyPem(pem);
}
