import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CompiledPolicy,
  compilePolicy,
  createFakeReaddir,
  createFakeRealpath,
  createShellParser,
  type Effect,
  type EvaluationContext,
  type EvaluationInput,
  parsePolicy,
  parsePreToolUse,
  type ShellParser,
  starterPolicy,
  toEvaluationInput,
} from '../src/index.ts';

/** Shared fixtures live in tests/fixtures/policy (STYLE.md 11): the agent and e2e tests read the same files. */
export const FIXTURES = join(import.meta.dir, '..', '..', 'tests', 'fixtures', 'policy');

interface FixtureContext {
  home: string;
  projectDir: string;
  cerosHome: string;
  cerosBinary: string;
  links: Record<string, string>;
  /** Files that exist, for the fake readdir (globs and recursions that follow links). */
  files: string[];
}

export const FIXTURE_CONTEXT = JSON.parse(
  readFileSync(join(FIXTURES, 'context.json'), 'utf8'),
) as FixtureContext;

let shell: Promise<ShellParser> | undefined;

export function sharedShellParser(): Promise<ShellParser> {
  shell ??= createShellParser();
  return shell;
}

export async function fixtureContext(): Promise<EvaluationContext> {
  return {
    home: FIXTURE_CONTEXT.home,
    cerosHome: FIXTURE_CONTEXT.cerosHome,
    cerosBinary: FIXTURE_CONTEXT.cerosBinary,
    realpath: createFakeRealpath(FIXTURE_CONTEXT.links),
    readdir: createFakeReaddir(FIXTURE_CONTEXT.files, FIXTURE_CONTEXT.links),
    shell: await sharedShellParser(),
  };
}

export function starter(name: 'baseline' | 'strict'): CompiledPolicy {
  return policyFrom(starterPolicy(name));
}

export function policyFrom(text: string): CompiledPolicy {
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new Error(`Test policy is invalid: ${JSON.stringify(parsed.issues)}`);
  return compilePolicy(parsed.value);
}

export interface CorpusCase {
  file: string;
  name: string;
  input: EvaluationInput;
  expect: Record<string, Effect>;
}

export function loadCorpus(folder: string): CorpusCase[] {
  const dir = join(FIXTURES, folder);
  const cases: CorpusCase[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.jsonl')) continue;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const raw = JSON.parse(line) as { name: string; payload: unknown; expect: Record<string, Effect> };
      const payload = parsePreToolUse(raw.payload);
      if (!payload.ok) throw new Error(`${file}: ${raw.name}: ${payload.error}`);
      cases.push({
        file,
        name: raw.name,
        input: toEvaluationInput(payload.value, { projectDir: FIXTURE_CONTEXT.projectDir }),
        expect: raw.expect,
      });
    }
  }
  return cases;
}

/** A Bash call in the fixture project. */
export function bash(command: string, cwd = FIXTURE_CONTEXT.projectDir): EvaluationInput {
  return { toolName: 'Bash', toolInput: { command }, cwd, projectDir: FIXTURE_CONTEXT.projectDir };
}

export function tool(toolName: string, toolInput: Record<string, unknown>): EvaluationInput {
  return { toolName, toolInput, cwd: FIXTURE_CONTEXT.projectDir, projectDir: FIXTURE_CONTEXT.projectDir };
}
