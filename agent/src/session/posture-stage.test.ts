import { describe, expect, test } from 'bun:test';
import { compilePolicy, parsePolicy } from '@ceros/policy';
import type { JournalEntry } from '@ceros/protocol';
import { createFakeSnapshot } from '../posture/fake-snapshot.ts';
import type { PostureSnapshot } from '../posture/types.ts';
import { runPostureStage, watchPosture } from './posture-stage.ts';
import type { SessionPolicy } from './session-policy.ts';
import { createSessionState } from './session-state.ts';
import { postureFacts } from './trust.ts';

const REQUIRE_ENCRYPTION =
  'version: 1\ndefault: allow\nposture:\n  diskEncryption:\n    require: ok\n    onUnmet: refuse\n    reason: Disks must be encrypted\n';

function policy(yaml: string): SessionPolicy {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) throw new Error(`fixture policy is invalid: ${JSON.stringify(parsed.issues)}`);
  const compiled = compilePolicy(parsed.value);
  return { compiled, source: { kind: 'unsigned-file', file: 'p.yaml', hash: compiled.hash, version: null } };
}

const unencrypted = (): PostureSnapshot =>
  createFakeSnapshot({
    diskEncryption: { status: 'failed', value: { volumes: [] }, evidence: 'fake', ms: 0.1 },
  });

describe('runPostureStage()', () => {
  test('passes a device that meets the policy, with the facts the hook path reads', async () => {
    const snapshot = createFakeSnapshot();
    const result = await runPostureStage({
      capture: async () => snapshot,
      policy: policy(REQUIRE_ENCRYPTION),
      product: 'Claude Code',
    });
    expect(result).toEqual({ ok: true, value: { posture: snapshot, facts: postureFacts(snapshot) } });
  });

  test('refuses a device that lacks what the policy requires, naming the requirement', async () => {
    const result = await runPostureStage({
      capture: async () => unencrypted(),
      policy: policy(REQUIRE_ENCRYPTION),
      product: 'Claude Code',
    });
    expect(result).toMatchObject({ ok: false, exitCode: 77 });
    expect(result.ok ? '' : result.error).toContain(
      "Refusing to start Claude Code: this device does not meet the policy's posture requirements:\n  - diskEncryption is failed: Disks must be encrypted",
    );
  });

  test('with no policy nothing is refused', async () => {
    expect(
      await runPostureStage({ capture: async () => unencrypted(), policy: null, product: 'X' }),
    ).toMatchObject({
      ok: true,
    });
  });
});

describe('watchPosture()', () => {
  test('journals a change, and a device that no longer meets the policy is locked down and ended', async () => {
    const start = createFakeSnapshot();
    const state = createSessionState({
      policy: policy(REQUIRE_ENCRYPTION),
      evaluation: undefined,
      posture: start,
      facts: postureFacts(start),
    });
    const entries: { type: string; payload: unknown }[] = [];
    const ended: string[] = [];
    const monitor = watchPosture({
      capture: async () => unencrypted(),
      intervalMs: 60_000,
      state,
      recorder: {
        append: (type, payload) => {
          entries.push({ type, payload });
          return {} as JournalEntry;
        },
      },
      progress: () => {},
      end: (reason) => ended.push(reason),
    });
    try {
      await monitor.refresh();
      expect(entries.map((e) => e.type)).toEqual(['posture.change', 'alert']);
      expect(state.facts.diskEncryption).toBe('failed');
      expect(state.lockdown).toEqual({
        rule: 'posture',
        reason: 'Device posture no longer meets the policy (diskEncryption is failed); the session is ended',
      });
      expect(ended).toEqual([state.lockdown?.reason as string]);
    } finally {
      monitor.stop();
    }
  });
});
