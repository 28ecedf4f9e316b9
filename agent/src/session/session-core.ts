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
  refusalAnswer,
} from '../hook/events.ts';
import { agentDecision, batchCalls, classifyUndecided } from './agent-denials.ts';
import type { PeerVerdict } from './hook-peer.ts';
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
  /** pid of the `ceros hook` process as the kernel reported it, or of Claude Code itself for an HTTP hook. */
  pid: number | null;
  /** Whether the caller is a hook of this session's Claude Code (hook-peer.ts); refused if not. */
  peer: PeerVerdict;
  /** The payload was over MAX_HOOK_INPUT_BYTES: only its size, head and tail came. */
  oversized?: { bytes: number; head: string; tail: string };
}

export interface SessionCore {
  handleHook(event: string, text: string, meta: HookRequestMeta): Promise<HookAnswer>;
  /** Tool calls decided so far, by tool_use_id (the proxy joins on it). */
  readonly decisions: ReadonlyMap<string, Decision>;
  /**
   * Resolves true once a verified hook of Claude Code session `claudeSessionId` has reported in,
   * false after `timeoutMs`. The proxy sends nothing upstream for a session whose hooks are not
   * running (settings dropped, hooks disabled, a nested session whose SessionStart was forged).
   */
  hooksAlive(claudeSessionId: string, timeoutMs: number): Promise<boolean>;
}

const ENTRY_TYPE: Readonly<Record<HookEvent, string>> = {
  SessionStart: 'hook.session-start',
  UserPromptSubmit: 'prompt',
  UserPromptExpansion: 'prompt.expansion',
  PreToolUse: 'tool.decision',
  PostToolUse: 'tool.result',
  PostToolUseFailure: 'tool.result',
  PostToolBatch: 'hook.post-tool-batch',
  PermissionRequest: 'hook.permission-request',
  PermissionDenied: 'tool.denied',
  SubagentStart: 'subagent.start',
  SubagentStop: 'subagent.stop',
  Stop: 'hook.stop',
  StopFailure: 'hook.stop-failure',
  SessionEnd: 'hook.session-end',
  ConfigChange: 'hook.config-change',
  PreSkillShellCommand: 'tool.decision',
  Elicitation: 'mcp.elicitation',
  ElicitationResult: 'mcp.elicitation-result',
  FileChanged: 'hook.file-changed',
  CwdChanged: 'hook.cwd-changed',
  InstructionsLoaded: 'instructions.loaded',
  TaskCreated: 'task.created',
  TaskCompleted: 'task.completed',
  Setup: 'hook.setup',
  Interrupt: 'hook.interrupt',
  DirectoryAdded: 'hook.directory-added',
  WorktreeRemove: 'hook.worktree-remove',
  MessageDisplay: 'message.display',
};

/** Peer refusals journaled in full per session; past that one entry says how many more came. */
const MAX_PEER_ALERTS = 100;

const NO_OPINION: HookAnswer = { exitCode: 0, stdout: '', stderr: '' };

/**
 * The session's decision point: turns one hook call into journal entries and Claude Code's answer.
 * Every tool decision is on disk before it is answered; anything that goes wrong on the way is a
 * deny (or, for events that cannot block, a recorded error) naming the cause. A call that does not
 * come from this session's Claude Code is refused and journaled as an alert, before anything of it
 * is believed.
 */
