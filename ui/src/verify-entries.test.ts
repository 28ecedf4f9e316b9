import { expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import {
  ed25519PublicKeyToRaw,
  entryBytes,
  entryHash,
  type JournalEntry,
  type JsonValue,
  signEntry,
  ZERO_HASH,
} from '@ceros/protocol';
import { type ParsedEntry, parseEntryLine, sessionKeysOf, verifyEntries } from './verify-entries.ts';

/** A real chained journal of one session, signed by its session key, as stored lines. */
function journal(count: number): ParsedEntry[] {
  const keys = generateKeyPairSync('ed25519');
  const entries: JournalEntry[] = [];
  let prev = ZERO_HASH;
  const append = (type: string, payload: JsonValue) => {
    const entry = signEntry(
      {
        v: 1,
        device: 'dev_1',
        seq: entries.length,
        prev,
        time: new Date(Date.UTC(2026, 0, 15)).toISOString(),
        session: 's1',
        type,
        payload,
      },
      keys.privateKey,
    );
    prev = entryHash(entry);
    entries.push(entry);
  };
  append('session.key', { publicKey: ed25519PublicKeyToRaw(keys.publicKey) });
  for (let i = 0; i < count; i++)
    append('prompt', { text: `p${i}`, sig: 'a nested "sig" is not the signature' });
  return entries.map((e) => parseEntryLine(entryBytes(e)) as ParsedEntry);
}

test("verifyEntries() accepts a device's real chain and session signatures", async () => {
  const entries = journal(4);
  const checks = await verifyEntries(entries, null, sessionKeysOf(entries));
  expect([...checks.values()].every((c) => c.chain === 'ok' && c.signature === 'ok')).toBe(true);
});

test('verifyEntries() names the entry whose bytes were changed: its signature and the next link fail', async () => {
  const entries = journal(4);
  const target = entries[2] as ParsedEntry;
  const line = target.line.replace('"p1"', '"P1"');
  entries[2] = parseEntryLine(line) as ParsedEntry;
  const checks = await verifyEntries(entries, null, sessionKeysOf(entries));
  expect(checks.get(2)).toEqual({ chain: 'ok', signature: 'bad' });
  expect(checks.get(3)).toEqual({ chain: 'bad', signature: 'ok' });
  expect(checks.get(1)).toEqual({ chain: 'ok', signature: 'ok' });
});

test('verifyEntries() says unknown, not bad, when the anchor or the session key is not loaded', async () => {
  const entries = journal(3).slice(2);
  const checks = await verifyEntries(entries, null, new Map());
  expect(checks.get(2)).toEqual({ chain: 'unknown', signature: 'unknown' });
  expect(checks.get(3)).toEqual({ chain: 'ok', signature: 'unknown' });
});
