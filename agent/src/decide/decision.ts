/**
 * The one seam between the hook path and policy: the daemon asks `Decide` for every tool call.
 * It must be pure and synchronous; `guardDecide` turns any throw into a deny that says why.
 */
export type Effect = 'allow' | 'deny' | 'ask';

export interface ToolCall {
  toolName: string;
  toolInput: Record<string, unknown>;
  toolUseId: string | null;
  cwd: string;
  projectDir: string;
  agentId: string | null;
}

export interface Decision {
  effect: Effect;
  /** The rule that decided, or null for the policy's default. */
  rule: string | null;
  reason: string;
  /** What triggered the deciding rule (`Read of /etc/passwd`, `program rm`...). */
  detail?: string;
  policyHash: string | null;
  /** monitor: the effect is journaled as what *would* have happened, and the call is allowed. */
  mode: 'enforce' | 'monitor';
  /** In monitor mode, what enforce mode would have done. */
  wouldBe?: Effect;
  /** A monitor-mode rule that would have decided more strictly: journaled as "would deny". */
  monitor?: { effect: Effect; rule: string; reason: string; detail?: string };
  /** Part of the call could not be analysed statically. */
  opaque?: boolean;
  /** Every rule that matched, strongest first (from the policy engine). */
  matches?: unknown[];
}

export type Decide = (call: ToolCall) => Decision;

export const ALLOW_ALL: Decide = () => ({
  effect: 'allow',
  rule: null,
  reason: 'No policy is configured: every tool is allowed and recorded',
  policyHash: null,
  mode: 'enforce',
});

export function guardDecide(decide: Decide): Decide {
  return (call) => {
    try {
      const decision = decide(call);
      if (decision.effect !== 'allow' && decision.effect !== 'deny' && decision.effect !== 'ask') {
        throw new Error(`policy returned the effect "${String(decision.effect)}"`);
      }
      return decision;
    } catch (error) {
      return {
        effect: 'deny',
        rule: 'ceros/internal-error',
        reason: `Denied because the policy could not be evaluated: ${(error as Error).message}`,
        policyHash: null,
        mode: 'enforce',
      };
    }
  };
}
