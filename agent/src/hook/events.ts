/**
 * The Claude Code hook events ceros registers, and how each fails. Fail modes are named
 * constants (STYLE.md 7), never accidents: an event that can block fails closed; an event that
 * only records must not block (a Stop hook that exits 2 would keep Claude from stopping).
 *
 * Not registered, on purpose: WorktreeCreate (a hook there replaces Claude Code's own `git worktree
 * add` and must print the new folder; the worktree tools are decided as tool calls, and the new
 * folder shows in CwdChanged), Notification, PreCompact/PostCompact, Pre/PostModelSwitch and
 * TeammateIdle (no evidence a policy needs, one spawn or request each).
 */
export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'UserPromptExpansion',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'PostToolBatch',
  'PermissionRequest',
  'PermissionDenied',
  'SubagentStart',
  'SubagentStop',
  'Stop',
  'StopFailure',
  'SessionEnd',
  'ConfigChange',
  'PreSkillShellCommand',
  'Elicitation',
  'ElicitationResult',
  'FileChanged',
  'CwdChanged',
  'InstructionsLoaded',
  'TaskCreated',
  'TaskCompleted',
  'Setup',
  'Interrupt',
  'DirectoryAdded',
  'WorktreeRemove',
  'MessageDisplay',
] as const;

export type HookEvent = (typeof HOOK_EVENTS)[number];

export function isHookEvent(value: string): value is HookEvent {
  return (HOOK_EVENTS as readonly string[]).includes(value);
}

/**
 * Events whose hook can stop something: their command hook carries `|| exit 2`, their HTTP hook
 * `onFailure: "block"` where the version has it. PreSkillShellCommand is a shell command about to
 * run; an Elicitation asks the user for input on an MCP server's behalf (declined when it fails).
 */
export const BLOCKING_EVENTS: ReadonlySet<HookEvent> = new Set([
  'PreToolUse',
  'UserPromptSubmit',
  'UserPromptExpansion',
  'PermissionRequest',
  'ConfigChange',
  'PreSkillShellCommand',
  'Elicitation',
]);

export type FailMode = 'deny' | 'record-only';
export const ON_HOOK_ERROR: Readonly<Record<HookEvent, FailMode>> = Object.fromEntries(
  HOOK_EVENTS.map((event) => [event, BLOCKING_EVENTS.has(event) ? 'deny' : 'record-only']),
) as Record<HookEvent, FailMode>;

/**
 * Claude Code runs SessionStart (and Setup) hooks only as commands: an HTTP hook registered there
 * was never sent (checked on 2.1.337). Every other event can go over HTTP.
 */
export const COMMAND_ONLY_EVENTS: ReadonlySet<HookEvent> = new Set(['SessionStart', 'Setup']);

/**
 * Events that only record and fire on every tool call: over HTTP even on versions whose HTTP
 * hooks fail open, since a process spawn per event costs every tool call (claude-code-surface.md
 * 10) and these cannot block anyway. A tool's output also reaches the journal through the proxy.
 */
export const HTTP_RECORDING_EVENTS: ReadonlySet<HookEvent> = new Set([
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
/** Largest hook payload the daemon decides on; larger ones are refused and journaled, never truncated silently. */
export const MAX_HOOK_INPUT_BYTES = 16 * 1024 * 1024;
/** What is kept of a refused, oversized payload for the journal. */
export const OVERSIZED_HEAD_BYTES = 4096;
export const OVERSIZED_TAIL_BYTES = 1024;

/** What a hook process prints and exits with; the daemon computes it, the client reproduces it. */
export interface HookAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Events whose refusal is a hookSpecificOutput permission decision (the others exit 2). */
const PERMISSION_DECISION_EVENTS: ReadonlySet<HookEvent> = new Set(['PreToolUse', 'PreSkillShellCommand']);

/** The answer when the decision could not be made: blocks blocking events, never blocks the others. */
export function failureAnswer(event: HookEvent, reason: string): HookAnswer {
  const text = `ceros: ${reason}`;
  if (ON_HOOK_ERROR[event] === 'record-only') return { exitCode: 0, stdout: '', stderr: `${text}\n` };
  return refusalAnswer(event, text, 2);
}

/** A refusal of a blocking event in the shape its hook output takes (`exitCode` 2 for failures). */
export function refusalAnswer(event: HookEvent, text: string, exitCode = 0): HookAnswer {
  if (PERMISSION_DECISION_EVENTS.has(event)) {
    return {
      exitCode,
      stdout: JSON.stringify({
        hookSpecificOutput: {
          hookEventName: event,
          permissionDecision: 'deny',
          permissionDecisionReason: text,
        },
      }),
      stderr: exitCode === 2 ? `${text}\n` : '',
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
  if (event === 'Elicitation') {
    return {
      exitCode: 0,
      stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: 'Elicitation', action: 'decline' } }),
      stderr: `${text}\n`,
    };
  }
  return { exitCode: 2, stdout: '', stderr: `${text}\n` };
}

/**
 * The body of an HTTP hook's answer. HTTP hooks have no exit code: a block is JSON
 * (`decision: "block"` for prompt and config events, the hookSpecificOutput for the others), and
 * an empty body is "no opinion".
 */
export function httpAnswerBody(event: HookEvent, answer: HookAnswer): string {
  if (answer.stdout) return answer.stdout;
  if (answer.exitCode === 2 && BLOCKING_EVENTS.has(event)) {
    return JSON.stringify({ decision: 'block', reason: answer.stderr.trim() });
  }
  return '';
}
