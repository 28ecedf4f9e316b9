import { describe, expect, test } from 'bun:test';
import cases from '../../tests/fixtures/export/cases.json';
import keys from '../../tests/fixtures/export/keys.json';
import vectors from '../../tests/fixtures/export/spec-vectors.json';
import valid from '../../tests/fixtures/export/valid.json';
import { openCheckpoint } from './checkpoint.ts';
import { encodeEntry } from './entry-encoder.ts';
import { verifyExport } from './export.ts';
import { entryBytes, entryHash, type JournalEntry } from './journal-entry.ts';
import { leafHash } from './merkle.ts';
import {
  devicePublicKeyFromSpki,
  parseSessionCertificate,
  verifySessionCertificate,
} from './session-certificate.ts';
import { verifyJournal } from './verify-journal.ts';

/** The golden fixtures of tests/fixtures/export/ (written by its generate.ts), as agent, edge and e2e read them. */
const options = { logKey: keys.logKey, witnessKeys: [keys.witnessKey] };

describe('golden export fixtures', () => {
  test('valid.json verifies with the witness required', async () => {
    const result = await verifyExport(valid, { ...options, requireWitness: true });
    expect(result).toMatchObject({ ok: true, counts: { entries: 16, devices: 2, sessions: 3, users: 2 } });
  });

  test.each(cases.map((c) => [c.description, c] as const))('%s: detected with its code', async (_d, c) => {
    const doc = (await import(`../../tests/fixtures/export/${c.file}`)).default;
    const result = await verifyExport(doc, { ...options, requireWitness: c.requireWitness ?? false });
    expect(result).toMatchObject({ ok: false, code: c.code });
    if (c.entryIndex !== undefined) expect(!result.ok && result.entry?.index).toBe(c.entryIndex);
  });

  test('every tamper case of the brief has a fixture', () => {
    expect(cases.map((c) => c.code).sort()).toEqual(
      [
        'BAD_CERTIFICATE',
        'BAD_CHAIN',
        'BAD_CHAIN',
        'BAD_CHAIN',
        'BAD_LOG_SIGNATURE',
        'BAD_SIGNATURE',
        'MISSING_COSIGNATURE',
        'MISSING_COSIGNATURE',
        'SIZE_MISMATCH',
        'UNKNOWN_DEVICE',
      ].sort(),
    );
  });
});

describe('spec vectors', () => {
  const entry = vectors.entry.value as JournalEntry;

  test('the entry vector has the canonical bytes, chain hash and leaf hash the spec states', () => {
    expect(entryBytes(entry)).toBe(vectors.entry.canonicalBytes);
    expect(entryHash(entry)).toBe(vectors.entry.chainHashHex);
    const bytes = new TextEncoder().encode(vectors.entry.canonicalBytes);
    expect(Buffer.from(leafHash(bytes)).toString('hex')).toBe(vectors.entry.leafHashHex);
    const encoded = encodeEntry(entry);
    expect(encoded.ok && new TextDecoder().decode(encoded.value.bytes)).toBe(vectors.entry.canonicalBytes);
  });

  test('the certificate vector is signed by the device key of its device', () => {
    const cert = parseSessionCertificate(vectors.certificate);
    if (!cert.ok) throw new Error(cert.error);
    const spki = (vectors.keys.devices as Record<string, string>)[cert.value.device] ?? '';
    expect(verifySessionCertificate(cert.value, devicePublicKeyFromSpki(spki))).toEqual({ ok: true });
  });

  test('the tampered entry vectors fail verifyJournal() with BAD_SIGNATURE', () => {
    const spki = (vectors.keys.devices as Record<string, string>)[entry.device] ?? '';
    const certificates = (valid.certificates as unknown[]).flatMap((c) => {
      const p = parseSessionCertificate(c);
      return p.ok ? [p.value] : [];
    });
    for (const t of vectors.tamperedEntries) {
      const result = verifyJournal([t.value], {
        deviceKey: () => devicePublicKeyFromSpki(spki),
        anchor: { seq: entry.seq - 1, hash: entry.prev },
        certificates,
      });
      expect(result).toMatchObject({ ok: false, code: t.expected });
    }
    expect(
      verifyJournal([entry], {
        deviceKey: () => devicePublicKeyFromSpki(spki),
        anchor: { seq: entry.seq - 1, hash: entry.prev },
        certificates,
      }).ok,
    ).toBe(true);
  });

  test('the checkpoint vector is signed by the log key and cosigned by the witness', () => {
    const opened = openCheckpoint(vectors.checkpoint.note, {
      logKey: vectors.keys.log,
      witnessKeys: [vectors.keys.witness],
      requireCosignatures: 1,
    });
    expect(opened.ok && opened.value.checkpoint.size).toBe(vectors.checkpoint.size ?? -1);
  });
});
