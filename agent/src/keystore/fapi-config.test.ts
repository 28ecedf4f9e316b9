import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FAPI_PROFILE_NAME,
  fapiLayout,
  listTpmKeyNames,
  parseFapiExportedPublicKey,
  toFapiConfig,
  toFapiProfile,
  writeFapiConfig,
} from './fapi-config.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ceros-fapi-config-'));
  dirs.push(dir);
  return dir;
}

// Captured from Fapi_ExportKey(ctx, "/HS/SRK/ceros-device", NULL, &json) on tpm2-tss 3.2.1 + swtpm 0.7.1.
const EXPORTED = `{
  "objectType":3,
  "system":"NO",
  "pem_ext_public":"-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5m2AKmGD057DVCxoaI8jNm0aVRB3\\nhEbWavUOMUuhdYsvqjLnkZ6\\/dGMQt5msv7wN82YlBu1yqXeua3veykZtgA==\\n-----END PUBLIC KEY-----\\n",
  "public":{ "size":86, "publicArea":{ "type":"ECC", "nameAlg":"SHA256",
    "unique":{ "x":"e66d802a6183d39ec3542c68688f23366d1a5510778446d66af50e314ba1758b",
               "y":"2faa32e7919ebf746310b799acbfbc0df3662506ed72a977ae6b7bdeca466d80" } } }
}`;

describe('FAPI config', () => {
  test('toFapiConfig() keeps every FAPI folder under the given dir and sets ek_cert_less only when asked', () => {
    const config = toFapiConfig({ dir: '/home/a/.ceros/tpm', tcti: 'device:/dev/tpmrm0', ekCertLess: false });
    expect(config).toEqual({
      profile_name: 'P_ECCP256SHA256',
      profile_dir: '/home/a/.ceros/tpm/profiles',
      user_dir: '/home/a/.ceros/tpm/user',
      system_dir: '/home/a/.ceros/tpm/system',
      log_dir: '/home/a/.ceros/tpm/log',
      tcti: 'device:/dev/tpmrm0',
      system_pcrs: [],
    });
    const swtpm = toFapiConfig({ dir: '/t', tcti: 'swtpm:host=127.0.0.1,port=2321', ekCertLess: true });
    expect(swtpm.ek_cert_less).toBe('yes');
    expect(swtpm.tcti).toBe('swtpm:host=127.0.0.1,port=2321');
  });

  test('toFapiProfile() gives the SRK no persistent handle, so provisioning never needs 0x81000001', () => {
    const profile = toFapiProfile();
    expect(profile.srk_template).toBe('system,restricted,decrypt');
    expect(String(profile.srk_template)).not.toMatch(/0x81/);
    expect(profile.curveID).toBe('TPM2_ECC_NIST_P256');
  });

  test('writeFapiConfig() writes the config and profile as 0600 files in 0700 folders', () => {
    const dir = join(tempDir(), 'tpm');
    const path = writeFapiConfig({ dir, tcti: 'device:/dev/tpmrm0', ekCertLess: false });
    const layout = fapiLayout(dir);
    expect(path).toBe(layout.configPath);
    expect(JSON.parse(readFileSync(path, 'utf8')).user_dir).toBe(layout.userDir);
    expect(JSON.parse(readFileSync(join(layout.profileDir, `${FAPI_PROFILE_NAME}.json`), 'utf8'))).toEqual(
      toFapiProfile(),
    );
    for (const folder of [dir, layout.profileDir, layout.userDir, layout.systemDir, layout.logDir]) {
      expect(statSync(folder).mode & 0o777).toBe(0o700);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test('listTpmKeyNames() lists the keys in the user keystore from disk alone', () => {
    const dir = tempDir();
    expect(listTpmKeyNames(dir)).toEqual([]);
    const srk = join(fapiLayout(dir).userDir, FAPI_PROFILE_NAME, 'HS', 'SRK');
    for (const name of ['device', 'other']) {
      mkdirSync(join(srk, name), { recursive: true });
      writeFileSync(join(srk, name, 'object.json'), '{}');
    }
    mkdirSync(join(srk, 'half-written'), { recursive: true });
    expect(listTpmKeyNames(dir)).toEqual(['device', 'other']);
  });

  test('parseFapiExportedPublicKey() reads the SPKI from real Fapi_ExportKey output', () => {
    const parsed = parseFapiExportedPublicKey(EXPORTED);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      // The SPKI ends with the uncompressed point 04 || x || y from the TPM's public area.
      expect(Buffer.from(parsed.value).subarray(-64).toString('hex')).toBe(
        'e66d802a6183d39ec3542c68688f23366d1a5510778446d66af50e314ba1758b' +
          '2faa32e7919ebf746310b799acbfbc0df3662506ed72a977ae6b7bdeca466d80',
      );
    }
    expect(parseFapiExportedPublicKey('{"objectType":3}').ok).toBe(false);
    expect(parseFapiExportedPublicKey('not json').ok).toBe(false);
  });
});
