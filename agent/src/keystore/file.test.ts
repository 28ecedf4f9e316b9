import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileKeystore } from './file.ts';
import type { KeystoreError } from './keystore.ts';

const dir = mkdtempSync(join(tmpdir(), 'ceros-file-keystore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the file keystore keeps the software key in a 0600 file and loads the same key back', async () => {
  const keystore = createFileKeystore(join(dir, 'keys'));
  const created = await keystore.create('device');
  expect(created.protection).toBe('software');
  expect(statSync(join(dir, 'keys', 'device.p256.pk8')).mode & 0o777).toBe(0o600);
  expect((await keystore.load('device'))?.publicKeySpki).toBe(created.publicKeySpki);
});

test('the file keystore rejects key names that would leave its folder', async () => {
  const keystore = createFileKeystore(join(dir, 'keys'));
  for (const name of ['../device', 'a/b', '']) {
    expect(await keystore.create(name).catch((e: KeystoreError) => e.code)).toBe('INVALID_ARGUMENT');
  }
});
