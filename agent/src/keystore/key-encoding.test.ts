import { describe, expect, test } from 'bun:test';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import {
  parseBcryptEccPublicBlob,
  parseDerEcdsaSignature,
  parseP256PublicKeyPem,
  parseP256Spki,
  toDerEcdsaSignature,
  toP256Spki,
} from './key-encoding.ts';

const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('toDerEcdsaSignature()', () => {
  const cases: Array<{ name: string; r: string; s: string; der: string }> = [
    {
      name: 'small values: leading zeros are stripped',
      r: `${'00'.repeat(31)}01`,
      s: `${'00'.repeat(31)}02`,
      der: '3006020101020102',
    },
    {
      name: 'high bit set: a zero byte keeps the INTEGER positive',
      r: `80${'00'.repeat(31)}`,
      s: `7f${'ff'.repeat(31)}`,
      der: `3045022100 80${'00'.repeat(31)} 0220 7f${'ff'.repeat(31)}`,
    },
    {
      name: 'both high: 72 bytes, still a one-byte length',
      r: 'ff'.repeat(32),
      s: 'ff'.repeat(32),
      der: `3046022100${'ff'.repeat(32)}022100${'ff'.repeat(32)}`,
    },
    {
      name: 'zero encodes as one zero byte',
      r: '00'.repeat(32),
      s: '00'.repeat(32),
      der: '3006020100020100',
    },
  ];
  for (const { name, r, s, der } of cases) {
    test(`toDerEcdsaSignature() encodes r||s: ${name}`, () => {
      const raw = hex(r + s);
      expect(toHex(toDerEcdsaSignature(raw))).toBe(toHex(hex(der)));
      const back = parseDerEcdsaSignature(hex(der));
      expect(back.ok && toHex(back.value)).toBe(toHex(raw));
    });
  }

  test('toDerEcdsaSignature() agrees with node:crypto for 200 real P-256 signatures (ieee-p1363 vs der)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(`message ${i}`);
      const raw = new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      const der = toDerEcdsaSignature(raw);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
      const parsed = parseDerEcdsaSignature(der);
      expect(parsed.ok && toHex(parsed.value)).toBe(toHex(raw));
    }
  });

  test('toDerEcdsaSignature() rejects raw signatures of odd or empty length', () => {
    expect(() => toDerEcdsaSignature(new Uint8Array(63))).toThrow(RangeError);
    expect(() => toDerEcdsaSignature(new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('parseDerEcdsaSignature()', () => {
  const bad: Array<[string, string]> = [
    ['not a SEQUENCE', '3106020101020102'],
    ['trailing bytes', '300602010102010200'],
    ['length past the end', '3008020101020102'],
    ['negative r', '3006020181020102'],
    ['non-minimal r', '300702020001020102'],
    ['r longer than 32 bytes', `3027022101${'11'.repeat(32)}020102`],
    ['missing s', '3003020101'],
    ['long-form length for a short body', '308106020101020102'],
  ];
  for (const [why, der] of bad) {
    test(`parseDerEcdsaSignature() rejects ${why}`, () => {
      expect(parseDerEcdsaSignature(hex(der)).ok).toBe(false);
    });
  }
});

describe('public keys', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const jwk = publicKey.export({ format: 'jwk' });
  const x = new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
  const y = new Uint8Array(Buffer.from(jwk.y ?? '', 'base64url'));

  test('toP256Spki() builds the same SPKI DER as node:crypto from x and y', () => {
    expect(toHex(toP256Spki(x, y))).toBe(toHex(spki));
  });

  test('parseP256PublicKeyPem() reads a PEM public key and rejects anything else', () => {
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const parsed = parseP256PublicKeyPem(pem);
    expect(parsed.ok && toHex(parsed.value)).toBe(toHex(spki));
    expect(parseP256PublicKeyPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----').ok).toBe(
      false,
    );
    expect(parseP256PublicKeyPem('no pem here').ok).toBe(false);
  });

  test('parseP256Spki() rejects keys on other curves and other algorithms', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    expect(parseP256Spki(new Uint8Array(p384)).ok).toBe(false);
    expect(parseP256Spki(new Uint8Array(ed)).ok).toBe(false);
    expect(parseP256Spki(spki).ok).toBe(true);
  });

  test('parseBcryptEccPublicBlob() turns an ECS1 blob (what NCryptExportKey returns) into SPKI', () => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0x31534345, 0);
    header.writeUInt32LE(32, 4);
    const blob = new Uint8Array(Buffer.concat([header, x, y]));
    const parsed = parseBcryptEccPublicBlob(blob);
    expect(parsed.ok && toHex(parsed.value)).toBe(toHex(spki));
    expect(
      createPublicKey({ key: Buffer.from(parsed.ok ? parsed.value : []), format: 'der', type: 'spki' }).type,
    ).toBe('public');

    const wrongMagic = new Uint8Array(blob);
    wrongMagic[3] = 0x32; // ECS2: a private blob
    expect(parseBcryptEccPublicBlob(wrongMagic).ok).toBe(false);
    expect(parseBcryptEccPublicBlob(blob.subarray(0, 40)).ok).toBe(false);
  });
});
