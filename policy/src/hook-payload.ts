import { z } from 'zod';
import type { EvaluationInput, PostureValue } from './types.ts';

/**
 * Claude Code's PreToolUse hook payload (claude-code-surface.md 1.2). Unknown fields are kept
 * out, not rejected: Claude Code adds fields between versions.
 */
export interface PreToolUsePayload {
  sessionId: string;
  transcriptPath: string;
  cwd: string;
  hookEventName: string;
  toolName: string;
  toolInput: Record<string, unknown>;
  toolUseId: string | undefined;
  permissionMode: string | undefined;
  agentId: string | undefined;
  agentType: string | undefined;
}

const payloadSchema = z.object({
  session_id: z.string(),
  transcript_path: z.string(),
  cwd: z.string().startsWith('/'),
  hook_event_name: z.string(),
  tool_name: z.string().min(1),
  tool_input: z.record(z.string(), z.unknown()),
  tool_use_id: z.string().optional(),
  permission_mode: z.string().optional(),
  agent_id: z.string().optional(),
  agent_type: z.string().optional(),
});

export type ParseHookPayloadResult = { ok: true; value: PreToolUsePayload } | { ok: false; error: string };

export function parseHookPayload(raw: unknown): ParseHookPayloadResult {
  const parsed = payloadSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      error: parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
        .join('; '),
    };
  }
  const data = parsed.data;
  return {
    ok: true,
    value: {
      sessionId: data.session_id,
      transcriptPath: data.transcript_path,
      cwd: data.cwd,
      hookEventName: data.hook_event_name,
      toolName: data.tool_name,
      toolInput: data.tool_input,
      toolUseId: data.tool_use_id,
      permissionMode: data.permission_mode,
      agentId: data.agent_id,
      agentType: data.agent_type,
    },
  };
}

export interface SessionFacts {
  /** `CLAUDE_PROJECT_DIR`; defaults to the payload's cwd. */
  projectDir?: string;
  posture?: Readonly<Record<string, PostureValue | undefined>>;
}

export function toEvaluationInput(payload: PreToolUsePayload, session: SessionFacts = {}): EvaluationInput {
  const input: EvaluationInput = {
    toolName: payload.toolName,
    toolInput: payload.toolInput,
    cwd: payload.cwd,
    projectDir: session.projectDir ?? payload.cwd,
  };
  if (payload.permissionMode !== undefined) input.sessionMode = payload.permissionMode;
  if (session.posture !== undefined) input.posture = session.posture;
  return input;
}
