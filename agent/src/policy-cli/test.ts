import { type CompiledPolicy, type Decision, evaluate, runPolicyTests } from '@ceros/policy';
import { type CommandResult, EXIT } from '../cli/command.ts';
import { parseCliArgs } from './args.ts';
import { type CaseContext, evaluationContext, expectationFor, parseCaseFile } from './cases.ts';
import type { PolicyCliDeps } from './deps.ts';
import { formatIssue, loadPolicyFile } from './load.ts';

export const TEST_HELP = `Usage: ceros policy test FILE [--cases CASES] [--context CONTEXT] [--expect NAME] [--json]

Runs tool-call fixtures through a policy and compares each decision with the expected one.
Without --cases, runs the test cases the policy carries itself (tests: in the policy; each
{name, tool, input, posture, expect}, decided on a model device with home /home/dev, project
/home/dev/project, and the posture facts the case sets, the others unknown). The edge refuses
to publish a version whose own cases fail.
CASES is JSONL (one case a line) or JSON ({"context", "cases"} or a list). A case is
{"name", "payload": <PreToolUse hook payload>, "expect": EXPECT} where EXPECT is an effect
("allow", "ask", "deny"), {"effect", "rule"}, or a map from policy name to either.

Options:
  --cases FILE     the fixtures (default: the policy's own tests:)
  --context FILE   JSON {"home", "projectDir", "cerosHome", "cerosBinary", "links", "posture"};
                   "links" ({"/link": "/target"}) replaces the real file system for symlinks
  --expect NAME    which key of an expectation map to use (default: the policy's name)
  --json           print every result as JSON
  --help           show this help

Exits 0 when every case with an expectation passes, 1 otherwise.
`;

interface CaseResult {
  name: string;
  line: number;
  pass: boolean;
  skipped: boolean;
  expected?: { effect: string; rule?: string };
  actual?: Pick<Decision, 'effect' | 'rule' | 'reason'> & { detail?: string };
  error?: string;
}

export async function policyTest(args: readonly string[], deps: PolicyCliDeps): Promise<CommandResult> {
  const parsed = parseCliArgs(args, ['--cases', '--context', '--expect'], ['--json', '--help']);
  if (parsed.flags.has('--help')) return { stdout: TEST_HELP, stderr: '', exitCode: EXIT.OK };
  const [file, ...extra] = parsed.positional;
  const casesFile = parsed.values.get('--cases');
  if (parsed.errors.length > 0 || !file || extra.length > 0) {
    const problems = [...parsed.errors, ...(file ? [] : ['Missing FILE'])];
    return {
      stdout: '',
      stderr: `${problems.join('\n') || 'Too many arguments'}\n\n${TEST_HELP}`,
      exitCode: EXIT.USAGE,
    };
  }
  const loaded = await loadPolicyFile(file, deps);
  if (!loaded.ok)
    return {
      stdout: '',
      stderr: `${loaded.readError ?? loaded.issues.map((issue) => formatIssue(file, issue)).join('\n')}\n`,
      exitCode: EXIT.FAILURE,
    };
  if (!casesFile) return embeddedTests(file, loaded.policy, parsed.flags.has('--json'), deps);
  let caseFile: ReturnType<typeof parseCaseFile>;
  let context: CaseContext;
  try {
    caseFile = parseCaseFile(await deps.readFile(casesFile), casesFile);
    const contextFile = parsed.values.get('--context');
    context = contextFile
      ? { ...caseFile.context, ...(JSON.parse(await deps.readFile(contextFile)) as CaseContext) }
      : caseFile.context;
  } catch (error) {
    return {
      stdout: '',
      stderr: `Cannot read test cases: ${(error as Error).message}\n`,
      exitCode: EXIT.FAILURE,
    };
  }
  const policyName = parsed.values.get('--expect') ?? loaded.document.name;
  const ctx = evaluationContext(context, deps, await deps.shellParser());
  const results: CaseResult[] = caseFile.cases.map((testCase) => {
    if (testCase.error)
      return { name: testCase.name, line: testCase.line, pass: false, skipped: false, error: testCase.error };
    const input =
      context.projectDir && !testCase.input.projectDir
        ? { ...testCase.input, projectDir: context.projectDir }
        : testCase.input;
    const expected = expectationFor(testCase, policyName);
    const decision = evaluate(loaded.policy, input, ctx);
    const actual = {
      effect: decision.effect,
      rule: decision.rule,
      reason: decision.reason,
      ...(decision.detail ? { detail: decision.detail } : {}),
    };
    if (!expected) return { name: testCase.name, line: testCase.line, pass: true, skipped: true, actual };
    const pass =
      decision.effect === expected.effect && (expected.rule === undefined || expected.rule === decision.rule);
    return { name: testCase.name, line: testCase.line, pass, skipped: false, expected, actual };
  });
  const failed = results.filter((result) => !result.pass);
  const skipped = results.filter((result) => result.skipped).length;
  const passed = results.length - failed.length - skipped;
  const exitCode = failed.length > 0 ? EXIT.FAILURE : EXIT.OK;
  if (parsed.flags.has('--json'))
    return {
      stdout: `${JSON.stringify({ passed, failed: failed.length, skipped, results }, null, 2)}\n`,
      stderr: '',
      exitCode,
    };
  const lines = failed.map((result) =>
    result.error
      ? `FAIL ${casesFile}:${result.line} ${result.name}: ${result.error}`
      : `FAIL ${casesFile}:${result.line} ${result.name}: expected ${result.expected?.effect}${result.expected?.rule ? ` (${result.expected.rule})` : ''}, got ${result.actual?.effect} (${result.actual?.rule}${result.actual?.detail ? `: ${result.actual.detail}` : ''})`,
  );
  lines.push(
    `${passed} passed, ${failed.length} failed, ${skipped} without an expectation for "${policyName ?? '(unnamed policy)'}"`,
  );
  return { stdout: `${lines.join('\n')}\n`, stderr: '', exitCode };
}

/** The policy's own `tests:` (policy/src/policy-tests.ts), as the console and the edge run them. */
async function embeddedTests(
  file: string,
  policy: CompiledPolicy,
  json: boolean,
  deps: PolicyCliDeps,
): Promise<CommandResult> {
  if (!policy.document.tests?.length)
    return {
      stdout: '',
      stderr: `${file} has no tests: give --cases CASES, or add tests: to the policy\n\n${TEST_HELP}`,
      exitCode: EXIT.USAGE,
    };
  const report = runPolicyTests(policy, await deps.shellParser());
  const exitCode = report.failed > 0 ? EXIT.FAILURE : EXIT.OK;
  if (json) return { stdout: `${JSON.stringify(report, null, 2)}\n`, stderr: '', exitCode };
  const lines = report.results
    .filter((r) => !r.pass)
    .map(
      (r) =>
        `FAIL ${file} tests.${r.index} ${r.name}: expected ${r.expected.effect}${r.expected.rule ? ` (${r.expected.rule})` : ''}, got ${r.actual.effect} (${r.actual.rule}: ${r.actual.reason})${r.hint ? `\n  ${r.hint}` : ''}`,
    );
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return { stdout: `${lines.join('\n')}\n`, stderr: '', exitCode };
}
