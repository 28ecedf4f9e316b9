import { describe, expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson, type JsonValue } from './canonical.ts';
import { encodeEntry, signEncodedEntry } from './entry-encoder.ts';
import {
  entryBody,
  entryBytes,
  entrySigningBytes,
  type JournalEntry,
  parseJournalEntry,
  signEntry,
  verifyEntrySignature,
} from './journal-entry.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const text = new TextDecoder();

const body = {
  v: 1 as const,
  device: 'laptop-7',
  seq: 3,
  prev: 'ab'.repeat(32),
  time: '2026-01-05T09:00:00.000Z',
  session: 'sess-a',
  type: 'tool.call',
  payload: { tool: 'Bash', input: { command: 'ls', description: 'List' }, n: [1, 2.5, -0, 1e21, null, true] },
};

const jsonValue = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>;

describe('encodeEntry() against the reference implementation', () => {
  test('encodeEntry() gives entryBytes() and entrySigningBytes() for any JSON payload', () => {
    fc.assert(
      fc.property(jsonValue, fc.string({ minLength: 1, maxLength: 20 }), (payload, device) => {
        const entry = signEntry({ ...body, device, payload }, privateKey);
        const encoded = encodeEntry(JSON.parse(JSON.stringify(entry)));
        expect(encoded.ok).toBe(true);
        if (!encoded.ok) return;
        expect(text.decode(encoded.value.bytes)).toBe(entryBytes(entry));
        expect(Buffer.from(encoded.value.signingBytes).equals(entrySigningBytes(entryBody(entry)))).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
  });

  test('encodeEntry() accepts exactly what parseJournalEntry() accepts on mutated entries', () => {
    const valid = signEntry(body, privateKey);
    const mutations: [string, unknown][] = [
      ['v', 2],
      ['v', '1'],
      ['device', ''],
      ['device', 'x'.repeat(129)],
      ['device', 'x'.repeat(128)],
      ['seq', -1],
      ['seq', 1.5],
      ['seq', 2 ** 53],
      ['seq', '3'],
      ['prev', 'AB'.repeat(32)],
      ['prev', 'ab'.repeat(31)],
      ['time', 'short'],
      ['time', 'x'.repeat(41)],
      ['time', 'x'.repeat(40)],
      ['session', ''],
      ['type', 'Tool.call'],
      ['type', '1abc'],
      ['type', `a${'b'.repeat(64)}`],
      ['type', `a${'b'.repeat(63)}`],
      ['sig', 'A'.repeat(85)],
      ['sig', `${'A'.repeat(85)}=`],
      ['payload', undefined],
      ['extra', 1],
    ];
    for (const [field, value] of mutations) {
      const mutated: Record<string, unknown> = { ...valid, [field]: value };
      if (value === undefined) delete mutated[field];
      expect([field, value, encodeEntry(mutated).ok]).toEqual([field, value, parseJournalEntry(mutated).ok]);
    }
    for (const raw of [null, [], 'entry', 7]) expect(encodeEntry(raw).ok).toBe(false);
  });

  test('encodeEntry() orders integer-like keys as RFC 8785 does, not as Object.keys() lists them', () => {
    const payload = JSON.parse('{"10":"a","9":"b","b":{"2":1,"10":2},"a":[{"z":1,"y":2}]}') as JsonValue;
    const entry = signEntry({ ...body, payload }, privateKey);
    const encoded = encodeEntry(JSON.parse(JSON.stringify(entry)));
    expect(encoded.ok && text.decode(encoded.value.bytes)).toBe(entryBytes(entry));
    expect(entryBytes(entry)).toContain(
      '"payload":{"10":"a","9":"b","a":[{"y":2,"z":1}],"b":{"10":2,"2":1}}',
    );
  });

  test('encodeEntry() escapes device, session and time strings that need it', () => {
    const entry = signEntry(
      { ...body, device: 'dev "7" \\ \u00e9', session: 's\u2028', time: '2026-01-05T09:00:00.000Z\t' },
      privateKey,
    );
    const encoded = encodeEntry(entry);
    expect(encoded.ok && text.decode(encoded.value.bytes)).toBe(entryBytes(entry));
  });

  test('encodeEntry() refuses a signature whose spare bits are set, which parseJournalEntry() lets through', () => {
    const valid = signEntry(body, privateKey);
    const last = valid.sig.at(-1) as string;
    const sibling = String.fromCharCode(last.charCodeAt(0) + 1);
    const malleable = { ...valid, sig: valid.sig.slice(0, -1) + sibling };
    expect(Buffer.from(malleable.sig, 'base64url').equals(Buffer.from(valid.sig, 'base64url'))).toBe(true);
    expect(encodeEntry(malleable)).toMatchObject({ ok: false, error: 'sig: is not canonical base64url' });
  });

  test('encodeEntry() names a payload that has no canonical form', () => {
    const valid = signEntry(body, privateKey);
    expect(encodeEntry({ ...valid, payload: { n: Number.POSITIVE_INFINITY } })).toMatchObject({
      ok: false,
      error: 'payload: holds a number that is not finite',
    });
    expect(encodeEntry({ ...valid, payload: '\ud800' })).toMatchObject({
      ok: false,
      error: 'payload: holds a lone surrogate',
    });
    expect(encodeEntry({ ...valid, payload: { d: new Date(0) } }).ok).toBe(false);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(encodeEntry({ ...valid, payload: deep })).toMatchObject({ ok: false });
  });
});

describe('signEncodedEntry()', () => {
  test('signEncodedEntry() signs what signEntry() signs, byte for byte', () => {
    const fast = signEncodedEntry(body, privateKey);
    const slow: JournalEntry = signEntry(body, privateKey);
    expect(fast.entry).toEqual(slow);
    expect(text.decode(fast.bytes)).toBe(entryBytes(slow));
    expect(verifyEntrySignature(fast.entry, publicKey)).toBe(true);
    expect(canonicalJson(fast.entry as unknown as JsonValue)).toBe(entryBytes(slow));
  });

  test('signEncodedEntry() refuses a body the encoder would refuse', () => {
    expect(() => signEncodedEntry({ ...body, type: 'Bad Type' }, privateKey)).toThrow(RangeError);
  });
});
