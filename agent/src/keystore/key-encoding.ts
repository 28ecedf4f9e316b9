import { createPublicKey } from 'node:crypto';
import type { ParseResult } from '@ceros/protocol';

/**
 * Conversions between what the platform key APIs hand out and what ceros carries: SPKI DER public
 * keys and DER ECDSA signatures (what node:crypto verifies with `dsaEncoding: 'der'`). Pure, so the
 * macOS and Windows adapters' encodings are tested on Linux.
 */

/** P-256 coordinate and scalar size in bytes. */
export const P256_SIZE = 32;

// RFC 5480 2.1.1: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (65 bytes) }.
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** SPKI DER of the P-256 public key with affine coordinates `x`, `y` (32 bytes each, big-endian). */
export function toP256Spki(x: Uint8Array, y: Uint8Array): Uint8Array {
  if (x.length !== P256_SIZE || y.length !== P256_SIZE) {
    throw new RangeError(
      `Cannot build a P-256 public key from coordinates of ${x.length} and ${y.length} bytes`,
    );
  }
  return new Uint8Array(Buffer.concat([P256_SPKI_PREFIX, Buffer.from([0x04]), x, y]));
}

/** Checks that `spki` is a SPKI DER public key on P-256 (what the edge accepts as a device key). */
export function parseP256Spki(spki: Uint8Array): ParseResult<Uint8Array> {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
      return {
        ok: false,
        error: `Expected a P-256 public key, got "${key.asymmetricKeyType}" "${curve ?? ''}"`,
      };
    }
    return { ok: true, value: new Uint8Array(key.export({ format: 'der', type: 'spki' })) };
  } catch (error) {
    return { ok: false, error: `Cannot read the public key: ${(error as Error).message}` };
  }
}

/** Reads a PEM "PUBLIC KEY" (SPKI) block, as FAPI's Fapi_ExportKey and Fapi_Sign return it. */
export function parseP256PublicKeyPem(pem: string): ParseResult<Uint8Array> {
  const match = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(pem);
  if (!match?.[1]) return { ok: false, error: 'Expected a PEM "PUBLIC KEY" block' };
  return parseP256Spki(new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64')));
}

// Windows bcrypt.h: BCRYPT_ECCKEY_BLOB { ULONG dwMagic; ULONG cbKey; } then X and Y, little-endian header.
const BCRYPT_ECDSA_PUBLIC_P256_MAGIC = 0x31534345;

/** Reads the BCRYPT_ECCPUBLIC_BLOB that NCryptExportKey returns for an ECDSA_P256 key. */
export function parseBcryptEccPublicBlob(blob: Uint8Array): ParseResult<Uint8Array> {
  if (blob.length < 8) return { ok: false, error: `ECC public blob is ${blob.length} bytes, too short` };
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const magic = view.getUint32(0, true);
  const size = view.getUint32(4, true);
  if (magic !== BCRYPT_ECDSA_PUBLIC_P256_MAGIC) {
    return {
      ok: false,
      error: `ECC public blob has magic 0x${magic.toString(16)}, expected ECDSA P-256 (ECS1)`,
    };
  }
  if (size !== P256_SIZE || blob.length !== 8 + 2 * P256_SIZE) {
    return {
      ok: false,
      error: `ECC public blob has key size ${size} and length ${blob.length}, expected P-256`,
    };
  }
  return { ok: true, value: toP256Spki(blob.subarray(8, 8 + P256_SIZE), blob.subarray(8 + P256_SIZE)) };
}

/**
 * DER ECDSA-Sig-Value (RFC 3279 2.2.3: SEQUENCE { INTEGER r, INTEGER s }) from the raw r||s that
 * NCryptSignHash and WebCrypto produce.
 */
export function toDerEcdsaSignature(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 2 * 66) {
    throw new RangeError(`Cannot convert a raw ECDSA signature of ${raw.length} bytes to DER`);
  }
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]));
}

/** The raw r||s (each left-padded to `size` bytes) of a strict DER ECDSA signature. */
export function parseDerEcdsaSignature(der: Uint8Array, size = P256_SIZE): ParseResult<Uint8Array> {
  const fail = (why: string): ParseResult<Uint8Array> => ({
    ok: false,
    error: `Bad DER ECDSA signature: ${why}`,
  });
  const outer = readTlv(der, 0);
  if (outer?.tag !== 0x30) return fail('expected a SEQUENCE');
  if (outer.end !== der.length) return fail('trailing bytes after the SEQUENCE');
  const r = readTlv(der, outer.start);
  if (r?.tag !== 0x02 || r.end > outer.end) return fail('expected INTEGER r');
  const s = readTlv(der, r.end);
  if (s?.tag !== 0x02 || s.end !== outer.end) return fail('expected INTEGER s as the last element');
  const out = new Uint8Array(2 * size);
  for (const [index, int] of [r, s].entries()) {
    const bytes = der.subarray(int.start, int.end);
    if (bytes.length === 0) return fail('empty INTEGER');
    if ((bytes[0] ?? 0) & 0x80) return fail('negative INTEGER');
    if (bytes.length > 1 && bytes[0] === 0 && !((bytes[1] ?? 0) & 0x80))
      return fail('INTEGER not minimally encoded');
    const magnitude = bytes[0] === 0 ? bytes.subarray(1) : bytes;
    if (magnitude.length > size) return fail(`INTEGER longer than ${size} bytes`);
    out.set(magnitude, index * size + size - magnitude.length);
  }
  return { ok: true, value: out };
}

function derInteger(value: Uint8Array): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const magnitude = value.subarray(start);
  // A set high bit would read as negative: X.690 8.3 needs a leading zero byte.
  const bytes =
    (magnitude[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : Buffer.from(magnitude);
  return Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

/** One DER TLV at `offset`: tag, and where its contents start and end; undefined when malformed. */
function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; end: number } | undefined {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) return undefined;
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 2) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = der[start + i];
      if (byte === undefined) return undefined;
      length = (length << 8) | byte;
    }
    // X.690 10.1: the definite length uses the fewest octets.
    if (length < 0x80 || (count === 2 && length < 0x100)) return undefined;
    start += count;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}
