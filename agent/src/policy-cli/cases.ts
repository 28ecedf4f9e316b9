import {
  createFakeReaddir,
  createFakeRealpath,
  type Effect,
  type EvaluationContext,
  type EvaluationInput,
  type PostureValue,
  parsePreToolUse,
  type ShellParser,
  toEvaluationInput,
} from '@ceros/policy';
import type { PolicyCliDeps } from './deps.ts';

/**
 * Test-case files for `ceros policy test`: JSONL (one case a line), a JSON array, or a JSON
 * object `{ context, cases }`. A line `{"context": {...}}` in JSONL sets the context too.
 *
 * A case: `{ name, payload: <PreToolUse hook payload>, expect }` where `expect` is an effect,
 * `{ effect, rule? }`, or a map from policy name to either (`{ "strict": "deny", "baseline": "allow" }`).
 */
export interface CaseContext {
  home?: string;
  projectDir?: string;
  cerosHome?: string;
  cerosBinary?: string;
  /** Symlinks `link -> target`: when present, a fake realpath over this table replaces the real one. */
  links?: Record<string, string>;
  /** Files that exist on the model device: a fake readdir over them (and `links`) replaces the real one. */
  files?: string[];
  posture?: Record<string, PostureValue>;
}

export interface Expectation {
  effect: Effect;
  rule?: string;
}

export interface TestCase {
  name: string;
  line: number;
  input: EvaluationInput;
  expect: Expectation | Record<string, Expectation | Effect> | undefined;
  error?: string;
}

export interface CaseFile {
  context: CaseContext;
  cases: TestCase[];
}

const EFFECTS = new Set(['allow', 'ask', 'deny']);

export function parseCaseFile(text: string, fileName: string): CaseFile {
  let context: CaseContext = {};
  const raws: Array<{ value: unknown; line: number }> = [];
  const trimmed = text.trim();
  if (fileName.endsWith('.jsonl') || (trimmed.startsWith('{') && trimmed.includes('\n{'))) {
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '' || line.trim().startsWith('//')) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        value = { __error: `line ${index + 1} is not JSON: ${(error as Error).message}` };
      }
      if (isObject(value) && isObject(value.context) && Object.keys(value).length === 1)
        context = value.context as CaseContext;
      else raws.push({ value, line: index + 1 });
    });
  } else {
    const data: unknown = JSON.parse(text);
    const list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.cases) ? data.cases : [];
    if (isObject(data) && isObject(data.context)) context = data.context as CaseContext;
    list.forEach((value, index) => {
      raws.push({ value, line: index + 1 });
    });
  }
  return { context, cases: raws.map(({ value, line }) => toCase(value, line, context)) };
}

function toCase(value: unknown, line: number, context: CaseContext): TestCase {
  const fallback: EvaluationInput = { toolName: '?', toolInput: {}, cwd: '/', projectDir: '/' };
  if (!isObject(value))
    return { name: `case ${line}`, line, input: fallback, expect: undefined, error: 'is not an object' };
  if (typeof value.__error === 'string')
    return { name: `case ${line}`, line, input: fallback, expect: undefined, error: value.__error };
  const name = typeof value.name === 'string' ? value.name : `case ${line}`;
  const payload = parsePreToolUse(value.payload ?? value);
  if (!payload.ok)
    return { name, line, input: fallback, expect: undefined, error: `payload: ${payload.error}` };
  const projectDir =
    typeof value.projectDir === 'string' ? value.projectDir : (context.projectDir ?? payload.value.cwd);
  const input = toEvaluationInput(payload.value, {
    projectDir,
    ...(context.posture ? { posture: context.posture } : {}),
  });
  return { name, line, input, expect: normaliseExpect(value.expect) };
}

function normaliseExpect(value: unknown): TestCase['expect'] {
  if (typeof value === 'string' && EFFECTS.has(value)) return { effect: value as Effect };
  if (isObject(value) && typeof value.effect === 'string' && EFFECTS.has(value.effect)) {
    return typeof value.rule === 'string'
      ? { effect: value.effect as Effect, rule: value.rule }
      : { effect: value.effect as Effect };
  }
  if (isObject(value)) {
    const out: Record<string, Expectation> = {};
    for (const [key, inner] of Object.entries(value)) {
      const normal = normaliseExpect(inner);
      if (normal && 'effect' in normal && typeof normal.effect === 'string') out[key] = normal as Expectation;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return undefined;
}

/** The expectation for the policy named `policyName`, if the case has one. */
export function expectationFor(testCase: TestCase, policyName: string | undefined): Expectation | undefined {
  const expect = testCase.expect;
  if (!expect) return undefined;
  if ('effect' in expect && typeof expect.effect === 'string') return expect as Expectation;
  if (policyName === undefined) return undefined;
  const entry = (expect as Record<string, Expectation>)[policyName];
  return entry;
}

export function evaluationContext(
  context: CaseContext,
  deps: PolicyCliDeps,
  shell: ShellParser,
): EvaluationContext {
  return {
    home: context.home ?? deps.home,
    cerosHome: context.cerosHome ?? deps.cerosHome,
    cerosBinary: context.cerosBinary ?? deps.cerosBinary,
    realpath: context.links ? createFakeRealpath(context.links) : deps.realpath,
    ...readdirFor(context, deps),
    shell,
  };
}

/** A model device (links or files given) lists only its own files; otherwise the real folders. */
function readdirFor(context: CaseContext, deps: PolicyCliDeps): Pick<EvaluationContext, 'readdir'> {
  if (context.files) return { readdir: createFakeReaddir(context.files, context.links ?? {}) };
  if (context.links || !deps.readdir) return {};
  return { readdir: deps.readdir };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
