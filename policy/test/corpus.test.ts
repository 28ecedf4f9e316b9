import { describe, expect, test } from 'bun:test';
import { evaluate } from '../src/index.ts';
import { fixtureContext, loadCorpus, starter } from './support.ts';

const policies = { baseline: starter('baseline'), strict: starter('strict') };
const ctx = await fixtureContext();
const bypass = loadCorpus('bypass');
const benign = loadCorpus('benign');

describe('bypass corpus (tests/fixtures/policy/bypass)', () => {
  test('has at least 150 realistic PreToolUse payloads, each with a strict expectation', () => {
    expect(bypass.length).toBeGreaterThanOrEqual(150);
    for (const item of bypass) expect(item.expect.strict).toBeDefined();
  });

  test('every case is denied under strict', () => {
    const failures = bypass
      .map((item) => ({ item, decision: evaluate(policies.strict, item.input, ctx) }))
      .filter(({ item, decision }) => decision.effect !== item.expect.strict)
      .map(
        ({ item, decision }) =>
          `${item.file}: ${item.name}: got ${decision.effect} (${decision.rule}: ${decision.detail})`,
      );
    expect(failures).toEqual([]);
  });

  test('every sensitive-path case is denied under baseline, and the rest get their documented effect', () => {
    const withBaseline = bypass.filter((item) => item.expect.baseline !== undefined);
    expect(withBaseline.filter((item) => item.expect.baseline === 'deny').length).toBeGreaterThanOrEqual(150);
    const failures = withBaseline
      .map((item) => ({ item, decision: evaluate(policies.baseline, item.input, ctx) }))
      .filter(({ item, decision }) => decision.effect !== item.expect.baseline)
      .map(
        ({ item, decision }) =>
          `${item.file}: ${item.name}: got ${decision.effect} (${decision.rule}: ${decision.detail})`,
      );
    expect(failures).toEqual([]);
  });
});

describe('benign corpus (tests/fixtures/policy/benign)', () => {
  test('has at least 150 ordinary developer commands and file operations', () => {
    expect(benign.length).toBeGreaterThanOrEqual(150);
  });

  test('every case is allowed under baseline (no false positives)', () => {
    const failures = benign
      .map((item) => ({ item, decision: evaluate(policies.baseline, item.input, ctx) }))
      .filter(({ decision }) => decision.effect !== 'allow')
      .map(
        ({ item, decision }) =>
          `${item.file}: ${item.name}: got ${decision.effect} (${decision.rule}: ${decision.detail})`,
      );
    expect(failures).toEqual([]);
  });

  test('cases marked for strict get their strict effect', () => {
    const failures = benign
      .filter((item) => item.expect.strict !== undefined)
      .map((item) => ({ item, decision: evaluate(policies.strict, item.input, ctx) }))
      .filter(({ item, decision }) => decision.effect !== item.expect.strict)
      .map(
        ({ item, decision }) =>
          `${item.file}: ${item.name}: got ${decision.effect} (${decision.rule}: ${decision.detail})`,
      );
    expect(failures).toEqual([]);
  });
});
