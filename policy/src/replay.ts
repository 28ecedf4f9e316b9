import type { CompiledPolicy } from './evaluate/compile-policy.ts';
import { evaluate } from './evaluate/evaluate.ts';
import type { Decision, Effect, EvaluationContext, EvaluationInput } from './types.ts';

/**
 * `ceros policy replay`: runs recorded calls (from the journal) through a policy, to see what a
 * new policy would have decided and where it differs from what was decided at the time.
 */
export interface ReplayCall {
  /** The journal entry or tool_use id, carried through to the result. */
  id?: string;
  input: EvaluationInput;
  /** What was decided when the call happened, if recorded. */
  recorded?: { effect: Effect; rule?: string; policyHash?: string };
}

export interface ReplayedDecision {
  id?: string;
  input: EvaluationInput;
  decision: Decision;
  recorded?: ReplayCall['recorded'];
  /** The effect differs from the recorded one. */
  changed: boolean;
}

export interface ReplayResult {
  decisions: ReplayedDecision[];
  summary: {
    total: number;
    allow: number;
    ask: number;
    deny: number;
    opaque: number;
    changed: number;
    wouldDeny: number;
  };
}

export function replayDecisions(
  policy: CompiledPolicy,
  calls: readonly ReplayCall[],
  ctx: EvaluationContext,
): ReplayResult {
  const summary = { total: 0, allow: 0, ask: 0, deny: 0, opaque: 0, changed: 0, wouldDeny: 0 };
  const decisions = calls.map((call): ReplayedDecision => {
    const decision = evaluate(policy, call.input, ctx);
    const changed = call.recorded !== undefined && call.recorded.effect !== decision.effect;
    summary.total++;
    summary[decision.effect]++;
    if (decision.opaque) summary.opaque++;
    if (changed) summary.changed++;
    if (decision.monitor?.effect === 'deny') summary.wouldDeny++;
    const out: ReplayedDecision = { input: call.input, decision, changed };
    if (call.id !== undefined) out.id = call.id;
    if (call.recorded !== undefined) out.recorded = call.recorded;
    return out;
  });
  return { decisions, summary };
}
