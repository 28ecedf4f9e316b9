import type { EvaluationContext, PostureValue } from '@ceros/policy';
import { type Decide, NO_POLICY } from '../decide/decision.ts';
import type { PostureSnapshot } from '../posture/types.ts';
import type { Lockdown } from './session-core.ts';
import { policyDecide, type SessionPolicy } from './session-policy.ts';

/**
 * What changes while a session runs and what the hook path reads at each call: the policy in
 * force (the edge may publish a new one), its decide function, the latest posture and a lockdown
 * (revocation, failed posture). Stages that change it receive it; nothing else holds a copy.
 */
export interface SessionState {
  policy: SessionPolicy | null;
  decide: Decide;
  /** The policy's context for this session (paths, shell parser, MCP identities); undefined with no policy. */
  evaluation: EvaluationContext | undefined;
  posture: PostureSnapshot;
  facts: Record<string, PostureValue>;
  lockdown: Lockdown | undefined;
}

export function createSessionState(init: {
  policy: SessionPolicy | null;
  evaluation: EvaluationContext | undefined;
  posture: PostureSnapshot;
  facts: Record<string, PostureValue>;
}): SessionState {
  const state: SessionState = { ...init, decide: NO_POLICY, lockdown: undefined };
  if (init.policy && init.evaluation) enforce(state, init.policy, init.evaluation);
  return state;
}

/** Puts `policy` in force: the next hook call is decided by it, with the session's live posture. */
export function enforce(state: SessionState, policy: SessionPolicy, evaluation: EvaluationContext): void {
  state.policy = policy;
  state.evaluation = evaluation;
  state.decide = policyDecide(policy.compiled, evaluation, () => state.facts);
}
