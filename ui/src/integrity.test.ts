import { describe, expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import {
  ed25519PublicKeyToRaw,
  entryBytes,
  entryHash,
  type JsonValue,
  signEntry,
  ZERO_HASH,
} from '@ceros/protocol';
import type { IntegrityAlert } from './api.ts';
import { checkSignedAlert, integrityHeadline } from './integrity.ts';

const rewind = (
  details: Partial<Extract<IntegrityAlert['details'], { kind: 'journal-rewound' }>>,
): IntegrityAlert => ({
  deviceId: 'dev_1',
  seq: 1,
  sessionId: 's2',
  time: '2026-01-15T12:00:00.000Z',
  kind: 'journal-rewound',
  message: 'The journal was rewound',
  details: {
    kind: 'journal-rewound',
    rewoundToSeq: 3,
    anchorSeq: 9,
    anchorSource: 'edge',
    missing: { from: 4, to: 9 },
    setAside: null,
    ...details,
  },
});

describe('integrityHeadline()', () => {
  test.each([
    [
      rewind({}),
      "Journal rewound at seq 3, new chain epoch from seq 10, chained to the edge's head (seq 9); seqs 4–9 lost on the device, kept by the edge",
    ],
    [
      rewind({ rewoundToSeq: -1, anchorSeq: -1, anchorSource: 'journal', missing: null }),
      'Journal rewound to empty, new chain epoch from seq 0',
    ],
    [rewind({ rewoundToSeq: null, anchorSeq: null, missing: null }), 'Journal rewound, new chain epoch'],
    [
      {
        ...rewind({}),
        kind: 'sync-refused',
        details: { kind: 'sync-refused', seq: 12, code: 'BAD_CHAIN', edgeHeadSeq: 14 },
      },
      'Sync refused at seq 12 (BAD_CHAIN); the edge holds up to seq 14',
    ],
    [
      {
        ...rewind({}),
        kind: 'journal-repaired',
        details: { kind: 'journal-repaired', removedLines: 1, bytesBefore: 10, bytesAfter: 5 },
      },
      'Journal repaired: 1 line that was not an entry set aside',
    ],
    [
      {
        ...rewind({}),
        kind: 'journal-torn-tail',
        details: { kind: 'journal-torn-tail', offset: 5, length: 40 },
      },
      'Torn last line set aside (40 bytes, never acknowledged)',
    ],
    [{ ...rewind({}), details: null }, 'Journal alert: journal-rewound'],
  ] as [IntegrityAlert, string][])('headline %#', (alert, headline) => {
    expect(integrityHeadline(alert)).toBe(headline);
  });
});

/** The lines the edge stored for a session that opened an epoch: its key, then the alert. */
function storedLines(payload: JsonValue, sessionKeyOf = 's2'): string[] {
  const keys = generateKeyPairSync('ed25519');
  const lines: string[] = [];
  let prev = ZERO_HASH;
  const append = (seq: number, session: string, type: string, body: JsonValue) => {
    const entry = signEntry(
      { v: 1, device: 'dev_1', seq, prev, time: '2026-01-15T12:00:00.000Z', session, type, payload: body },
      keys.privateKey,
    );
    prev = entryHash(entry);
    lines.push(entryBytes(entry));
  };
  append(0, sessionKeyOf, 'session.key', { publicKey: ed25519PublicKeyToRaw(keys.publicKey) });
  append(1, 's2', 'alert', payload);
  return lines;
}

describe('checkSignedAlert()', () => {
  const payload = { kind: 'journal-rewound', message: 'The journal was rewound: it ends at seq 3' };

  test('verifies the session signature over the stored line and returns the statement it signs', async () => {
    expect(await checkSignedAlert(rewind({}), storedLines(payload))).toEqual({
      state: 'verified',
      message: 'The journal was rewound: it ends at seq 3',
    });
  });

  test('a statement changed after signing is a bad signature, not a shown statement', async () => {
    const lines = storedLines(payload);
    lines[1] = (lines[1] ?? '').replace('ends at seq 3', 'ends at seq 9');
    expect((await checkSignedAlert(rewind({}), lines)).state).toBe('bad');
  });

  test("another kind at the alert's seq is refused; a key it cannot find is unknown", async () => {
    expect((await checkSignedAlert(rewind({}), storedLines({ kind: 'posture', message: 'x' }))).state).toBe(
      'bad',
    );
    expect((await checkSignedAlert(rewind({}), storedLines(payload, 'other'))).state).toBe('unknown');
    expect((await checkSignedAlert({ ...rewind({}), seq: 7 }, storedLines(payload))).state).toBe('unknown');
  });
});
