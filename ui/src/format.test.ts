import { describe, expect, test } from 'bun:test';
import {
  detailText,
  duration,
  fromLocalInput,
  relativeTime,
  shortId,
  summarizeInput,
  toLocalInput,
} from './format.ts';

const NOW = Date.parse('2026-01-15T12:00:00Z');

describe('relativeTime()', () => {
  test.each([
    ['2026-01-15T11:59:55Z', 'just now'],
    ['2026-01-15T11:57:00Z', '3 minutes ago'],
    ['2026-01-15T09:00:00Z', '3 hours ago'],
    ['2026-01-14T12:00:00Z', 'yesterday'],
    ['2026-01-15T14:00:00Z', 'in 2 hours'],
  ])('says %s is "%s"', (iso, want) => {
    expect(relativeTime(iso, NOW, 'en')).toBe(want);
  });

  test('shows a dash for a time it cannot read', () => {
    expect(relativeTime('not a time', NOW, 'en')).toBe('—');
  });
});

test('duration() picks the unit a reader expects', () => {
  expect([850, 4200, 200_000, 7_500_000, null].map(duration)).toEqual([
    '850 ms',
    '4.2 s',
    '3 min 20 s',
    '2 h 5 min',
    '—',
  ]);
});

test('summarizeInput() shows the command of Bash, the path of file tools, else compact JSON', () => {
  expect(summarizeInput({ command: 'ls -la', description: 'List' })).toBe('ls -la');
  expect(summarizeInput({ file_path: '/etc/hosts' })).toBe('/etc/hosts');
  expect(summarizeInput({ title: 'x' })).toBe('{"title":"x"}');
  expect(summarizeInput({})).toBe('');
});

test('shortId() keeps device ids recognisable', () => {
  expect(shortId('dev_0123456789abcdef0123')).toBe('dev_01234567…');
  expect(shortId('abc')).toBe('abc');
});

test('datetime-local values round-trip through ISO times in local time', () => {
  const iso = new Date(2026, 0, 15, 9, 30).toISOString();
  expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
  expect(fromLocalInput('')).toBeUndefined();
});

describe('detailText()', () => {
  test('reads posture findings as sentences, not JSON', () => {
    expect(
      detailText([
        { fact: 'firewall', value: 'failed', reason: 'A firewall is required for shell and network tools' },
        { fact: 'diskEncryption', value: 'unknown', reason: '' },
      ]),
    ).toBe(
      'firewall is failed: A firewall is required for shell and network tools; diskEncryption is unknown',
    );
  });

  test.each([
    [null, '—'],
    ['', '—'],
    [3, '3'],
    [false, 'false'],
    [[], 'none'],
    [
      ['firewall: ok -> failed', 'screenLock: ok -> unknown'],
      'firewall: ok -> failed; screenLock: ok -> unknown',
    ],
    [{ source: 'user', blocked: true, skipped: undefined }, 'source user, blocked true'],
    [{ nested: { a: [1, 2] } }, 'nested a 1; 2'],
  ])('shows %p as %p', (value, want) => {
    expect(detailText(value)).toBe(want);
  });
});
