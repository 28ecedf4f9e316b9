import { describe, expect, test } from 'bun:test';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JsonValue } from './canonical.ts';
import { type Ed25519BatchVerifier, verifyEd25519Batch } from './ed25519-batch.ts';
import { ZERO_HASH } from './encoding.ts';
import { entryBytes, entryHash, type JournalEntry, signEntry } from './journal-entry.ts';
import { signSessionCertificate, softwareDeviceSigner } from './session-certificate.ts';
import { SESSION_KEY_ENTRY, verifyJournal, verifyJournalBatch } from './verify-journal.ts';

const deviceKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const deviceKey = createPublicKey(deviceKeys.privateKey);
const options = { deviceKey: (id: string) => (id === 'd1' ? deviceKey : undefined) };
const inProcess: Ed25519BatchVerifier = async (batch) => verifyEd25519Batch(batch);

async function journal(count: number): Promise<JournalEntry[]> {
  const session = generateKeyPairSync('ed25519');
  const sessionKey = session.publicKey.export({ format: 'jwk' }).x as string;
  const certificate = await signSessionCertificate(
    {
      v: 1,
      device: 'd1',
      user: 'dev@acme.test',
      session: 's1',
      sessionKey,
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2026-01-02T00:00:00.000Z',
      postureDigest: null,
      ancestryDigest: null,
      policyHash: null,
      keyProtection: 'software',
    },
    softwareDeviceSigner(deviceKeys.privateKey),
  );
  const entries: JournalEntry[] = [];
  let prev = ZERO_HASH;
  for (let seq = 0; seq < count; seq++) {
    const entry = signEntry(
      {
        v: 1,
        device: 'd1',
        seq,
        prev,
        time: `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`,
        session: 's1',
        type: seq === 0 ? SESSION_KEY_ENTRY : 'prompt',
        payload:
          seq === 0
            ? { publicKey: sessionKey, certificate: certificate as unknown as JsonValue }
            : { text: `prompt ${seq}` },
      },
      session.privateKey as KeyObject,
    );
    prev = entryHash(entry);
    entries.push(entry);
  }
  return entries;
}

/** A copy of the journal with entry `at` changed by `change`, its signature left as it was. */
function tampered(entries: readonly JournalEntry[], at: number, change: (e: JournalEntry) => JournalEntry) {
  return entries.map((e, i) => (i === at ? change(e) : e));
}

const reSigned = (e: JournalEntry) => ({ ...e, payload: { text: 'changed after signing' } });
const unchained = (e: JournalEntry) => ({ ...e, prev: 'f'.repeat(64) });

describe('verifyJournalBatch()', () => {
  test('accepts what verifyJournal() accepts, with each entry’s stored bytes and chain hash', async () => {
    const entries = await journal(30);
    const batch = await verifyJournalBatch(entries, { ...options, verifySignatures: inProcess });
    const { entries: verified, ...rest } = batch.ok ? batch : { entries: [] };
    expect(rest).toEqual(verifyJournal(entries, options));
    expect(verified.map((v) => v.text)).toEqual(entries.map(entryBytes));
    expect(verified.map((v) => v.hash)).toEqual(entries.map(entryHash));
  });

  test('names the same first bad entry as verifyJournal(), whichever kind of failure comes first', async () => {
    const entries = await journal(12);
    const cases = [
      tampered(entries, 5, reSigned),
      tampered(entries, 7, unchained),
      tampered(tampered(entries, 3, reSigned), 8, unchained),
      tampered(tampered(entries, 9, reSigned), 4, unchained),
      tampered(entries, 6, (e) => ({ ...e, sig: `${e.sig.slice(0, -1)}B` })),
      [...entries.slice(0, 4), { ...entries[4], seq: 'four' }],
    ];
    for (const journal of cases) {
      const expected = verifyJournal(journal, options);
      expect(expected.ok).toBe(false);
      const batched: unknown = await verifyJournalBatch(journal, { ...options, verifySignatures: inProcess });
      expect(batched).toEqual(expected);
    }
  });

  test('a verifier that fails, or answers for fewer signatures than asked, rejects the batch', async () => {
    const entries = await journal(5);
    const broken: Ed25519BatchVerifier = async () => {
      throw new Error('worker died');
    };
    await expect(verifyJournalBatch(entries, { ...options, verifySignatures: broken })).rejects.toThrow(
      'worker died',
    );
    const short: Ed25519BatchVerifier = async (batch) => verifyEd25519Batch(batch).subarray(1);
    await expect(verifyJournalBatch(entries, { ...options, verifySignatures: short })).rejects.toThrow(
      'answered 4 of 5 signatures',
    );
  });

  test('an empty range anchored at a head ends at that head', async () => {
    const anchor = { seq: 4, hash: 'a'.repeat(64) };
    expect(await verifyJournalBatch([], { ...options, anchor, verifySignatures: inProcess })).toMatchObject({
      ok: true,
      head: anchor.hash,
      entries: [],
    });
  });
});
