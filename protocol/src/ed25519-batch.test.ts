import { describe, expect, test } from 'bun:test';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { Ed25519BatchBuilder, verifyEd25519Batch } from './ed25519-batch.ts';
import { ed25519RawPublicKey } from './note.ts';

const keys = [0, 1, 2].map(() => generateKeyPairSync('ed25519').privateKey);
const raw = keys.map((k) => ed25519RawPublicKey(k));
const [first] = keys as [KeyObject, ...KeyObject[]];

describe('Ed25519 batches', () => {
  test('a batch of 3000 jobs over 3 keys, added as bytes and as text, verifies job by job', () => {
    const builder = new Ed25519BatchBuilder();
    for (let i = 0; i < 3000; i++) {
      const k = i % 3;
      const message = `message ${i} ${'é'.repeat(i % 700)}`;
      const signature = sign(null, Buffer.from(message), keys[k] ?? first);
      if (i % 2) builder.add(raw[k] as Uint8Array, new TextEncoder().encode(message), signature);
      else builder.addText(raw[k] as Uint8Array, message, signature.toString('base64url'));
    }
    const batch = builder.build();
    expect(batch.count).toBe(3000);
    expect(batch.publicKeys.length).toBe(96);
    expect([...verifyEd25519Batch(batch)].every((r) => r === 1)).toBe(true);
  });

  test('a wrong key, a changed message and an unreadable signature each fail only their job', () => {
    const builder = new Ed25519BatchBuilder();
    const sig = sign(null, Buffer.from('hello'), first);
    builder.add(raw[0] as Uint8Array, Buffer.from('hello'), sig);
    builder.add(raw[1] as Uint8Array, Buffer.from('hello'), sig);
    builder.add(raw[0] as Uint8Array, Buffer.from('hellO'), sig);
    builder.addText(raw[0] as Uint8Array, 'hello', 'not base64url!');
    builder.add(new Uint8Array(32).fill(0xff), Buffer.from('hello'), sig);
    expect([...verifyEd25519Batch(builder.build())]).toEqual([1, 0, 0, 0, 0]);
  });

  test('an empty batch verifies to an empty result', () => {
    expect(verifyEd25519Batch(new Ed25519BatchBuilder().build()).length).toBe(0);
  });
});
