import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { KeyProtection } from '@ceros/protocol';
import { type DeviceKeyHandle, type Keystore, KeystoreError } from './keystore.ts';

/**
 * An in-memory keystore for tests of the modules that use one (enrollment, session start, status).
 * Keys are real P-256 keys, so certificates it signs verify; it can report any protection kind and
 * be told to fail the next operation.
 */
export interface FakeKeystore extends Keystore {
  /** Every message signed, oldest first, with the name of the key that signed it. */
  readonly signed: ReadonlyArray<{ name: string; message: Uint8Array }>;
  /** Makes the next `operation` throw `error` (once). */
  failNext(operation: 'load' | 'create' | 'sign', error: KeystoreError): void;
  /** Names of the keys it holds. */
  names(): string[];
}

export interface FakeKeystoreOptions {
  /** What `kind` and each handle's `protection` report; default "tpm". */
  kind?: KeyProtection;
}

export function createFakeKeystore(options: FakeKeystoreOptions = {}): FakeKeystore {
  const kind = options.kind ?? 'tpm';
  const keys = new Map<string, KeyObject>();
  const signed: Array<{ name: string; message: Uint8Array }> = [];
  const failures = new Map<'load' | 'create' | 'sign', KeystoreError>();
  const takeFailure = (operation: 'load' | 'create' | 'sign') => {
    const error = failures.get(operation);
    if (error) {
      failures.delete(operation);
      throw error;
    }
  };
  const handle = (name: string, privateKey: KeyObject): DeviceKeyHandle => ({
    publicKeySpki: privateKeyToSpki(privateKey),
    protection: kind,
    async sign(message) {
      takeFailure('sign');
      if (keys.get(name) !== privateKey) {
        throw new KeystoreError(
          'KEY_CORRUPT',
          `Cannot sign with fake key "${name}": the key was replaced or removed`,
        );
      }
      signed.push({ name, message: new Uint8Array(message) });
      return new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));
    },
  });
  return {
    kind,
    signed,
    failNext(operation, error) {
      failures.set(operation, error);
    },
    names: () => [...keys.keys()].sort(),
    async load(name) {
      takeFailure('load');
      const privateKey = keys.get(name);
      return privateKey && handle(name, privateKey);
    },
    async create(name) {
      takeFailure('create');
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      keys.set(name, privateKey);
      return handle(name, privateKey);
    },
  };
}

function privateKeyToSpki(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64url');
}
