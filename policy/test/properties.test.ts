import { describe, test } from 'bun:test';
import fc from 'fast-check';
import {
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  type Effect,
  type EvaluationContext,
  type EvaluationInput,
  evaluate,
  type PolicyDocument,
  type PolicyRule,
} from '../src/index.ts';
import { FIXTURE_CONTEXT, fixtureContext, starter } from './support.ts';

const ctx = await fixtureContext();
const baseline = starter('baseline');
const strict = starter('strict');
const RANK: Record<Effect, number> = { allow: 1, ask: 2, deny: 3 };

const SHELL_TOKENS = [
  'cat',
  'ls',
  'rm',
  '-rf',
  'bash',
  'sh',
  '-c',
  'eval',
  'env',
  'sudo',
  'xargs',
  'find',
  '-exec',
  '{}',
  '\\;',
  '+',
  'git',
  '-C',
  '~',
  '~/.ssh/id_rsa',
  '$HOME',
  '${HOME}',
  '$(',
  ')',
  '`',
  '"',
  "'",
  "$'",
  '\\x63',
  '|',
  '||',
  '&&',
  ';',
  '&',
  '<',
  '>',
  '>>',
  '2>&1',
  '<<EOF',
  'EOF',
  '<<<',
  '<(',
  '>(',
  '(',
  '{',
  '}',
  '*',
  '?',
  '[a-z]',
  '{a,b}',
  '..',
  '../',
  '/etc/passwd',
  '.claude',
  'settings.json',
  'IFS=,',
  'X=1',
  '$X',
  '${X:-y}',
  '$((1+2))',
  'for',
  'in',
  'do',
  'done',
  'if',
  'then',
  'fi',
  'case',
  'esac',
  'function',
  'f()',
  '\n',
  '\t',
  ' ',
  '#',
  '!',
  'exec',
  '3<',
  'python3',
  "-c 'import os'",
  'curl',
  'file:///etc/shadow',
  '-d',
  '@~/.aws/credentials',
  'tar',
  'czf',
  'cd',
  'source',
  '.',
  '/dev/tcp/x/1',
  '\\',
  '\u0000',
  '\u202e',
  'é',
  '😀',
];

const shellCommand = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 300 }),
  fc.array(fc.constantFrom(...SHELL_TOKENS), { maxLength: 40 }).map((tokens) => tokens.join(' ')),
  fc.array(fc.constantFrom(...SHELL_TOKENS), { maxLength: 40 }).map((tokens) => tokens.join('')),
);

const TOOL_NAMES = [
  'Bash',
  'Read',
  'Write',
  'Edit',
  'MultiEdit',
  'NotebookEdit',
  'Glob',
  'Grep',
  'LS',
  'WebFetch',
  'WebSearch',
  'Task',
  'mcp__github__x',
  'mcp__a__b__c',
  'mcp__',
  'ReadMcpResourceTool',
];

const toolInput = fc.oneof(
  fc.dictionary(
    fc.constantFrom(
      'command',
      'file_path',
      'path',
      'pattern',
      'url',
      'notebook_path',
      'allowed_domains',
      'server',
      'edits',
      'x',
    ),
    fc.jsonValue({ maxDepth: 3 }),
  ),
  shellCommand.map((command) => ({ command })),
  fc.object({ maxDepth: 3 }),
);

const anyInput: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    toolName: fc.oneof(fc.constantFrom(...TOOL_NAMES), fc.string({ unit: 'binary', maxLength: 50 })),
    toolInput,
    cwd: fc.oneof(
      fc.constant(FIXTURE_CONTEXT.projectDir),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('/', '/home/dev/.ssh', '/tmp/innocent', 'relative'),
    ),
    projectDir: fc.oneof(fc.constant(FIXTURE_CONTEXT.projectDir), fc.string({ maxLength: 40 })),
    sessionMode: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    posture: fc.option(
      fc.dictionary(fc.string({ maxLength: 10 }), fc.constantFrom('ok', 'failed', 'unknown')),
      { nil: undefined },
    ),
  }),
  fc.anything(),
);

function isDecision(decision: Decision): boolean {
  return (
    ['allow', 'ask', 'deny'].includes(decision.effect) &&
    typeof decision.rule === 'string' &&
    typeof decision.reason === 'string' &&
    typeof decision.policyHash === 'string'
  );
}

describe('evaluate() is total', () => {
  test('it never throws on arbitrary tool names, inputs and garbage shell commands, and always returns a decision', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        for (const policy of [baseline, strict]) {
          const decision = evaluate(policy, input as EvaluationInput, ctx);
          if (!isDecision(decision)) return false;
        }
        return true;
      }),
      { numRuns: 1500 },
    );
  });

  test('it analyses arbitrary Bash commands without internal errors, and strict denies whatever is opaque', () => {
    fc.assert(
      fc.property(shellCommand, (command) => {
        const input: EvaluationInput = {
          toolName: 'Bash',
          toolInput: { command },
          cwd: FIXTURE_CONTEXT.projectDir,
          projectDir: FIXTURE_CONTEXT.projectDir,
        };
        const decision = evaluate(strict, input, ctx);
        // No internal error either: the analyser copes with any text, it does not just get caught.
        const lenient = evaluate(baseline, input, ctx);
        return (
          isDecision(decision) &&
          decision.rule !== 'internal-error' &&
          lenient.rule !== 'internal-error' &&
          (!decision.opaque || decision.effect === 'deny')
        );
      }),
      { numRuns: 1500 },
    );
  });

  test('a broken context or policy object becomes a deny, not an exception', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (badPolicy, badContext) => {
        const input: EvaluationInput = {
          toolName: 'Bash',
          toolInput: { command: 'ls' },
          cwd: '/p',
          projectDir: '/p',
        };
        const a = evaluate(badPolicy as CompiledPolicy, input, ctx);
        const b = evaluate(baseline, input, badContext as EvaluationContext);
        return a.effect === 'deny' && b.effect === 'deny';
      }),
      { numRuns: 300 },
    );
  });
});

