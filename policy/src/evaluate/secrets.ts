import type { Effect, Mode } from '../document/schema.ts';
import { policyDetector } from '../redaction/policy-redaction.ts';
import type { CompiledPolicy } from './compile-policy.ts';

/** The rule id of a decision that a secret in the tool input caused. */
export const SECRET_RULE = 'secret-in-input';

/**
 * `redaction.block: [tool-input]`: a tool call whose input carries a secret is denied, so it is
 * never run with (and never hands to a tool) a credential the organization's rules recognise.
 * Detection is the journal's (same rules, same detector); the scan is bounded, and one that runs
 * out of budget counts as finding a secret (fail closed).
 */
export function secretVerdict(
  policy: CompiledPolicy,
  toolInput: unknown,
): { rule: string; effect: Effect; mode: Mode; reason: string; detail: string } | undefined {
  const section = policy.document.redaction;
  if (!section?.block?.includes('tool-input')) return undefined;
  const detector = policyDetector(policy);
  const types = new Set<string>();
  const texts: string[] = [];
  const visit = (v: unknown, depth: number) => {
    if (typeof v === 'string') texts.push(v);
    else if (v && typeof v === 'object' && depth < 64)
      for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item, depth + 1);
  };
  visit(toolInput, 0);
  const steps = detector.scan(texts.join('\n\u0000\n'));
  const deadline = performance.now() + 2000;
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) {
      for (const finding of step.value) types.add(finding.type);
      break;
    }
    if (performance.now() > deadline) {
      types.add('unscanned');
      break;
    }
  }
  if (types.size === 0) return undefined;
  const list = [...types].sort().join(', ');
  return {
    rule: SECRET_RULE,
    effect: 'deny',
    mode: section.mode ?? policy.mode,
    reason:
      section.reason ??
      `The tool input carries a secret (${list}); the policy blocks tool calls that would use one`,
    detail: `secret in tool input: ${list}`,
  };
}
