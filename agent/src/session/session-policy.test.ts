import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, parsePolicy, starterPolicy } from '@ceros/policy';
import { loadPolicyFile, policyBanner, starterSessionPolicy } from './session-policy.ts';

describe('starterSessionPolicy()', () => {
  test('is the shipped baseline, compiled, with its hash and the reason it stands in', () => {
    const policy = starterSessionPolicy('no policy is configured');
    const parsed = parsePolicy(starterPolicy('baseline'));
    if (!parsed.ok) throw new Error('baseline does not parse');
    expect(policy.source).toEqual({
      kind: 'starter',
      file: null,
      hash: compilePolicy(parsed.value).hash,
      version: null,
      starter: 'baseline',
      fallbackReason: 'no policy is configured',
    });
    expect(policy.compiled.name).toBe('baseline');
  });
});

describe('policyBanner()', () => {
  test('names the policy in force and where it came from, in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ceros-banner-'));
    try {
      const file = join(dir, 'team.yaml');
      writeFileSync(file, 'version: 1\nname: team\ndefault: allow\n');
      const loaded = loadPolicyFile(file, { home: dir, trustedKeys: [], allowUnsigned: true });
      if (!loaded.ok || !loaded.value) throw new Error('the fixture policy did not load');
      const hash = loaded.value.source.hash.slice(0, 12);
      const lines = [
        policyBanner(starterSessionPolicy('your organization has published no policy yet'), null),
        policyBanner(loaded.value, null),
        policyBanner(
          { ...loaded.value, source: { ...loaded.value.source, kind: 'edge', version: 3 } },
          'https://edge.test',
        ),
        policyBanner(null, null),
      ];
      expect(lines[0]).toMatch(
        /^ceros: Enforcing the baseline starter policy \([0-9a-f]{12}\): your organization has published no policy yet$/,
      );
      expect(lines[1]).toBe(
        `ceros: Enforcing policy "team" from the unsigned file "${file}" (${hash}; --allow-unsigned-policy, journaled)`,
      );
      expect(lines[2]).toBe(
        `ceros: Enforcing policy "team" version 3 from the edge "https://edge.test" (${hash})`,
      );
      expect(lines[3]).toBe(
        'ceros: Running with no policy (--no-policy-dev): tool calls are recorded, not checked',
      );
      for (const line of lines) expect(line).not.toContain('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
