import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAPI_PROFILE_NAME, fapiLayout } from './fapi-config.ts';
import { KeystoreError } from './keystore.ts';
import {
  type KeystoreProbes,
  keystorePaths,
  parseKeystorePreference,
  type SelectKeystoreOptions,
  selectKeystore,
  tpmOptionsFromEnv,
} from './select.ts';
import type { TpmKeystoreOptions } from './tpm.ts';

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});
function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'ceros-select-'));
  homes.push(home);
  return home;
}

/** Probes of a machine described by flags; records what was probed. */
function machine(flags: { tpmDevice?: boolean; tpmWorks?: boolean; enclave?: boolean; pcp?: boolean }) {
  const probed: TpmKeystoreOptions[] = [];
  const probes: KeystoreProbes = {
    tpm(options) {
      probed.push(options);
      return flags.tpmWorks
        ? { ok: true }
        : {
            ok: false,
            error: new KeystoreError('UNAVAILABLE', `Cannot reach the TPM at "${options.tcti}": 0x000a000a`),
          };
    },
    secureEnclave: () => flags.enclave ?? false,
    platformCrypto: () => flags.pcp ?? false,
    exists: (path) => (path === '/dev/tpmrm0' ? (flags.tpmDevice ?? false) : existsSync(path)),
  };
  return { probes, probed };
}

function select(options: Partial<SelectKeystoreOptions> & { probes: KeystoreProbes }) {
  return selectKeystore({ env: {}, cerosHome: freshHome(), platform: 'linux', ...options });
}

function errorOf(run: () => unknown): KeystoreError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeystoreError) return error;
    throw error;
  }
  throw new Error('expected a KeystoreError');
}

function enrollTpmKey(home: string, name = 'device'): void {
  const dir = join(fapiLayout(keystorePaths(home).tpmDir).userDir, FAPI_PROFILE_NAME, 'HS', 'SRK', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'object.json'), '{}');
}

function enrollSoftwareKey(home: string, name = 'device'): void {
  mkdirSync(keystorePaths(home).keysDir, { recursive: true });
  writeFileSync(join(keystorePaths(home).keysDir, `${name}.p256.pk8`), 'x');
}

