import {
  type Decision,
  type HookInput,
  isToolHookInput,
  parseHookText,
  type ToolHookInput,
  toEvaluationInput,
} from '@ceros/policy';
import type { JournalEntry } from '@ceros/protocol';
import { type Decide, sessionDeny } from '../decide/decision.ts';
import {
  failureAnswer,
  type HookAnswer,
  type HookEvent,
  isHookEvent,
  MAX_HOOK_INPUT_BYTES,
} from '../hook/events.ts';
import { createRewriteWatch } from './input-rewrite.ts';
import { decideSkillShell, skillShellAnswer, skillShellFields } from './skill-shell.ts';

export interface Recorder {
  /** Durable on return, or (a large output nothing waits on, journal.ts record()) once it settles. */
  append(type: string, payload: unknown): JournalEntry | Promise<JournalEntry>;
}

/** A reason to deny every tool call from now on (revoked device, failed posture, ...). */
export interface Lockdown {
  rule: string;
  reason: string;
}

export interface SessionCoreOptions {
  recorder: Recorder;
  decide: Decide;
  projectDir: string;
  /** Resolves once the session key, certificate and session.start entry are on disk. */
  ready: Promise<void>;
  /** The policy in force, for decisions the session makes itself (lockdown); null with no policy. */
  policyHash?: () => string | null;
  /** Called before each tool decision (posture staleness check); may set a lockdown. */
  beforeDecision?: () => Promise<void>;
  lockdown?: () => Lockdown | undefined;
  /** Ancestry of the hook process (pid) up to PID 1, captured while it waits for its answer. */
  hookAncestry?: (pid: number) => Promise<unknown>;
  /** The policy's session.skillShell (PreSkillShellCommand); null with no policy. */
  skillShell?: () => 'deny' | 'allow' | null;
}

export interface HookRequestMeta {
  /** pid of the `ceros hook` process, for its ancestry. */
  pid: number | null;
}

export interface SessionCore {
  handleHook(event: string, text: string, meta: HookRequestMeta): Promise<HookAnswer>;
  /** Tool calls decided so far, by tool_use_id (the proxy joins on it). */
  readonly decisions: ReadonlyMap<string, Decision>;
  /**
   * Resolves true once a hook of Claude Code session `claudeSessionId` has reported in, false
   * after `timeoutMs`. The proxy sends nothing upstream for a session whose hooks are not running
   * (settings dropped, hooks disabled): such a session could not be enforced.
   */
  hooksAlive(claudeSessionId: string, timeoutMs: number): Promise<boolean>;
}

const ENTRY_TYPE: Readonly<Record<HookEvent, string>> = {
  SessionStart: 'hook.session-start',
  UserPromptSubmit: 'prompt',
  PreToolUse: 'tool.decision',
  PostToolUse: 'tool.result',
  PostToolUseFailure: 'tool.result',
  PostToolBatch: 'hook.post-tool-batch',
  SubagentStart: 'subagent.start',
  SubagentStop: 'subagent.stop',
  Stop: 'hook.stop',
  SessionEnd: 'hook.session-end',
  PermissionRequest: 'hook.permission-request',
  ConfigChange: 'hook.config-change',
  PreSkillShellCommand: 'tool.decision',
};

/**
 * The session's decision point: turns one hook call into journal entries and Claude Code's answer.
 * Every tool decision is on disk before it is answered; anything that goes wrong on the way is a
 * deny (or, for events that cannot block, a recorded error) naming the cause.
 */
