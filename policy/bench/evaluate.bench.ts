/**
 * Benchmark of evaluate() against a generated 1,000-rule policy on a realistic mix of tool calls
 * (about 60% Bash, so shell parsing is included). Reports per-decision p50/p99 with parsing,
 * p50/p99 of rule matching alone (facts extracted beforehand), and decisions per second.
 * Targets: p99 <= 1 ms with parsing, <= 50 us for matching alone.
 *
 * Run: npx bun policy/bench/evaluate.bench.ts
 */

import type { PolicyDocument, PolicyRule } from '../src/document/schema.ts';
import { compilePolicy } from '../src/evaluate/compile-policy.ts';
import { evaluate, evaluateFacts, extractFacts } from '../src/evaluate/evaluate.ts';
import { createFakeRealpath } from '../src/paths/resolve.ts';
import { createShellParser } from '../src/shell/parser.ts';
import type { EvaluationContext, EvaluationInput } from '../src/types.ts';

export interface Percentiles {
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

export interface EvaluateBenchResult {
  rules: number;
  decisions: number;
  /** evaluate() end to end, wall clock: shell parsing, analysis, matching. */
  withParsing: Percentiles;
  /** Matching alone, wall clock: the same calls with their facts extracted beforehand. */
  matchingOnly: Percentiles;
  /** Bash calls only, end to end, wall clock. */
  bashWithParsing: Percentiles;
  /**
   * Baseline measured in the same run (STYLE.md): a fixed arithmetic loop sized like a median
   * decision. Its p99 over p50 shows how much tail the machine adds to anything (preemption,
   * other processes); on a quiet machine it is close to 1.
   */
  control: { p50Us: number; p99Us: number; tailRatio: number };
  decisionsPerSecond: number;
  targets: { withParsingP99Us: 1000; matchingP99Us: 50; met: boolean };
}

export interface EvaluateBenchOptions {
  rules?: number;
  /** Timed rounds over the payload mix. */
  rounds?: number;
}

const HOME = '/home/dev';
const PROJECT = '/home/dev/project';

export function generatePolicy(ruleCount: number): PolicyDocument {
  const rules: PolicyRule[] = [];
  const effects = ['deny', 'ask', 'deny', 'allow'] as const;
  for (let i = 0; rules.length < ruleCount; i++) {
    const effect = effects[i % effects.length] ?? 'deny';
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
        rules.push({
          id: `tool-${i}`,
          tools: [`mcp__server${i % 40}__tool${i}`],
          effect,
          reason: `Tool rule ${i}`,
        });
        break;
      case 3:
        rules.push({
          id: `tool-when-${i}`,
          tools: ['WebFetch', `mcp__server${i % 40}__*`],
          when: { url: { glob: `https://blocked${i}.example.com/*` } },
          effect: 'deny',
        });
        break;
      case 4:
      case 5:
        rules.push({
          id: `path-${i}`,
          paths: [`/opt/data${i}/**`, `~/.secret${i}/**`, `\${project}/generated${i}/*.key`],
          effect: 'deny',
          access: i % 3 === 0 ? 'read' : 'any',
        });
        break;
      case 6:
        rules.push({
          id: `path-any-${i}`,
          paths: [`**/.cache${i}/*.token`],
          except: [`\${project}/fixtures/**`],
          effect: 'deny',
        });
        break;
      case 7:
      case 8:
        rules.push({
          id: `program-${i}`,
          programs: [`tool${i}`, `helper${i}-*`],
          ...(i % 4 === 0 ? { args: ['--force'] } : {}),
          effect: i % 5 === 0 ? 'ask' : 'deny',
        });
        break;
      default:
        rules.push({ id: `host-${i}`, hosts: [`host${i}.example.com`, `*.bad${i}.example`], effect: 'deny' });
    }
  }
  rules.push(
    { id: 'ssh-keys', paths: ['~/.ssh/**', '**/.ssh/**'], effect: 'deny' },
    { id: 'system-configuration', paths: ['/etc/**'], effect: 'deny' },
    { id: 'env-files', paths: ['**/.env', '**/.env.*'], except: ['**/.env.example'], effect: 'deny' },
  );
  return {
    version: 1,
    name: `generated-${ruleCount}`,
    default: 'allow',
    opaque: 'ask',
    rules: rules.slice(0, ruleCount),
    mcp: { deny: [{ name: 'evil' }] },
  };
}

const BASH = [
  'git status',
  'git diff --stat HEAD~1',
  'npm test 2>&1 | tail -20',
  'ls -la src/',
  'grep -rn "useEffect" src/ | head -20',
  'find . -name "*.ts" -not -path "./node_modules/*" | xargs wc -l',
  'cd packages/api && npm run build && npm test',
  'cat package.json | jq ".dependencies"',
  'git commit -m "$(cat <<\'EOF\'\nFix the retry loop\n\nIt retried forever on 429.\nEOF\n)"',
  'for f in src/*.ts; do wc -l "$f"; done',
  'rm -rf dist && mkdir -p dist && cp -r public/* dist/',
  'curl -s https://registry.npmjs.org/react | jq -r .version',
  'cat ~/.ssh/id_rsa',
  "bash -c 'cat ~/.aws/credentials'",
  'docker build -t web:dev . && docker run --rm -p 3000:3000 web:dev',
  'sed -i "s/oldName/newName/g" src/app.ts && git diff',
];

