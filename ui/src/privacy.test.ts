import { expect, test } from 'bun:test';
import { privacyOf } from './privacy.ts';

test('privacyOf() reads the tier and retention from YAML and JSON policy sources, and defaults to full', () => {
  expect(
    privacyOf('version: 1\ndefault: allow\nprivacy:\n  tier: arguments\n  retention:\n    arguments: 90\n'),
  ).toEqual({
    tier: 'arguments',
    byDefault: false,
    retention: { arguments: 90, content: null },
  });
  expect(privacyOf('version: 1\nprivacy: { tier: metadata }\n').tier).toBe('metadata');
  expect(
    privacyOf('{"version":1,"privacy":{"tier":"full","retention":{"content":30,"arguments":365}}}').retention,
  ).toEqual({ arguments: 365, content: 30 });
  expect(privacyOf('version: 1\ndefault: allow\n')).toEqual({
    tier: 'full',
    byDefault: true,
    retention: { arguments: null, content: null },
  });
});
