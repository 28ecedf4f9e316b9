import {
  type CompiledPolicy,
  compilePolicy,
  type PolicyDocument,
  type PolicyIssue,
  parsePolicy,
} from '@ceros/policy';
import type { PolicyCliDeps } from './deps.ts';

export type LoadedPolicy =
  | { ok: true; document: PolicyDocument; policy: CompiledPolicy }
  | { ok: false; issues: PolicyIssue[]; readError?: string };

/** Reads and compiles a local policy file (YAML, or JSON when the name ends in .json). */
export async function loadPolicyFile(path: string, deps: PolicyCliDeps): Promise<LoadedPolicy> {
  let text: string;
  try {
    text = await deps.readFile(path);
  } catch (error) {
    return {
      ok: false,
      issues: [],
      readError: `Cannot read policy file "${path}": ${(error as Error).message}`,
    };
  }
  const parsed = parsePolicy(text, { format: path.endsWith('.json') ? 'json' : 'yaml' });
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  return { ok: true, document: parsed.value, policy: compilePolicy(parsed.value) };
}

export function formatIssue(file: string, issue: PolicyIssue): string {
  const where = issue.line !== undefined ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}: ${path}${issue.message} [${issue.code}]`;
}
