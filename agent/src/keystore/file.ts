import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../state/secure-fs.ts';
import { type DeviceKeyHandle, isValidKeyName, type Keystore, KeystoreError } from './keystore.ts';

/**
 * Software fallback: a P-256 key in a 0600 PKCS#8 file under CEROS_HOME/keys. Reported plainly as
 * "software" everywhere (posture, certificate, console): same-user malware can copy it.
 */
export function createFileKeystore(dir: string): Keystore {
  const pathOf = (name: string) => {
    if (!isValidKeyName(name)) {
      throw new KeystoreError(
        'INVALID_ARGUMENT',
        `Cannot use "${name}" as a key name: use letters, digits, ".", "_" or "-"`,
      );
    }
    return join(dir, `${name}.p256.pk8`);
  };
  const handle = (pkcs8: Buffer): DeviceKeyHandle => {
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    return {
      publicKeySpki: spki.toString('base64url'),
      protection: 'software',
      sign: async (message) =>
        new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' })),
    };
  };
  return {
    kind: 'software',
    async load(name) {
      const path = pathOf(name);
      if (!existsSync(path)) return undefined;
      try {
        return handle(readFileSync(path));
      } catch (error) {
        throw new KeystoreError(
          'KEY_CORRUPT',
          `Cannot read device key "${path}": ${(error as Error).message}`,
        );
      }
    },
    async create(name) {
      ensurePrivateDir(dir);
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
      writePrivateFile(pathOf(name), pkcs8);
      return handle(pkcs8);
    },
  };
}
