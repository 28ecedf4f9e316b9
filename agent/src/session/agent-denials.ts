import type { Decision, HookInput } from '@ceros/policy';

/**
 * Tool calls Claude Code refused on its own, journaled as decisions (issue 12, item 9). A
 * `permissions.deny` rule compiled from the policy (a Read under `~/.ssh`), an unknown tool or an
 * invalid input stops a call before PreToolUse fires, so ceros never decided it and the console
 * showed "No decision". Two views catch them: PermissionDenied (Claude Code's own event, where the
 * version fires it: auto mode's classifier on 2.1.197 and 2.1.337) and PostToolBatch, which lists
 * every call of a batch with the text the model got, refusals included.
 */
export type AgentVerdict =
  /** Refused by Claude Code itself: a decision for the journal. */
  | { kind: 'refused'; rule: string; reason: string }
  /** The hook failed closed before reaching the daemon (it was gone or someone else). */
  | { kind: 'hook-failed'; reason: string }
  /** It ran, and no ceros decision exists for it: evidence of a path around PreToolUse. */
  | { kind: 'undecided'; response: string };

/** Texts Claude Code puts in a tool_result it refused (checked on 2.1.197 and 2.1.337). */
const REFUSALS: readonly [RegExp, string][] = [
  [/^<tool_use_error>[\s\S]*denied by your permission settings/, 'claude-code/permissions.deny'],
  [/^Permission to use .* has been denied/, 'claude-code/permissions.deny'],
  [/^Permission for this action was denied/, 'claude-code/auto-mode'],
  [/^Auto mode is unavailable/, 'claude-code/auto-mode'],
  [/^This (Bash )?command (contains multiple operations|requires approval)/, 'claude-code/needs-approval'],
  [/^<tool_use_error>[\s\S]*No such tool available/, 'claude-code/unknown-tool'],
  [/^<tool_use_error>/, 'claude-code/invalid-input'],
  [/^Blocked: /, 'claude-code/blocked'],
];

/** What the model was told for a call ceros did not decide. */
export function classifyUndecided(response: string): AgentVerdict {
  const text = response.trim();
  if (/hook error: .*ceros: /.test(text)) return { kind: 'hook-failed', reason: text.slice(0, 2000) };
  for (const [pattern, rule] of REFUSALS)
    if (pattern.test(text)) return { kind: 'refused', rule, reason: text.slice(0, 2000) };
  return { kind: 'undecided', response: text.slice(0, 2000) };
}

/** One call of a PostToolBatch payload. */
export interface BatchCall {
  toolName: string;
  toolInput: unknown;
  toolUseId: string;
  response: string;
}

export function batchCalls(input: HookInput): BatchCall[] {
  const calls = Array.isArray(input.raw.tool_calls) ? input.raw.tool_calls : [];
  const out: BatchCall[] = [];
  for (const call of calls) {
    if (typeof call !== 'object' || call === null) continue;
    const c = call as Record<string, unknown>;
    if (typeof c.tool_use_id !== 'string' || typeof c.tool_name !== 'string') continue;
    out.push({
      toolName: c.tool_name,
      toolInput: c.tool_input ?? null,
      toolUseId: c.tool_use_id,
      response: typeof c.tool_response === 'string' ? c.tool_response : JSON.stringify(c.tool_response ?? ''),
    });
  }
  return out;
}

/** The decision entry's `decision` for a call Claude Code refused (never ceros's policy). */
export function agentDecision(rule: string, reason: string, policyHash: string | null): Decision {
  return { effect: 'deny', rule, reason, policyHash, mode: 'enforce', opaque: false, matches: [] };
}
