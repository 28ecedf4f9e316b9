import type { HookEvent } from './events.ts';

/** A hook payload after parsing; past this line no code handles `unknown` (STYLE.md 5). */
export interface HookInput {
  event: HookEvent;
  sessionId: string;
  cwd: string;
  transcriptPath: string | null;
  /** The whole payload as Claude Code sent it (already JSON-parsed), for the journal. */
  raw: Record<string, unknown>;
  tool: ToolPart | null;
}

export interface ToolPart {
  name: string;
  input: Record<string, unknown>;
  useId: string | null;
  agentId: string | null;
  agentType: string | null;
}

export type ParseHookResult = { ok: true; value: HookInput } | { ok: false; error: string };

const TOOL_EVENTS: ReadonlySet<HookEvent> = new Set([
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'PermissionRequest',
]);

/** Parses the text Claude Code wrote on the hook's stdin; every error names the field. */
export function parseHookInput(event: HookEvent, text: string): ParseHookResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Hook input for ${event} is not JSON: ${(error as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      error: `Hook input for ${event} must be a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`,
    };
  }
  const record = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string, required: boolean): string | null => {
    const value = record[key];
    if (value === undefined || value === null) {
      if (required) problems.push(`"${key}" is missing`);
      return null;
    }
    if (typeof value !== 'string') {
      problems.push(`"${key}" must be a string, got ${typeof value}`);
      return null;
    }
    return value;
  };
  const sessionId = str('session_id', true);
  const cwd = str('cwd', true);
  const transcriptPath = str('transcript_path', false);
  const declared = str('hook_event_name', false);
  if (declared !== null && declared !== event)
    problems.push(`"hook_event_name" is "${declared}" but the hook is for ${event}`);
  let tool: ToolPart | null = null;
  if (TOOL_EVENTS.has(event)) {
    const name = str('tool_name', true);
    const input = record.tool_input;
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      problems.push('"tool_input" must be an object');
    const useId = str('tool_use_id', event !== 'PermissionRequest');
    const agentId = str('agent_id', false);
    const agentType = str('agent_type', false);
    if (name !== null && typeof input === 'object' && input !== null && !Array.isArray(input)) {
      tool = { name, input: input as Record<string, unknown>, useId, agentId, agentType };
    }
  }
  if (problems.length > 0 || sessionId === null || cwd === null) {
    return { ok: false, error: `Hook input for ${event} is malformed: ${problems.join('; ')}` };
  }
  return { ok: true, value: { event, sessionId, cwd, transcriptPath, raw: record, tool } };
}