export function createSessionCore(options: SessionCoreOptions): SessionCore {
  const decisions = new Map<string, Decision>();
  const rewrites = createRewriteWatch();
  const seenSessions = new Set<string>();
  const waiters = new Map<string, (() => void)[]>();
  const sawSession = (id: string) => {
    if (seenSessions.has(id)) return;
    seenSessions.add(id);
    for (const wake of waiters.get(id) ?? []) wake();
    waiters.delete(id);
  };
  const hooksAlive = (id: string, timeoutMs: number): Promise<boolean> => {
    if (seenSessions.has(id)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(seenSessions.has(id)), timeoutMs);
      const list = waiters.get(id) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      waiters.set(id, list);
    });
  };

  const record = (type: string, payload: unknown): void => {
    options.recorder.append(type, payload);
  };

  const handleHook = async (event: string, text: string, meta: HookRequestMeta): Promise<HookAnswer> => {
    if (!isHookEvent(event)) {
      return { exitCode: 2, stdout: '', stderr: `ceros: Unknown hook event "${event}"\n` };
    }
    try {
      await options.ready;
      if (text.length > MAX_HOOK_INPUT_BYTES) {
        const reason = `Hook input for ${event} is ${text.length} bytes, over the ${MAX_HOOK_INPUT_BYTES}-byte limit`;
        record('hook.rejected', { event, reason, bytes: text.length, head: text.slice(0, 4096) });
        return failureAnswer(event, reason);
      }
      const parsed = parseHookText(event, text);
      if (!parsed.ok) {
        record('hook.rejected', { event, reason: parsed.error, head: text.slice(0, 4096) });
        return failureAnswer(event, parsed.error);
      }
      sawSession(parsed.value.sessionId);
      return await answer(event, parsed.value, meta);
    } catch (error) {
      const reason = `Session daemon failed while handling ${event}: ${(error as Error).message}`;
      try {
        record('hook.error', { event, reason });
      } catch {
        // The journal itself failed; the answer below still fails closed.
      }
      return failureAnswer(event, reason);
    }
  };

  const answer = async (event: HookEvent, input: HookInput, meta: HookRequestMeta): Promise<HookAnswer> => {
    const base = { claudeSessionId: input.sessionId, hookPid: meta.pid };
    switch (event) {
      case 'PreToolUse':
        if (!isToolHookInput(input)) return failureAnswer('PreToolUse', 'PreToolUse input has no tool');
        return preToolUse(input, base, meta);
      case 'PreSkillShellCommand': {
        if (!isToolHookInput(input))
          return failureAnswer('PreSkillShellCommand', 'PreSkillShellCommand input has no command');
        await options.beforeDecision?.();
        const lockdown = options.lockdown?.();
        const decision = lockdown
          ? sessionDeny(lockdown.rule, lockdown.reason, options.policyHash?.() ?? null)
          : decideSkillShell(input, {
              decide: options.decide,
              projectDir: options.projectDir,
              skillShell: options.skillShell ?? (() => null),
              policyHash: options.policyHash ?? (() => null),
            });
        record('tool.decision', {
          ...base,
          ...skillShellFields(input),
          toolName: input.tool.name,
          toolUseId: input.tool.useId,
          toolInput: input.tool.input,
          cwd: input.cwd,
          projectDir: options.projectDir,
          permissionMode: input.permissionMode,
          agentId: input.agentId,
          agentType: input.agentType,
          decision,
        });
        return skillShellAnswer(decision);
      }
      case 'UserPromptSubmit': {
        const prompt = typeof input.raw.prompt === 'string' ? input.raw.prompt : '';
        record('prompt', { ...base, text: prompt, promptId: input.raw.prompt_id ?? null });
        const lockdown = options.lockdown?.();
        if (lockdown) return { exitCode: 2, stdout: '', stderr: `ceros: ${lockdown.reason}\n` };
        return { exitCode: 0, stdout: '', stderr: '' };
      }
      case 'PostToolUse':
      case 'PostToolUseFailure': {
        const tool = input.tool;
        record('tool.result', {
          ...base,
          toolName: tool?.name ?? null,
          toolUseId: tool?.useId ?? null,
          toolInput: tool?.input ?? null,
          agentId: input.agentId,
          response: input.raw.tool_response ?? null,
          error: event === 'PostToolUseFailure' ? (input.raw.error ?? 'failed') : null,
          durationMs: input.raw.duration_ms ?? null,
        });
        const rewritten = tool ? rewrites.ran(tool.useId, tool.input) : null;
        if (rewritten)
          record('tool.input-rewritten', {
            ...base,
            toolName: tool?.name ?? null,
            toolUseId: tool?.useId ?? null,
            decidedInput: rewritten.decided,
            ranInput: tool?.input ?? null,
            reason: 'Another PreToolUse hook replaced the input ceros decided on (updatedInput)',
          });
        return { exitCode: 0, stdout: '', stderr: '' };
      }
      case 'ConfigChange':
        record('hook.config-change', { ...base, raw: input.raw, blocked: true });
        return {
          exitCode: 2,
          stdout: '',
          stderr:
            'ceros: Settings cannot change during a ceros session; restart `ceros claude` to apply them\n',
        };
      case 'PermissionRequest': {
        record('hook.permission-request', { ...base, raw: input.raw });
        const lockdown = options.lockdown?.();
        if (lockdown) return failureAnswer('PermissionRequest', lockdown.reason);
        return { exitCode: 0, stdout: '', stderr: '' };
      }
      default:
        record(ENTRY_TYPE[event], { ...base, raw: input.raw });
        return { exitCode: 0, stdout: '', stderr: '' };
    }
  };

  const preToolUse = async (
    input: ToolHookInput,
    base: Record<string, unknown>,
    meta: HookRequestMeta,
  ): Promise<HookAnswer> => {
    const tool = input.tool;
    const ancestry =
      meta.pid && options.hookAncestry
        ? options.hookAncestry(meta.pid).catch((e: Error) => ({ error: e.message }))
        : null;
    await options.beforeDecision?.();
    // Every field of the payload a rule can match on (permission mode, subagent) reaches the policy.
    const call = toEvaluationInput(input, { projectDir: options.projectDir });
    const lockdown = options.lockdown?.();
    const decision: Decision = lockdown
      ? sessionDeny(lockdown.rule, lockdown.reason, options.policyHash?.() ?? null)
      : options.decide(call);
    record('tool.decision', {
      ...base,
      toolName: tool.name,
      toolUseId: tool.useId,
      toolInput: tool.input,
      cwd: input.cwd,
      projectDir: options.projectDir,
      permissionMode: input.permissionMode,
      agentId: input.agentId,
      agentType: input.agentType,
      decision,
      hookAncestry: ancestry ? await ancestry : null,
    });
    if (tool.useId) decisions.set(tool.useId, decision);
    rewrites.decided(tool.useId, tool.input);
    return decisionAnswer(decision);
  };

  return { handleHook, decisions, hooksAlive };
}

/** allow prints nothing, so Claude Code's own permission checks still apply after ours. */
export function decisionAnswer(decision: Decision): HookAnswer {
  if (decision.effect === 'allow' || decision.mode === 'monitor')
    return { exitCode: 0, stdout: '', stderr: '' };
  const reason = `ceros policy (${decision.rule}): ${decision.reason}${decision.detail ? ` [${decision.detail}]` : ''}`;
  return {
    exitCode: 0,
    stdout: JSON.stringify({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: decision.effect,
        permissionDecisionReason: reason,
      },
    }),
    stderr: '',
  };
}
