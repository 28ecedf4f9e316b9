import type { PolicyTestCase } from './document/schema.ts';
import type { CompiledPolicy } from './evaluate/compile-policy.ts';
import { evaluate } from './evaluate/evaluate.ts';
import { createFakeRealpath } from './paths/resolve.ts';
import type { ShellParser } from './shell/parser.ts';
import type { Decision, Effect, EvaluationContext, PostureValue } from './types.ts';

/**
 * The test cases a policy carries (`tests:` in the document): each is a tool call and the decision
 * the policy must give it. They run on a model device (home {@link TEST_HOME}, project
 * {@link TEST_PROJECT}, no symlinks), so a case means the same on every machine and on the edge.
 */
export const TEST_HOME = '/home/dev';
export const TEST_PROJECT = '/home/dev/project';

export interface PolicyTestResult {
  /** Position in `tests` (0-based), for `tests.N` in messages. */
  index: number;
  name: string;
  pass: boolean;
  expected: { effect: Effect; rule?: string };
  actual: Pick<Decision, 'effect' | 'rule' | 'reason'>;
  /** The posture facts the case set; the others were unknown. */
  posture?: Readonly<Record<string, PostureValue>>;
  /** For a case that failed on a posture requirement whose fact it left unknown: what to set. */
  hint?: string;
}

export interface PolicyTestReport {
  passed: number;
  failed: number;
  results: PolicyTestResult[];
}

/** The evaluation context of the model device the cases run on. */
export function testDeviceContext(shell: ShellParser): EvaluationContext {
  return {
    home: TEST_HOME,
    cerosHome: `${TEST_HOME}/.ceros`,
    cerosBinary: '/usr/local/bin/ceros',
    realpath: createFakeRealpath({}),
    shell,
  };
}

export function runPolicyTests(policy: CompiledPolicy, shell: ShellParser): PolicyTestReport {
  const cases: readonly PolicyTestCase[] = policy.document.tests ?? [];
  const ctx = testDeviceContext(shell);
  const results = cases.map((test, index): PolicyTestResult => {
    const expected: PolicyTestResult['expected'] =
      typeof test.expect === 'string'
        ? { effect: test.expect }
        : {
            effect: test.expect.effect,
            ...(test.expect.rule !== undefined ? { rule: test.expect.rule } : {}),
          };
    const decision = evaluate(
      policy,
      {
        toolName: test.tool,
        toolInput: test.input ?? {},
        cwd: test.cwd ?? TEST_PROJECT,
        projectDir: TEST_PROJECT,
        ...(test.posture ? { posture: test.posture } : {}),
      },
      ctx,
    );
    const pass =
      decision.effect === expected.effect && (expected.rule === undefined || expected.rule === decision.rule);
    const hint = pass ? undefined : unsetFactHint(policy, test, decision.rule);
    return {
      index,
      name: test.name,
      pass,
      expected,
      actual: { effect: decision.effect, rule: decision.rule, reason: decision.reason },
      ...(test.posture ? { posture: test.posture } : {}),
      ...(hint ? { hint } : {}),
    };
  });
  const failed = results.filter((r) => !r.pass).length;
  return { passed: results.length - failed, failed, results };
}

/**
 * A case denied by `posture/<fact>` that does not set the fact ran on a device whose fact is
 * unknown: the usual surprise after a policy gains a posture requirement.
 */
function unsetFactHint(policy: CompiledPolicy, test: PolicyTestCase, rule: string): string | undefined {
  if (!rule.startsWith('posture/')) return undefined;
  const fact = rule.slice('posture/'.length);
  if (test.posture?.[fact] !== undefined) return undefined;
  const requirement = policy.posture.find((r) => r.fact === fact);
  const meets = requirement && [...requirement.accepted].find((value) => value !== 'unknown');
  if (!meets) return undefined;
  return `The case sets no posture for "${fact}", so it counts as unknown; add posture: { ${fact}: ${meets} } to decide it on a device that meets the requirement`;
}
