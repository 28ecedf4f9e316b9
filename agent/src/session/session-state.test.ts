import { describe, expect, test } from 'bun:test';
import { compilePolicy, createFakeRealpath, createShellParser, parsePolicy } from '@ceros/policy';
import { createFakeSnapshot } from '../posture/fake-snapshot.ts';
import type { SessionPolicy } from './session-policy.ts';
import { createSessionState, enforce } from './session-state.ts';
import { postureFacts } from './trust.ts';

function policy(yaml: string): SessionPolicy {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) throw new Error('fixture policy is invalid');
  const compiled = compilePolicy(parsed.value);
  return { compiled, source: { kind: 'edge', file: null, hash: compiled.hash, version: 1 } };
}

const call = { toolName: 'Bash', toolInput: { command: 'ls' }, cwd: '/p', projectDir: '/p' };

describe('session state', () => {
  test('decides with the policy in force, switches when another is enforced, and reads the live posture', async () => {
    const evaluation = {
      home: '/home/dev',
      cerosHome: '/home/dev/.ceros',
      cerosBinary: '/usr/bin/ceros',
      realpath: createFakeRealpath({}),
      shell: await createShellParser(),
    };
    const snapshot = createFakeSnapshot();
    const state = createSessionState({
      policy: policy('version: 1\ndefault: allow\n'),
      evaluation,
      posture: snapshot,
      facts: postureFacts(snapshot),
    });
    expect(state.decide(call)).toMatchObject({ effect: 'allow', rule: 'default' });
    enforce(
      state,
      policy(
        'version: 1\ndefault: allow\nposture:\n  firewall: { require: ok, onUnmet: { deny: [Bash] } }\n',
      ),
      evaluation,
    );
    expect(state.decide(call)).toMatchObject({ effect: 'allow' });
    state.facts = { ...state.facts, firewall: 'failed' };
    expect(state.decide(call)).toMatchObject({ effect: 'deny', rule: 'posture/firewall' });
  });

  test('with no policy every call is allowed and says so', () => {
    const snapshot = createFakeSnapshot();
    const state = createSessionState({ policy: null, evaluation: undefined, posture: snapshot, facts: {} });
    expect(state.decide(call)).toMatchObject({ effect: 'allow', rule: 'no-policy', policyHash: null });
  });
});