export function createSessionCore(options: SessionCoreOptions): SessionCore {
  const decisions = new Map<string, Decision>();
  const rewrites = createRewriteWatch();
  /** Calls ceros decided that Claude Code then refused, already journaled as tool.denied. */
  const refusedAfter = new Set<string>();
  const seenSessions = new Set<string>();
  const waiters = new Map<string, (() => void)[]>();
  let peerAlerts = 0;
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
  const policyHash = () => options.policyHash?.() ?? null;

  const refusePeer = (event: HookEvent, verdict: Extract<PeerVerdict, { ok: false }>, text: string) => {
    peerAlerts++;
    if (peerAlerts <= MAX_PEER_ALERTS) {
      record('alert', {
        kind: 'hook-peer',
        message: `Refused a ${event} hook call: ${verdict.reason}`,
        event,
        evidence: verdict.evidence,
        // What the caller claimed, for the investigation; never acted upon.
        head: text.slice(0, 1024),
        bytes: text.length,
      });
    } else if (peerAlerts === MAX_PEER_ALERTS + 1) {
      record('alert', {
        kind: 'hook-peer',
        message: `More than ${MAX_PEER_ALERTS} hook calls were refused; further refusals are not journaled one by one`,
        event,
      });
    }
    return failureAnswer(event, `Refused: not a hook of this ceros session. ${verdict.reason}`);
  };

  const handleHook = async (event: string, text: string, meta: HookRequestMeta): Promise<HookAnswer> => {
    if (!isHookEvent(event)) {
      return { exitCode: 2, stdout: '', stderr: `ceros: Unknown hook event "${event}"\n` };
    }
    try {
      await options.ready;
      if (!meta.peer.ok) return refusePeer(event, meta.peer, meta.oversized?.head ?? text);
      if (meta.oversized || text.length > MAX_HOOK_INPUT_BYTES) {
        const seen = meta.oversized ?? {
          bytes: text.length,
          head: text.slice(0, 4096),
          tail: text.slice(-1024),
        };
        return oversized(event, seen);
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

  /** An input too large to decide on: refused, and for a tool call journaled as its decision. */
  const oversized = (event: HookEvent, seen: { bytes: number; head: string; tail: string }): HookAnswer => {
    const reason = `Hook input for ${event} is ${seen.bytes} bytes, over the ${MAX_HOOK_INPUT_BYTES}-byte limit`;
    if (event === 'PreToolUse') {
      // The payload cannot be parsed whole; its head names the tool and its tail the tool_use_id.
      const decision = sessionDeny('ceros/input-too-large', reason, policyHash());
      const toolUseId = lastKey(seen.tail, 'tool_use_id');
      record('tool.decision', {
        claudeSessionId: lastKey(seen.head, 'session_id'),
        hookPid: null,
        toolName: lastKey(seen.head, 'tool_name'),
        toolUseId,
        toolInput: { truncated: true, bytes: seen.bytes, head: seen.head },
        decision,
      });
      if (toolUseId) decisions.set(toolUseId, decision);
    } else {
      record('hook.rejected', { event, reason, bytes: seen.bytes, head: seen.head });
    }
    return failureAnswer(event, reason);
  };

  const answer = async (event: HookEvent, input: HookInput, meta: HookRequestMeta): Promise<HookAnswer> => {
    const base = { claudeSessionId: input.sessionId, hookPid: meta.pid };
    switch (event) {
      case 'PreToolUse':
        if (!isToolHookInput(input)) return failureAnswer('PreToolUse', 'PreToolUse input has no tool');
        return preToolUse(input, base, meta);
      case 'PreSkillShellCommand':
        if (!isToolHookInput(input)) return failureAnswer(event, 'PreSkillShellCommand input has no command');
        return skillShell(input, base);
      case 'UserPromptSubmit':
      case 'UserPromptExpansion': {
        const prompt = typeof input.raw.prompt === 'string' ? input.raw.prompt : '';
        if (event === 'UserPromptSubmit')
          record('prompt', { ...base, text: prompt, promptId: input.raw.prompt_id ?? null });
        else
          record('prompt.expansion', {
            ...base,
            ...expansionOf(input),
            promptId: input.raw.prompt_id ?? null,
          });
        const lockdown = options.lockdown?.();
        return lockdown ? refusalAnswer(event, `ceros: ${lockdown.reason}`) : NO_OPINION;
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
        return NO_OPINION;
      }
      case 'PostToolBatch':
        record(ENTRY_TYPE[event], { ...base, raw: input.raw });
        reconcileBatch(input, base);
        return NO_OPINION;
      case 'PermissionDenied':
        agentRefused(input, base, 'PermissionDenied', {
          rule: 'claude-code/permission-denied',
          reason: typeof input.raw.reason === 'string' ? input.raw.reason : 'Denied by Claude Code',
        });
        return NO_OPINION;
      case 'ConfigChange':
        record('hook.config-change', { ...base, raw: input.raw, blocked: true });
        return {
          exitCode: 2,
          stdout: '',
          stderr:
            'ceros: Settings cannot change during a ceros session; restart `ceros claude` to apply them\n',
        };
      case 'PermissionRequest':
      case 'Elicitation': {
        record(ENTRY_TYPE[event], { ...base, raw: input.raw });
        const lockdown = options.lockdown?.();
        return lockdown ? refusalAnswer(event, `ceros: ${lockdown.reason}`) : NO_OPINION;
      }
      default:
        record(ENTRY_TYPE[event], { ...base, raw: input.raw });
        return NO_OPINION;
    }
  };

  const preToolUse = async (
    input: ToolHookInput,
    base: Record<string, unknown>,
    meta: HookRequestMeta,
  ): Promise<HookAnswer> => {
    const tool = input.tool;
    // A command hook's own process chain; an HTTP hook is Claude Code itself, captured at start.
    const ancestry =
      meta.pid && options.hookAncestry && !(meta.peer.ok && meta.peer.via === 'http')
        ? options.hookAncestry(meta.pid).catch((e: Error) => ({ error: e.message }))
        : null;
    const decision = await decideCall(input);
    record('tool.decision', {
      ...base,
      ...callFields(input),
      decision,
      hookAncestry: ancestry ? await ancestry : null,
    });
    if (tool.useId) decisions.set(tool.useId, decision);
    rewrites.decided(tool.useId, tool.input);
    return decisionAnswer(decision);
  };

  /** The policy's decision for a call, or the lockdown's deny. */
  const decideCall = async (input: ToolHookInput): Promise<Decision> => {
    await options.beforeDecision?.();
    // Every field of the payload a rule can match on (permission mode, subagent) reaches the policy.
    const call = toEvaluationInput(input, { projectDir: options.projectDir });
    const lockdown = options.lockdown?.();
    return lockdown ? sessionDeny(lockdown.rule, lockdown.reason, policyHash()) : options.decide(call);
  };

  const callFields = (input: ToolHookInput) => ({
    toolName: input.tool.name,
    toolUseId: input.tool.useId,
    toolInput: input.tool.input,
    cwd: input.cwd,
    projectDir: options.projectDir,
    permissionMode: input.permissionMode,
    agentId: input.agentId,
    agentType: input.agentType,
  });

  /**
   * A skill's or command's inline shell (PreSkillShellCommand, 2.1.337): decided by the skill
   * policy (skill-shell.ts, decideSkillShell) as the Bash call it is, journaled as a tool decision.
   */
  const skillShell = async (input: ToolHookInput, base: Record<string, unknown>): Promise<HookAnswer> => {
    await options.beforeDecision?.();
    const lockdown = options.lockdown?.();
    const decision = lockdown
      ? sessionDeny(lockdown.rule, lockdown.reason, policyHash())
      : decideSkillShell(input, {
          decide: options.decide,
          projectDir: options.projectDir,
          skillShell: options.skillShell ?? (() => null),
          policyHash,
        });
    record('tool.decision', { ...base, ...skillShellFields(input), ...callFields(input), decision });
    if (input.tool.useId) decisions.set(input.tool.useId, decision);
    return skillShellAnswer(decision);
  };

  /** A call Claude Code refused: a decision when ceros never decided it, else evidence beside ours. */
  const agentRefused = (
    input: HookInput,
    base: Record<string, unknown>,
    source: string,
    verdict: { rule: string; reason: string },
    call?: { toolName: string; toolInput: unknown; toolUseId: string },
  ) => {
    const toolUseId = call?.toolUseId ?? input.tool?.useId ?? null;
    const fields = {
      ...base,
      toolName: call?.toolName ?? input.tool?.name ?? null,
      toolUseId,
      toolInput: call?.toolInput ?? input.tool?.input ?? null,
      cwd: input.cwd,
      projectDir: options.projectDir,
      permissionMode: input.permissionMode,
      agentId: input.agentId,
      agentType: input.agentType,
      decidedBy: 'claude-code',
      source,
    };
    const ours = toolUseId ? decisions.get(toolUseId) : undefined;
    if (ours) {
      if (toolUseId) refusedAfter.add(toolUseId);
      record('tool.denied', {
        ...fields,
        rule: verdict.rule,
        reason: verdict.reason,
        cerosEffect: ours.effect,
      });
      return;
    }
    const decision = agentDecision(verdict.rule, verdict.reason, policyHash());
    record('tool.decision', { ...fields, decision });
    if (toolUseId) decisions.set(toolUseId, decision);
  };

  /** PostToolBatch lists every call of the batch: the ones ceros never decided are accounted for here. */
  const reconcileBatch = (input: HookInput, base: Record<string, unknown>) => {
    for (const call of batchCalls(input)) {
      const ours = decisions.get(call.toolUseId);
      if (ours) {
        // Allowed by ceros, refused by Claude Code afterwards (a permission prompt in -p, a rule):
        // evidence beside ceros's decision, once.
        const after = classifyUndecided(call.response);
        if (ours.effect === 'allow' && after.kind === 'refused' && !refusedAfter.has(call.toolUseId)) {
          refusedAfter.add(call.toolUseId);
          agentRefused(input, base, 'PostToolBatch', after, call);
        }
        continue;
      }
      const verdict = classifyUndecided(call.response);
      if (verdict.kind === 'refused') agentRefused(input, base, 'PostToolBatch', verdict, call);
      else if (verdict.kind === 'hook-failed')
        agentRefused(
          input,
          base,
          'PostToolBatch',
          { rule: 'ceros/hook-failed', reason: verdict.reason },
          call,
        );
      else {
        record('alert', {
          kind: 'undecided-tool',
          message: `Claude Code ran ${call.toolName} (${call.toolUseId}) without a ceros decision`,
          evidence: { ...base, ...call, response: verdict.response },
        });
        decisions.set(call.toolUseId, agentDecision('ceros/undecided', 'Ran without a ceros decision', null));
      }
    }
  };

  return { handleHook, decisions, hooksAlive };
}

function expansionOf(input: HookInput): Record<string, unknown> {
  const raw = input.raw;
  return {
    text: typeof raw.prompt === 'string' ? raw.prompt : '',
    expansionType: raw.expansion_type ?? null,
    commandName: raw.command_name ?? null,
    commandArgs: raw.command_args ?? null,
    commandSource: raw.command_source ?? null,
  };
}

/** The value of the last `"key":"value"` pair that is a real key (not inside a string) in a JSON fragment. */
export function lastKey(fragment: string, key: string): string | null {
  const pattern = new RegExp(`([,{]\\s*)"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){0,256})"`, 'g');
  let found: string | null = null;
  for (const match of fragment.matchAll(pattern)) found = match[2] ?? null;
  if (found === null) return null;
  try {
    return JSON.parse(`"${found}"`) as string;
  } catch {
    return null;
  }
}

function decisionReason(decision: Decision): string {
  return `ceros policy (${decision.rule}): ${decision.reason}${decision.detail ? ` [${decision.detail}]` : ''}`;
}

/** allow prints nothing, so Claude Code's own permission checks still apply after ours. */
export function decisionAnswer(decision: Decision): HookAnswer {
  if (decision.effect === 'allow' || decision.mode === 'monitor') return NO_OPINION;
  return {
    exitCode: 0,
    stdout: JSON.stringify({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: decision.effect,
        permissionDecisionReason: decisionReason(decision),
      },
    }),
    stderr: '',
  };
}