describe('selectKeystore() on Linux', () => {
  test('picks the TPM when /dev/tpmrm0 exists and answers', () => {
    const { probes, probed } = machine({ tpmDevice: true, tpmWorks: true });
    const selection = select({ probes });
    expect(selection.kind).toBe('tpm');
    expect(selection.keystore.kind).toBe('tpm');
    expect(probed[0]).toMatchObject({ tcti: 'device:/dev/tpmrm0', ekCertLess: false });
  });

  test('falls back to a software key, said plainly, when there is no TPM device', () => {
    const { probes, probed } = machine({ tpmDevice: false });
    const selection = select({ probes });
    expect(selection.kind).toBe('software');
    expect(selection.reason).toContain('No TPM found');
    expect(selection.reason).toContain('any program running as this user can copy');
    expect(probed).toEqual([]);
  });

  test('falls back to software with the TPM error as the reason when the TPM does not answer', () => {
    const { probes } = machine({ tpmDevice: true, tpmWorks: false });
    const selection = select({ probes });
    expect(selection.kind).toBe('software');
    expect(selection.reason).toContain('Cannot reach the TPM at "device:/dev/tpmrm0"');
  });

  test('CEROS_TPM_TCTI counts as a TPM even without /dev/tpmrm0, and a simulator implies ek_cert_less', () => {
    const { probes, probed } = machine({ tpmWorks: true });
    const selection = select({ probes, env: { CEROS_TPM_TCTI: 'swtpm:host=127.0.0.1,port=2321' } });
    expect(selection.kind).toBe('tpm');
    expect(probed[0]).toMatchObject({ tcti: 'swtpm:host=127.0.0.1,port=2321', ekCertLess: true });
  });

  test('CEROS_KEYSTORE=tpm with no usable TPM throws UNAVAILABLE rather than falling back', () => {
    const { probes } = machine({ tpmDevice: true, tpmWorks: false });
    const error = errorOf(() => select({ probes, env: { CEROS_KEYSTORE: 'tpm' } }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('requested by CEROS_KEYSTORE');
  });

  test('CEROS_KEYSTORE=software uses the software key even when a TPM works', () => {
    const { probes, probed } = machine({ tpmDevice: true, tpmWorks: true });
    const selection = select({ probes, env: { CEROS_KEYSTORE: 'software' } });
    expect(selection.kind).toBe('software');
    expect(probed).toEqual([]);
  });

  test('prefer wins over CEROS_KEYSTORE', () => {
    const { probes } = machine({ tpmDevice: true, tpmWorks: true });
    expect(select({ probes, env: { CEROS_KEYSTORE: 'tpm' }, prefer: 'software' }).kind).toBe('software');
    expect(select({ probes, env: { CEROS_KEYSTORE: 'software' }, prefer: 'tpm' }).kind).toBe('tpm');
    expect(select({ probes, env: { CEROS_KEYSTORE: 'software' }, prefer: 'auto' }).kind).toBe('software');
  });

  test('a device key enrolled in the TPM requires the TPM: no silent switch to a software key', () => {
    const home = freshHome();
    enrollTpmKey(home);
    const { probes } = machine({ tpmDevice: true, tpmWorks: false });
    const error = errorOf(() => select({ probes, cerosHome: home }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('Device key "device" is held by the tpm');
  });

  test('a device key enrolled as software keeps being used when a TPM appears', () => {
    const home = freshHome();
    enrollSoftwareKey(home);
    const { probes, probed } = machine({ tpmDevice: true, tpmWorks: true });
    const selection = select({ probes, cerosHome: home });
    expect(selection.kind).toBe('software');
    expect(selection.reason).toContain('enrolled as a software key');
    expect(probed).toEqual([]);
  });

  test('an unknown CEROS_KEYSTORE value is INVALID_ARGUMENT', () => {
    const { probes } = machine({});
    expect(errorOf(() => select({ probes, env: { CEROS_KEYSTORE: 'yubikey' } })).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  test("asking for another platform's hardware is UNAVAILABLE and names what this platform has", () => {
    const { probes } = machine({ tpmDevice: true, tpmWorks: true });
    const error = errorOf(() => select({ probes, env: { CEROS_KEYSTORE: 'secure-enclave' } }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('this platform has "tpm"');
  });
});

describe('selectKeystore() on macOS and Windows', () => {
  test('macOS picks the Secure Enclave when the helper library is there and the enclave answers', () => {
    const { probes } = machine({ enclave: true });
    const selection = select({ probes, platform: 'darwin', nativeLibraryDir: '/opt/ceros/lib' });
    expect(selection.kind).toBe('secure-enclave');
  });

  test('macOS without the helper library falls back to software and says why', () => {
    const { probes } = machine({ enclave: true });
    const selection = select({ probes, platform: 'darwin' });
    expect(selection.kind).toBe('software');
    expect(selection.reason).toContain('CEROS_SECURE_ENCLAVE_LIB');
  });

  test('Windows picks the Platform Crypto Provider when it opens', () => {
    const { probes } = machine({ pcp: true });
    expect(select({ probes, platform: 'win32' }).kind).toBe('platform-crypto');
    expect(select({ probes: machine({ pcp: false }).probes, platform: 'win32' }).kind).toBe('software');
  });

  test('other platforms get a software key', () => {
    const selection = select({ probes: machine({}).probes, platform: 'freebsd' });
    expect(selection.kind).toBe('software');
    expect(selection.reason).toContain('"freebsd"');
  });
});

test('parseKeystorePreference() accepts the known values in any case and ignores blanks', () => {
  expect(parseKeystorePreference(' TPM ')).toBe('tpm');
  expect(parseKeystorePreference('')).toBeUndefined();
  expect(parseKeystorePreference(undefined)).toBeUndefined();
});

test('tpmOptionsFromEnv() reads CEROS_TPM_TCTI, CEROS_TPM_EK_CERT_LESS and CEROS_TPM_LIBRARY', () => {
  expect(tpmOptionsFromEnv({}, '/h/tpm')).toEqual({
    dir: '/h/tpm',
    tcti: 'device:/dev/tpmrm0',
    ekCertLess: false,
  });
  expect(
    tpmOptionsFromEnv(
      {
        CEROS_TPM_TCTI: 'device:/dev/tpm0',
        CEROS_TPM_EK_CERT_LESS: 'yes',
        CEROS_TPM_LIBRARY: '/opt/libtss2-fapi.so.1',
      },
      '/h/tpm',
    ),
  ).toEqual({
    dir: '/h/tpm',
    tcti: 'device:/dev/tpm0',
    ekCertLess: true,
    libraryPath: '/opt/libtss2-fapi.so.1',
  });
});
