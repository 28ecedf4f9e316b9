import type { CompiledPolicy } from './evaluate/compile-policy.ts';
import type { PostureValue } from './types.ts';

/**
 * Session-start check of posture requirements, for the agent to refuse a session outright;
 * evaluate() enforces the same requirements on every call as well.
 */
export interface PostureCheck {
  /** False when a requirement with `onUnmet: refuse` is unmet and enforced. */
  ok: boolean;
  refused: PostureFinding[];
  /** Unmet requirements that restrict tools instead of refusing the session. */
  restricted: PostureFinding[];
  /** Unmet requirements in monitor mode: journal them, do not act. */
  monitored: PostureFinding[];
}

export interface PostureFinding {
  fact: string;
  value: PostureValue;
  reason: string;
}

export function checkSessionPosture(
  policy: CompiledPolicy,
  posture: Readonly<Record<string, PostureValue | undefined>> | undefined,
): PostureCheck {
  const result: PostureCheck = { ok: true, refused: [], restricted: [], monitored: [] };
  for (const requirement of policy.posture) {
    const value = posture?.[requirement.fact] ?? 'unknown';
    if (requirement.accepted.has(value)) continue;
    const finding = {
      fact: requirement.fact,
      value,
      reason: requirement.reason ?? `Device posture requirement "${requirement.fact}" is not met (${value})`,
    };
    if (requirement.mode === 'monitor') result.monitored.push(finding);
    else if (requirement.refuse) result.refused.push(finding);
    else result.restricted.push(finding);
  }
  result.ok = result.refused.length === 0;
  return result;
}
