import type { Decision, EvaluationInput } from '@ceros/policy';

/**
 * The one seam between the hook path and policy: the daemon asks `Decide` for every tool call,
 * with the call as policy's `toEvaluationInput` built it from the hook payload. It must be pure and
 * synchronous; `guardDecide` turns any throw into a deny that says why. The decision is policy's
 * `Decision` (one type for evaluate(), the answer and the journal).
 */
export type Decide = (call: EvaluationInput) => Decision;

/**
 * Development only (`ceros claude --no-policy-dev`): no policy at all, every tool is allowed and
 * recorded. Without the flag, a session with no configured policy enforces the baseline starter.
 */
export const NO_POLICY: Decide = () => ({
  effect: 'allow',
  rule: 'no-policy',
  reason: 'No policy is in force (--no-policy-dev): every tool is allowed and recorded',
  policyHash: null,
  mode: 'enforce',
  opaque: false,
  matches: [],
});

/** A deny from the session itself rather than a rule (revoked device, failed posture, internal error). */
export function sessionDeny(rule: string, reason: string, policyHash: string | null): Decision {
  return { effect: 'deny', rule, reason, policyHash, mode: 'enforce', opaque: false, matches: [] };
}

export function guardDecide(decide: Decide, policyHash: () => string | null = () => null): Decide {
  return (call) => {
    try {
      const decision = decide(call);
      if (decision.effect !== 'allow' && decision.effect !== 'deny' && decision.effect !== 'ask') {
        throw new Error(`policy returned the effect "${String(decision.effect)}"`);
      }
      return decision;
    } catch (error) {
      return sessionDeny(
        'ceros/internal-error',
        `Denied because the policy could not be evaluated: ${(error as Error).message}`,
        policyHash(),
      );
    }
  };
}
