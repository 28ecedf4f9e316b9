import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy, starterPolicy } from '../src/index.ts';
import { FIXTURES } from './support.ts';

interface ExpectedIssue {
  code: string;
  path: Array<string | number>;
  line: number;
  column: number;
}

const expected = JSON.parse(readFileSync(join(FIXTURES, 'invalid', 'expected.json'), 'utf8')) as Record<
  string,
  ExpectedIssue[]
>;
const key = (issue: ExpectedIssue) =>
  `${issue.code} ${JSON.stringify(issue.path)} ${issue.line}:${issue.column}`;

describe('bad policy files (tests/fixtures/policy/invalid)', () => {
  for (const file of readdirSync(join(FIXTURES, 'invalid')).filter((name) => name !== 'expected.json')) {
    test(`parsePolicy() rejects ${file} listing every problem with its path, line and column`, () => {
      const text = readFileSync(join(FIXTURES, 'invalid', file), 'utf8');
      const result = parsePolicy(text, { format: file.endsWith('.json') ? 'json' : 'yaml' });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const got = result.issues
        .map((issue) =>
          key({ code: issue.code, path: issue.path, line: issue.line ?? 0, column: issue.column ?? 0 }),
        )
        .sort();
      expect(got).toEqual((expected[file] ?? []).map(key).sort());
      for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(5);
    });
  }
});

describe('valid policy files (tests/fixtures/policy/valid)', () => {
  for (const file of readdirSync(join(FIXTURES, 'valid'))) {
    test(`parsePolicy() accepts ${file}`, () => {
      const result = parsePolicy(readFileSync(join(FIXTURES, 'valid', file), 'utf8'), {
        format: file.endsWith('.json') ? 'json' : 'yaml',
      });
      expect(result.ok ? [] : result.issues).toEqual([]);
    });
  }

  test('the shipped starters are the fixture files, byte for byte', () => {
    expect(readFileSync(join(FIXTURES, 'valid', 'baseline.yaml'), 'utf8')).toBe(starterPolicy('baseline'));
    expect(readFileSync(join(FIXTURES, 'valid', 'strict.yaml'), 'utf8')).toBe(starterPolicy('strict'));
  });
});

test('redaction patterns that are not RE2, duplicate pattern ids and unknown disabled rules are errors with line and column', () => {
  const source = [
    'version: 1',
    'default: allow',
    'redaction:',
    '  patterns:',
    "    - { id: acme, regex: 'acme_(' }",
    "    - { id: acme, regex: 'acme_[a-z]{8}' }",
    '  disable: [no-such-rule]',
    '  entropy: { threshold: 99 }',
    'privacy: { tier: secret }',
    '',
  ].join('\n');
  const parsed = parsePolicy(source);
  if (parsed.ok) throw new Error('expected issues');
  const where = (path: string) => parsed.issues.find((i) => i.path.join('.') === path);
  expect(where('redaction.patterns.0.regex')).toMatchObject({ code: 'INVALID_VALUE', line: 5 });
  expect(where('redaction.patterns.1.id')).toMatchObject({ code: 'DUPLICATE_ID', line: 6 });
  expect(where('redaction.disable.0')).toMatchObject({ code: 'INVALID_VALUE', line: 7 });
  expect(where('redaction.entropy.threshold')?.line).toBe(8);
  expect(where('privacy.tier')?.line).toBe(9);
});
