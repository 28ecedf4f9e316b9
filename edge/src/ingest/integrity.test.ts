import { describe, expect, test } from 'bun:test';
import type { JsonValue } from '@ceros/protocol';
import fc from 'fast-check';
import { abandonedEndMs, abandonedOf, integrityAlertOf } from './integrity.ts';

const json = fc.jsonValue() as fc.Arbitrary<JsonValue>;

describe('integrityAlertOf()', () => {
  test('projects only the integrity kinds; a posture or revocation alert is none of them', () => {
    expect(integrityAlertOf({ kind: 'posture', message: 'Firewall is off' })).toBeNull();
    expect(integrityAlertOf({ kind: 'revoked', message: 'laptop stolen' })).toBeNull();
    expect(integrityAlertOf({ message: 'no kind' })).toBeNull();
    expect(integrityAlertOf({ kind: 'journal-torn-tail', message: 'torn', offset: 10, length: 4 })).toEqual({
      alertKind: 'journal-torn-tail',
      message: 'torn',
      details: '{"kind":"journal-torn-tail","length":4,"offset":10}',
    });
  });

  test('a rewind whose epoch is missing or oddly typed keeps its message and nulls the facts', () => {
    const projected = integrityAlertOf({
      kind: 'journal-rewound',
      message: 'The journal was rewound',
      epoch: { journal: { seq: '3' }, anchor: { seq: 1.5, source: 'elsewhere' }, missing: { from: 4 } },
    });
    expect(projected?.message).toBe('The journal was rewound');
    expect(JSON.parse(projected?.details ?? '')).toEqual({
      kind: 'journal-rewound',
      rewoundToSeq: null,
      anchorSeq: null,
      anchorSource: null,
      missing: null,
      setAside: null,
    });
  });

  test('never throws, and any alert it projects has a known kind and JSON details (fast-check)', () => {
    const kinds = fc.constantFrom(
      'journal-rewound',
      'sync-refused',
      'journal-repaired',
      'journal-torn-tail',
      'x',
    );
    fc.assert(
      fc.property(kinds, json, json, (kind, message, rest) => {
        const payload = {
          ...(typeof rest === 'object' && rest && !Array.isArray(rest) ? rest : {}),
          kind,
          message,
        };
        const projected = integrityAlertOf(payload);
        if (kind === 'x') return projected === null;
        return (
          projected !== null &&
          projected.alertKind === kind &&
          typeof JSON.parse(projected.details) === 'object'
        );
      }),
    );
    // Whatever the JSON, a projection or none: the property fails only by throwing.
    fc.assert(
      fc.property(json, (payload) => {
        integrityAlertOf(payload);
      }),
    );
  });
});

describe('abandonedOf()', () => {
  test('names the dead session, its state and its last entry; without a session it is nothing', () => {
    expect(
      abandonedOf({ session: 's1', reason: 'wrapper died', lastTime: '2026-01-15T12:00:02.000Z' }),
    ).toEqual({
      session: 's1',
      state: 'abandoned: wrapper died',
      lastMs: Date.parse('2026-01-15T12:00:02.000Z'),
    });
    expect(abandonedOf({ reason: 'wrapper died' })).toBeNull();
    expect(abandonedOf({ session: 's1', lastTime: 'soon' })).toEqual({
      session: 's1',
      state: 'abandoned: its wrapper ended without closing it',
      lastMs: null,
    });
  });

  test('the session ends at its last entry, unless that claims to be after it was found dead', () => {
    const found = Date.parse('2026-01-15T12:05:00.000Z');
    const early = { session: 's', state: 'abandoned: x', lastMs: found - 60_000 };
    expect(abandonedEndMs(early, found)).toBe(found - 60_000);
    expect(abandonedEndMs({ ...early, lastMs: found + 60_000 }, found)).toBe(found);
    expect(abandonedEndMs({ ...early, lastMs: null }, found)).toBe(found);
  });

  test('never throws; what it returns names a session and an abandoned state (fast-check)', () => {
    fc.assert(
      fc.property(json, (payload) => {
        const r = abandonedOf(payload);
        return r === null || (r.session.length > 0 && r.state.startsWith('abandoned: '));
      }),
    );
  });
});
