import { expect, test } from 'bun:test';
import { verify } from 'node:crypto';
import { devicePublicKeyFromSpki } from '@ceros/protocol';
import { createFakeKeystore } from './fake.ts';
import { KeystoreError } from './keystore.ts';

test('the fake keystore signs with real P-256 keys that verify, and records what it signed', async () => {
  const keystore = createFakeKeystore();
  expect(await keystore.load('device')).toBeUndefined();
  const handle = await keystore.create('device');
  const message = new TextEncoder().encode('certificate body');
  const signature = await handle.sign(message);
  const key = devicePublicKeyFromSpki(handle.publicKeySpki);
  expect(verify('sha256', message, { key, dsaEncoding: 'der' }, signature)).toBe(true);
  expect(keystore.signed).toEqual([{ name: 'device', message }]);
  expect((await keystore.load('device'))?.publicKeySpki).toBe(handle.publicKeySpki);
  expect(keystore.names()).toEqual(['device']);
});

test('the fake keystore reports the protection it was given', async () => {
  const keystore = createFakeKeystore({ kind: 'software' });
  expect(keystore.kind).toBe('software');
  expect((await keystore.create('device')).protection).toBe('software');
});

test('failNext() makes exactly the next call of that operation throw', async () => {
  const keystore = createFakeKeystore();
  const handle = await keystore.create('device');
  keystore.failNext('sign', new KeystoreError('SIGN_FAILED', 'Cannot sign: injected'));
  expect(await handle.sign(new Uint8Array(1)).catch((e: KeystoreError) => e.code)).toBe('SIGN_FAILED');
  expect(await handle.sign(new Uint8Array(1))).toBeInstanceOf(Uint8Array);
  keystore.failNext('load', new KeystoreError('UNAVAILABLE', 'Cannot reach the TPM: injected'));
  expect(await keystore.load('device').catch((e: KeystoreError) => e.code)).toBe('UNAVAILABLE');
});

test('a handle to a replaced fake key refuses to sign, like the TPM keystore', async () => {
  const keystore = createFakeKeystore();
  const old = await keystore.create('device');
  await keystore.create('device');
  expect(await old.sign(new Uint8Array(1)).catch((e: KeystoreError) => e.code)).toBe('KEY_CORRUPT');
});
