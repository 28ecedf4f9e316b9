import type { PolicyTestCase } from './document/schema.ts';
import type { CompiledPolicy } from './evaluate/compile-policy.ts';
import { evaluate } from './evaluate/evaluate.ts';
import { createFakeRealpath } from './paths/resolve.ts';
import type { ShellParser } from './shell/parser.ts';
import type { Decision, Effect, EvaluationContext } from './types.ts';

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
      },
      ctx,
    );
    const pass =
      decision.effect === expected.effect && (expected.rule === undefined || expected.rule === decision.rule);
    return {
      index,
      name: test.name,
      pass,
      expected,
      actual: { effect: decision.effect, rule: decision.rule, reason: decision.reason },
    };
  });
  const failed = results.filter((r) => !r.pass).length;
  return { passed: results.length - failed, failed, results };
}