export function payloadMix(): EvaluationInput[] {
  const base = { cwd: PROJECT, projectDir: PROJECT };
  const calls: EvaluationInput[] = BASH.map((command) => ({
    ...base,
    toolName: 'Bash',
    toolInput: { command, description: 'run' },
  }));
  calls.push(
    { ...base, toolName: 'Read', toolInput: { file_path: `${PROJECT}/src/app.ts` } },
    { ...base, toolName: 'Read', toolInput: { file_path: '/etc/passwd' } },
    {
      ...base,
      toolName: 'Edit',
      toolInput: { file_path: `${PROJECT}/src/app.ts`, old_string: 'a', new_string: 'b' },
    },
    { ...base, toolName: 'Write', toolInput: { file_path: `${PROJECT}/src/new.ts`, content: 'export {}' } },
    { ...base, toolName: 'Grep', toolInput: { pattern: 'TODO', path: `${PROJECT}/src` } },
    { ...base, toolName: 'Glob', toolInput: { pattern: '**/*.test.ts' } },
    { ...base, toolName: 'WebFetch', toolInput: { url: 'https://docs.python.org/3/', prompt: 'x' } },
    { ...base, toolName: 'mcp__server3__tool3', toolInput: { q: 'x' } },
    { ...base, toolName: 'mcp__github__list_issues', toolInput: { repo: 'acme/web' } },
    { ...base, toolName: 'TodoWrite', toolInput: { todos: [] } },
  );
  return calls;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;
  return { p50Us: us(at(0.5)), p99Us: us(at(0.99)), meanUs: us(mean) };
}

export async function runEvaluateBench(options: EvaluateBenchOptions = {}): Promise<EvaluateBenchResult> {
  const ruleCount = options.rules ?? 1000;
  const rounds = options.rounds ?? 200;
  const policy = compilePolicy(generatePolicy(ruleCount));
  const ctx: EvaluationContext = {
    home: HOME,
    cerosHome: `${HOME}/.ceros`,
    cerosBinary: '/usr/local/bin/ceros',
    realpath: createFakeRealpath({ [`${PROJECT}/link`]: `${HOME}/.ssh` }),
    shell: await createShellParser(),
  };
  const calls = payloadMix();
  const facts = calls.map((input) => extractFacts(policy, input, ctx));
  // Warm up the JIT and the per-session path instance.
  for (let k = 0; k < 50; k++) for (const input of calls) evaluate(policy, input, ctx);

  const full: number[] = [];
  const bash: number[] = [];
  let totalMs = 0;
  for (let round = 0; round < rounds; round++) {
    for (const input of calls) {
      const t0 = performance.now();
      evaluate(policy, input, ctx);
      const elapsed = performance.now() - t0;
      totalMs += elapsed;
      full.push(elapsed);
      if (input.toolName === 'Bash') bash.push(elapsed);
    }
  }
  const matching: number[] = [];
  for (let round = 0; round < rounds; round++) {
    calls.forEach((input, index) => {
      const extracted = facts[index];
      if (!extracted) return;
      const t0 = performance.now();
      evaluateFacts(policy, input, ctx, extracted);
      matching.push(performance.now() - t0);
    });
  }
  const withParsing = percentiles(full);
  const matchingOnly = percentiles(matching);
  return {
    rules: policy.rules.length,
    decisions: full.length,
    withParsing,
    matchingOnly,
    bashWithParsing: percentiles(bash),
    control: controlLoop(withParsing.p50Us, full.length),
    decisionsPerSecond: Math.round(full.length / (totalMs / 1000)),
    targets: {
      withParsingP99Us: 1000,
      matchingP99Us: 50,
      met: withParsing.p99Us <= 1000 && matchingOnly.p99Us <= 50,
    },
  };
}

/** A fixed arithmetic loop calibrated to take about `targetUs`, timed `samples` times. */
function controlLoop(targetUs: number, samples: number): EvaluateBenchResult['control'] {
  let sink = 0;
  const spin = (n: number) => {
    let x = 0;
    for (let k = 0; k < n; k++) x = (x * 31 + k) % 1_000_003;
    sink += x;
  };
  const probe = 200_000;
  for (let k = 0; k < 5; k++) spin(probe);
  const runs: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t0 = performance.now();
    spin(probe);
    runs.push((performance.now() - t0) * 1000);
  }
  runs.sort((a, b) => a - b);
  const perIteration = (runs[3] ?? 1) / probe;
  const iterations = Math.max(1, Math.round(targetUs / perIteration));
  const times: number[] = [];
  for (let k = 0; k < samples; k++) {
    const t0 = performance.now();
    spin(iterations);
    times.push(performance.now() - t0);
  }
  const result = percentiles(times);
  if (sink === Number.MIN_VALUE) console.log(sink);
  return {
    p50Us: result.p50Us,
    p99Us: result.p99Us,
    tailRatio: Math.round((result.p99Us / Math.max(result.p50Us, 0.1)) * 10) / 10,
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await runEvaluateBench(), null, 2));
}
