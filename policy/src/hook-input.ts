import { z } from 'zod';
import type { EvaluationInput, PostureValue } from './types.ts';

/**
 * The one model of a coding agent's hook payload (STYLE.md 12): the session daemon, `ceros policy
 * explain`, `ceros policy test` and the policy corpus all parse with `parseHookInput`, so a field
 * one of them reads cannot be one the other drops (the live path once dropped `permission_mode`,
 * and `sessionModes` rules never fired in a session while `explain` applied them).
 *
 * The field names are Claude Code's (claude-code-surface.md 1.2); Codex CLI sends the same ones for
 * its tool events. Unknown fields are kept in `raw` for the journal, not rejected: agents add fields
 * between versions.
 */
export interface HookInput {
  /** The hook event the payload was sent for (the registered hook, checked against `hook_event_name`). */
  event: string;
  sessionId: string;
  /** Absolute working folder of the agent when it sent the payload. */
  cwd: string;
  transcriptPath: string | null;
  /** `permission_mode`: `default`, `acceptEdits`, `plan`, `bypassPermissions`...; null when not sent. */
  permissionMode: string | null;
  /** The subagent the payload comes from (`agent_id`, `agent_type`); null in the main loop. */
  agentId: string | null;
  agentType: string | null;
  /** The whole payload as the agent sent it (already JSON-parsed), for the journal. */
  raw: Record<string, unknown>;
  /** The tool call, on events that carry one (TOOL_EVENTS). */
  tool: HookTool | null;
}

export interface HookTool {
  name: string;
  input: Record<string, unknown>;
  /** `tool_use_id`, which joins the hook's records with the model's tool_use block. */
  useId: string | null;
}

/** A payload whose event carries a tool call. */
export interface ToolHookInput extends HookInput {
  tool: HookTool;
}

export type ParseHookInputResult = { ok: true; value: HookInput } | { ok: false; error: string };

/**
 * Events whose payload carries `tool_name` and `tool_input` (both required there).
 * PreSkillShellCommand (Claude Code 2.1.337) is the inline shell of a skill or command, sent as
 * `tool_name: "Bash"` with the command as it would run.
 */
export const TOOL_EVENTS: ReadonlySet<string> = new Set([
  'PreToolUse',
  'PreSkillShellCommand',
  'PostToolUse',
  'PostToolUseFailure',
  'PermissionRequest',
  'PermissionDenied',
  // A skill's inline shell (2.1.337): tool_name "Bash", the command in tool_input.
  'PreSkillShellCommand',
]);

/** Tool events whose payload may lack `tool_use_id` (a permission prompt is not one tool use). */
const USE_ID_OPTIONAL: ReadonlySet<string> = new Set(['PermissionRequest']);

// Optional fields may be null as well as absent: both read as "not sent".
const optionalString = z.string().nullish();
const baseSchema = z.object({
  session_id: z.string(),
  cwd: z.string().startsWith('/'),
  transcript_path: optionalString,
  hook_event_name: optionalString,
  permission_mode: optionalString,
  agent_id: optionalString,
  agent_type: optionalString,
});
const toolSchema = z.object({
  tool_name: z.string().min(1),
  tool_input: z.record(z.string(), z.unknown()),
  tool_use_id: z.string(),
});
const toolSchemaOptionalId = toolSchema.extend({ tool_use_id: optionalString });

/** Parses the JSON text a hook received on stdin (or in an HTTP hook's body). */
export function parseHookText(event: string, text: string): ParseHookInputResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Hook input for ${event} is not JSON: ${(error as Error).message}` };
  }
  return parseHookInput(event, raw);
}

/**
 * Parses one hook payload for `event`. Never throws; an error names every field that is missing
 * or wrong (`"session_id" must be a string, got number`).
 */
export function parseHookInput(event: string, raw: unknown): ParseHookInputResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      error: `Hook input for ${event} must be a JSON object, got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`,
    };
  }
  const record = raw as Record<string, unknown>;
  const problems: string[] = [];
  const base = baseSchema.safeParse(record);
  if (!base.success) problems.push(...base.error.issues.map((issue) => describeIssue(issue, record)));
  const declared = record.hook_event_name;
  if (typeof declared === 'string' && declared !== event)
    problems.push(`"hook_event_name" is "${declared}" but the hook is for ${event}`);
  let tool: HookTool | null = null;
  if (TOOL_EVENTS.has(event)) {
    const parsed = (USE_ID_OPTIONAL.has(event) ? toolSchemaOptionalId : toolSchema).safeParse(record);
    if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => describeIssue(issue, record)));
    else
      tool = {
        name: parsed.data.tool_name,
        input: parsed.data.tool_input,
        useId: parsed.data.tool_use_id ?? null,
      };
  }
  if (problems.length > 0 || !base.success)
    return { ok: false, error: `Hook input for ${event} is malformed: ${problems.join('; ')}` };
  const data = base.data;
  return {
    ok: true,
    value: {
      event,
      sessionId: data.session_id,
      cwd: data.cwd,
      transcriptPath: data.transcript_path ?? null,
      permissionMode: data.permission_mode ?? null,
      agentId: data.agent_id ?? null,
      agentType: data.agent_type ?? null,
      raw: record,
      tool,
    },
  };
}

export function isToolHookInput(input: HookInput): input is ToolHookInput {
  return input.tool !== null;
}

/**
 * A PreToolUse payload, as the session daemon reads it: what `ceros policy explain`, `ceros policy
 * test` and the corpora read, so that none accepts or reads a payload differently from the live path.
 */
export function parsePreToolUse(
  raw: unknown,
): { ok: true; value: ToolHookInput } | { ok: false; error: string } {
  const parsed = parseHookInput('PreToolUse', raw);
  if (!parsed.ok) return parsed;
  // TOOL_EVENTS has PreToolUse: a parse that succeeded has the tool part.
  if (!isToolHookInput(parsed.value)) return { ok: false, error: 'Hook input for PreToolUse has no tool' };
  return { ok: true, value: parsed.value };
}

const EXPECTED: Readonly<Record<string, string>> = { string: 'a string', record: 'an object' };

function describeIssue(issue: z.core.$ZodIssue, record: Record<string, unknown>): string {
  const key = String(issue.path[0] ?? '(payload)');
  const value = record[key];
  if (issue.code === 'invalid_type') {
    if (value === undefined) return `"${key}" is missing`;
    return `"${key}" must be ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(value)}`;
  }
  if (issue.code === 'invalid_format' && key === 'cwd')
    return `"cwd" must be an absolute path, got ${JSON.stringify(value)}`;
  if (issue.code === 'too_small') return `"${key}" must not be empty`;
  return `"${key}": ${issue.message}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** What holds for the whole session, beside the payload: the project folder and posture facts. */
export interface SessionFacts {
  /** `CLAUDE_PROJECT_DIR`; defaults to the payload's cwd. */
  projectDir?: string;
  posture?: Readonly<Record<string, PostureValue | undefined>>;
}

/** The call evaluate() decides: every field of the payload a rule can match on, and nothing dropped. */
export function toEvaluationInput(input: ToolHookInput, session: SessionFacts = {}): EvaluationInput {
  const out: EvaluationInput = {
    toolName: input.tool.name,
    toolInput: input.tool.input,
    cwd: input.cwd,
    projectDir: session.projectDir ?? input.cwd,
  };
  if (input.permissionMode !== null) out.sessionMode = input.permissionMode;
  if (input.agentId !== null) out.agentId = input.agentId;
  if (input.agentType !== null) out.agentType = input.agentType;
  if (session.posture !== undefined) out.posture = session.posture;
  return out;
}
