import { checkSessionPosture, type PostureValue } from '@ceros/policy';
import { EXIT } from '../cli/command.ts';
import { createPostureMonitor, type PostureMonitor } from '../posture/index.ts';
import type { PostureSnapshot } from '../posture/types.ts';
import type { Recorder } from './session-core.ts';
import type { SessionPolicy } from './session-policy.ts';
import type { SessionState } from './session-state.ts';
import { type Progress, type StageResult, stageFailure } from './stage.ts';
import { postureDigest, postureFacts } from './trust.ts';

export interface PostureReading {
  posture: PostureSnapshot;
  facts: Record<string, PostureValue>;
}

export interface PostureStageDeps {
  capture(): Promise<PostureSnapshot>;
  policy: SessionPolicy | null;
  /** The agent's name for messages (`Claude Code`). */
  product: string;
}

/** Posture gate: before the first token, refuse the session if the policy requires what this device lacks. */
export async function runPostureStage(deps: PostureStageDeps): Promise<StageResult<PostureReading>> {
  const posture = await deps.capture();
  const facts = postureFacts(posture);
  if (deps.policy) {
    const check = checkSessionPosture(deps.policy.compiled, facts);
    if (!check.ok) {
      const lines = check.refused.map((f) => `  - ${f.fact} is ${f.value}: ${f.reason}`).join('\n');
      return stageFailure(
        `Refusing to start ${deps.product}: this device does not meet the policy's posture requirements:\n${lines}\nRun \`ceros posture\` to see what was measured.`,
        EXIT.REFUSED,
      );
    }
  }
  return { ok: true, value: { posture, facts } };
}

export interface PostureWatchDeps {
  capture(): Promise<PostureSnapshot>;
  intervalMs: number;
  state: SessionState;
  recorder: Recorder;
  progress: Progress;
  /** Ends the agent, saying why (posture no longer meets the policy). */
  end(reason: string): void;
}

/**
 * Re-checks posture during the session: every change is journaled; a device that no longer meets
 * the policy is locked down (every tool call denied) and the agent is ended.
 */
export function watchPosture(deps: PostureWatchDeps): PostureMonitor {
  const { state } = deps;
  return createPostureMonitor({
    capture: deps.capture,
    intervalMs: deps.intervalMs,
    initial: state.posture,
    onChange: (changes, current) => {
      state.posture = current;
      state.facts = postureFacts(current);
      deps.recorder.append('posture.change', { changes, postureDigest: postureDigest(current) });
      if (!state.policy) return;
      const check = checkSessionPosture(state.policy.compiled, state.facts);
      const refused = check.refused.map((f) => `${f.fact} is ${f.value}`);
      if (refused.length > 0 && !state.lockdown) {
        const reason = `Device posture no longer meets the policy (${refused.join(', ')}); the session is ended`;
        state.lockdown = { rule: 'posture', reason };
        deps.recorder.append('alert', { kind: 'posture', message: reason, findings: check.refused });
        deps.end(reason);
      } else if (check.restricted.length > 0) {
        deps.recorder.append('alert', {
          kind: 'posture',
          message: 'Device posture changed: some tools are denied',
          findings: check.restricted,
        });
      }
    },
    onError: (error) => deps.progress(`ceros: posture re-check failed: ${(error as Error).message}`),
  });
}
