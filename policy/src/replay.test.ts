import { describe, expect, test } from 'bun:test';
import { parsePolicyObject } from './document/parse-policy.ts';
import { compilePolicy } from './evaluate/compile-policy.ts';
import { createFakeRealpath } from './paths/resolve.ts';
import { checkSessionPosture } from './posture.ts';
import { replayDecisions } from './replay.ts';
import { createShellParser } from './shell/parser.ts';

const compiled = (doc: object) => {
  const parsed = parsePolicyObject({ version: 1, ...doc });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compilePolicy(parsed.value);
};

describe('replayDecisions()', () => {
  test('re-decides recorded calls and counts what changed', async () => {
    const ctx = {
      home: '/h',
      cerosHome: '/h/.ceros',
      cerosBinary: '/bin/ceros',
      realpath: createFakeRealpath({}),
      shell: await createShellParser(),
    };
    const policy = compiled({
      default: 'allow',
      rules: [
        { id: 'no-curl', programs: ['curl'], effect: 'deny' },
        { id: 'watch-wget', programs: ['wget'], effect: 'deny', mode: 'monitor' },
      ],
    });
    const input = (command: string) => ({
      toolName: 'Bash',
      toolInput: { command },
      cwd: '/h/p',
      projectDir: '/h/p',
    });
    const result = replayDecisions(
      policy,
      [
        { id: 'e1', input: input('ls'), recorded: { effect: 'allow' } },
        { id: 'e2', input: input('curl https://x'), recorded: { effect: 'allow' } },
        { id: 'e3', input: input('wget https://x') },
      ],
      ctx,
    );
    expect(result.summary).toEqual({
      total: 3,
      allow: 2,
      ask: 0,
      deny: 1,
      opaque: 0,
      changed: 1,
      wouldDeny: 1,
    });
    expect(result.decisions.map((entry) => [entry.id, entry.decision.effect, entry.changed])).toEqual([
      ['e1', 'allow', false],
      ['e2', 'deny', true],
      ['e3', 'allow', false],
    ]);
  });
});

describe('checkSessionPosture()', () => {
  test('refuses, restricts or monitors per requirement', () => {
    const policy = compiled({
      default: 'allow',
      posture: {
        diskEncryption: { onUnmet: 'refuse' },
        secureBoot: { require: ['ok', 'unknown'], onUnmet: { deny: ['@shell'] } },
        endpointProtection: { onUnmet: 'refuse', mode: 'monitor' },
      },
    });
    expect(
      checkSessionPosture(policy, { diskEncryption: 'ok', secureBoot: 'unknown', endpointProtection: 'ok' }),
    ).toEqual({ ok: true, refused: [], restricted: [], monitored: [] });
    const bad = checkSessionPosture(policy, { diskEncryption: 'failed', secureBoot: 'failed' });
    expect(bad.ok).toBe(false);
    expect(bad.refused.map((f) => f.fact)).toEqual(['diskEncryption']);
    expect(bad.restricted.map((f) => f.fact)).toEqual(['secureBoot']);
    expect(bad.monitored.map((f) => f.fact)).toEqual(['endpointProtection']);
  });
});