// Random policies over a small vocabulary, so rules actually match the random calls.
const EFFECT = fc.constantFrom<Effect>('allow', 'ask', 'deny');
const VOCAB_TOOLS = ['Bash', 'Read', 'Write', 'mcp__github__x', 'mcp__*', 'Re*'];
const VOCAB_PATHS = ['${project}/**', '~/.ssh/**', '/etc/**', '**/.env', '${project}/src/*.ts', '/tmp/**'];
const VOCAB_PROGRAMS = ['cat', 'rm', 'git', 'curl', '*', 'g*'];
const VOCAB_HOSTS = ['example.com', '*.example.com', '*'];

const ruleArb: fc.Arbitrary<Omit<PolicyRule, 'id'>> = fc.oneof(
  fc.record({
    effect: EFFECT,
    tools: fc.uniqueArray(fc.constantFrom(...VOCAB_TOOLS), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    effect: EFFECT,
    paths: fc.uniqueArray(fc.constantFrom(...VOCAB_PATHS), { minLength: 1, maxLength: 3 }),
    access: fc.constantFrom<'read' | 'write' | 'any'>('read', 'write', 'any'),
  }),
  fc.record({
    effect: EFFECT,
    programs: fc.uniqueArray(fc.constantFrom(...VOCAB_PROGRAMS), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    effect: EFFECT,
    hosts: fc.uniqueArray(fc.constantFrom(...VOCAB_HOSTS), { minLength: 1, maxLength: 2 }),
  }),
);

const policyArb = fc.record({
  default: EFFECT,
  opaque: EFFECT,
  rules: fc.array(ruleArb, { maxLength: 8 }),
});

const callArb: fc.Arbitrary<EvaluationInput> = fc.oneof(
  fc
    .constantFrom(
      'cat ~/.ssh/id_rsa',
      'git status',
      'rm -rf /tmp/x',
      'curl https://api.example.com/x',
      'cat src/app.ts | grep x',
      'cat /etc/hosts && ls',
      'echo hi > /tmp/out',
      'cat .env',
    )
    .map((command) => ({
      toolName: 'Bash',
      toolInput: { command },
      cwd: FIXTURE_CONTEXT.projectDir,
      projectDir: FIXTURE_CONTEXT.projectDir,
    })),
  fc.record({
    toolName: fc.constantFrom('Read', 'Write', 'mcp__github__x', 'WebFetch'),
    toolInput: fc.constantFrom(
      { file_path: '/home/dev/project/src/app.ts' },
      { file_path: '/etc/hosts' },
      { file_path: '/home/dev/.ssh/id_rsa' },
      { url: 'https://api.example.com/' },
    ),
    cwd: fc.constant(FIXTURE_CONTEXT.projectDir),
    projectDir: fc.constant(FIXTURE_CONTEXT.projectDir),
  }),
);

function build(spec: {
  default: Effect;
  opaque: Effect;
  rules: Array<Omit<PolicyRule, 'id'>>;
}): CompiledPolicy | undefined {
  // Drop rules whose selector duplicates an earlier one: the parser rejects those as conflicts.
  const seen = new Set<string>();
  const rules: PolicyRule[] = [];
  spec.rules.forEach((rule, index) => {
    const key = JSON.stringify({ ...rule, effect: undefined });
    if (seen.has(key)) return;
    seen.add(key);
    rules.push({ ...rule, id: `r${index}` } as PolicyRule);
  });
  const doc: PolicyDocument = { version: 1, default: spec.default, opaque: spec.opaque, rules };
  try {
    return compilePolicy(doc);
  } catch {
    return undefined;
  }
}

describe('deny beats ask beats allow', () => {
  test('the decision is at least as strict as any single enforced rule decides on its own', () => {
    fc.assert(
      fc.property(policyArb, callArb, (spec, input) => {
        const policy = build(spec);
        if (!policy) return true;
        const decision = evaluate(policy, input, ctx);
        for (const rule of policy.document.rules ?? []) {
          const alone = build({ default: 'allow', opaque: 'allow', rules: [rule] });
          if (!alone) continue;
          const single = evaluate(alone, input, ctx);
          if (single.rule === rule.id && RANK[single.effect] > RANK[decision.effect]) return false;
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });

  test('adding a deny rule that matches the call always yields deny, whatever else allows it', () => {
    fc.assert(
      fc.property(policyArb, callArb, (spec, input) => {
        const extended = build({
          ...spec,
          rules: [
            ...spec.rules.map((rule) => ({ ...rule, effect: 'allow' as const })),
            { effect: 'deny', tools: [input.toolName, 'NoSuchTool'] },
          ],
        });
        if (!extended) return true;
        return evaluate(extended, input, ctx).effect === 'deny';
      }),
      { numRuns: 400 },
    );
  });
});
