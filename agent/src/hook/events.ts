/**
 * The Claude Code hook events ceros registers, and how each fails. Fail modes are named
 * constants (STYLE.md 7), never accidents: an event that can block fails closed; an event that
 * only records must not block (a Stop hook that exits 2 would keep Claude from stopping).
 */
export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'PostToolBatch',
  'SubagentStart',
  'SubagentStop',
  'Stop',
  'SessionEnd',
  'PermissionRequest',
  'ConfigChange',
  // Claude Code 2.1.337: inline shell of a skill or command, before it runs. Older versions
  // ignore an event name they do not know (claude-code-surface.md 2.1).
  'PreSkillShellCommand',
] as const;

export type HookEvent = (typeof HOOK_EVENTS)[number];

export function isHookEvent(value: string): value is HookEvent {
  return (HOOK_EVENTS as readonly string[]).includes(value);
}

/** Events whose hook can stop something; their command carries `|| exit 2`. */
export const BLOCKING_EVENTS: ReadonlySet<HookEvent> = new Set([
  'PreToolUse',
  'UserPromptSubmit',
  'PermissionRequest',
  'ConfigChange',
  'PreSkillShellCommand',
]);

export type FailMode = 'deny' | 'record-only';
export const ON_HOOK_ERROR: Readonly<Record<HookEvent, FailMode>> = {
  SessionStart: 'record-only',
  UserPromptSubmit: 'deny',
  PreToolUse: 'deny',
  PostToolUse: 'record-only',
  PostToolUseFailure: 'record-only',
  PostToolBatch: 'record-only',
  SubagentStart: 'record-only',
  SubagentStop: 'record-only',
  Stop: 'record-only',
  SessionEnd: 'record-only',
  PermissionRequest: 'deny',
  ConfigChange: 'deny',
  PreSkillShellCommand: 'deny',
};

/**
 * Events that only record and fire on every tool call go over HTTP to the session's loopback
 * server instead of spawning a process: every spawned hook costs a tool call a process start
 * (claude-code-surface.md 10), and HTTP hooks need none. They fail open, which is harmless for
 * events that cannot block; a tool's output also reaches the journal through the proxy, in the
 * next request's tool_result.
 */
export const HTTP_EVENTS: ReadonlySet<HookEvent> = new Set([
  'PostToolUse',
  'PostToolUseFailure',
  'PostToolBatch',
]);

/** The path prefix of HTTP hooks on the session's loopback server. */
export const HOOK_HTTP_PREFIX = '/__ceros/hook/';
export const HOOK_TOKEN_HEADER = 'x-ceros-hook-token';

/** The hook's own deadline; the `timeout` in the settings is far above it (seconds there). */
export const HOOK_DEADLINE_MS = 10_000;
export const SETTINGS_HOOK_TIMEOUT_S = 60;
/** Largest hook payload read from stdin; larger ones are refused, not truncated silently. */
export const MAX_HOOK_INPUT_BYTES = 16 * 1024 * 1024;

/** What a hook process prints and exits with; the daemon computes it, the client reproduces it. */
export interface HookAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The answer when the decision could not be made: blocks blocking events, never blocks the others. */
export function failureAnswer(event: HookEvent, reason: string): HookAnswer {
  const text = `ceros: ${reason}`;
  if (ON_HOOK_ERROR[event] === 'record-only') return { exitCode: 0, stdout: '', stderr: `${text}\n` };
  if (event === 'PreToolUse') {
    return {
      exitCode: 2,
      stdout: JSON.stringify({
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: 'deny',
          permissionDecisionReason: text,
        },
      }),
      stderr: `${text}\n`,
    };
  }
  if (event === 'PermissionRequest') {
    return {
      exitCode: 0,
      stdout: JSON.stringify({
        hookSpecificOutput: {
          hookEventName: 'PermissionRequest',
          decision: { behavior: 'deny', message: text },
        },
      }),
      stderr: '',
    };
  }
  return { exitCode: 2, stdout: '', stderr: `${text}\n` };
}
