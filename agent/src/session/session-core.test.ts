import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision } from '@ceros/policy';
import type { JournalEntry } from '@ceros/protocol';
import type { Decide } from '../decide/decision.ts';
import { MAX_HOOK_INPUT_BYTES } from '../hook/events.ts';
import { createSessionCore, decisionAnswer, type SessionCoreOptions } from './session-core.ts';

const HOOKS = join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures', 'hooks');
const fixture = (name: string) => readFileSync(join(HOOKS, `${name}.json`), 'utf8');

const decision = (effect: Decision['effect'], rule = 'r1', extra: Partial<Decision> = {}): Decision => ({
  effect,
  rule,
  reason: `${effect} by ${rule}`,
  policyHash: 'h'.repeat(64),
  mode: 'enforce',
  opaque: false,
  matches: [],
  ...extra,
});

function core(options: Partial<SessionCoreOptions> & { decideWith?: Decide } = {}) {
  const entries: { type: string; payload: Record<string, unknown> }[] = [];
  const calls: unknown[] = [];
  const created = createSessionCore({
    recorder: {
      append: (type, payload) => {
        entries.push({ type, payload: payload as Record<string, unknown> });
        return {} as JournalEntry;
      },
    },
    decide: (call) => {
      calls.push(call);
      return (options.decideWith ?? (() => decision('allow', 'default')))(call);
    },
    projectDir: '/home/dev/project',
    ready: Promise.resolve(),
    ...options,
  });
  return { core: created, entries, calls };
}

const deny = (answer: { stdout: string }) =>
  (
    JSON.parse(answer.stdout) as {
      hookSpecificOutput: {
        hookEventName: string;
        permissionDecision: string;
        permissionDecisionReason: string;
      };
    }
  ).hookSpecificOutput;

describe('createSessionCore()', () => {
  test('decides a PreToolUse call with every field the payload carries, journals it, then answers', async () => {
    const { core: c, entries, calls } = core({ decideWith: () => decision('deny', 'no-sub') });
    const answer = await c.handleHook('PreToolUse', fixture('PreToolUse-subagent-bash'), { pid: null });
    expect(calls).toEqual([
      {
        toolName: 'Bash',
        toolInput: { command: 'echo hi', description: 'Say hi' },
        cwd: '/home/dev/project',
        projectDir: '/home/dev/project',
        sessionMode: 'default',
        agentId: 'a0000000000000001',
        agentType: 'general-purpose',
      },
    ]);
    expect(entries).toEqual([
      {
        type: 'tool.decision',
        payload: expect.objectContaining({
          toolUseId: 'toolu_01subbash',
          permissionMode: 'default',
          agentId: 'a0000000000000001',
          agentType: 'general-purpose',
          decision: decision('deny', 'no-sub'),
        }),
      },
    ]);
    expect(deny(answer)).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: 'ceros policy (no-sub): deny by no-sub',
    });
    expect(c.decisions.get('toolu_01subbash')?.effect).toBe('deny');
  });

  test('allow prints nothing, so Claude Code applies its own permission checks after ours', async () => {
    const { core: c } = core();
    expect(await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null })).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(decisionAnswer(decision('deny', 'x', { mode: 'monitor' }))).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(
      deny(decisionAnswer(decision('ask', 'confirm', { detail: 'program rm' }))).permissionDecisionReason,
    ).toBe('ceros policy (confirm): ask by confirm [program rm]');
  });

  test('answers nothing before the session is ready', async () => {
    let open: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { core: c, entries } = core({ ready });
    let settled = false;
    const answer = c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null }).then((a) => {
      settled = true;
      return a;
    });
    await Bun.sleep(20);
    expect({ settled, entries: entries.length }).toEqual({ settled: false, entries: 0 });
    open();
    expect((await answer).exitCode).toBe(0);
    expect(entries.map((e) => e.type)).toEqual(['tool.decision']);
  });

  test('a lockdown denies every call with its reason and the policy in force, and blocks prompts', async () => {
    const {
      core: c,
      entries,
      calls,
    } = core({
      lockdown: () => ({ rule: 'revoked', reason: 'This device was revoked' }),
      policyHash: () => 'p'.repeat(64),
    });
    const answer = await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null });
    expect(calls).toEqual([]);
    expect(deny(answer).permissionDecisionReason).toBe('ceros policy (revoked): This device was revoked');
    expect(entries[0]?.payload.decision).toEqual({
      effect: 'deny',
      rule: 'revoked',
      reason: 'This device was revoked',
      policyHash: 'p'.repeat(64),
      mode: 'enforce',
      opaque: false,
      matches: [],
    });
    expect(await c.handleHook('UserPromptSubmit', fixture('UserPromptSubmit-prompt'), { pid: null })).toEqual(
      {
        exitCode: 2,
        stdout: '',
        stderr: 'ceros: This device was revoked\n',
      },
    );
  });

  test('malformed or oversized input is journaled as rejected and denied where the event can block', async () => {
    const { core: c, entries } = core();
    const malformed = await c.handleHook('PreToolUse', '{"session_id":7}', { pid: null });
    expect(malformed.exitCode).toBe(2);
    expect(deny(malformed).permissionDecision).toBe('deny');
    expect(malformed.stderr).toContain('"session_id" must be a string, got number');
    const huge = await c.handleHook('PreToolUse', 'x'.repeat(MAX_HOOK_INPUT_BYTES + 1), { pid: null });
    expect(huge.stderr).toContain(`over the ${MAX_HOOK_INPUT_BYTES}-byte limit`);
    // A Stop hook that failed must not keep Claude from stopping.
    const stop = await c.handleHook('Stop', 'not json', { pid: null });
    expect(stop.exitCode).toBe(0);
    expect(entries.map((e) => e.type)).toEqual(['hook.rejected', 'hook.rejected', 'hook.rejected']);
    expect(await c.handleHook('Frobnicate', '{}', { pid: null })).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'ceros: Unknown hook event "Frobnicate"\n',
    });
  });

  test('a decide that throws or a journal that fails is a deny naming the cause, never an allow', async () => {
    const { core: c, entries } = core({
      decideWith: () => {
        throw new Error('boom');
      },
    });
    const answer = await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null });
    expect(deny(answer).permissionDecision).toBe('deny');
    expect(answer.stderr).toContain('Session daemon failed while handling PreToolUse: boom');
    expect(entries.map((e) => e.type)).toEqual(['hook.error']);
    const broken = createSessionCore({
      recorder: {
        append: () => {
          throw new Error('disk full');
        },
      },
      decide: () => decision('allow', 'default'),
      projectDir: '/p',
      ready: Promise.resolve(),
    });
    const failed = await broken.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null });
    expect(deny(failed).permissionDecision).toBe('deny');
    expect(failed.stderr).toContain('disk full');
  });

  test('records results, prompts and settings changes; a settings change is refused', async () => {
    const { core: c, entries } = core();
    await c.handleHook('UserPromptSubmit', fixture('UserPromptSubmit-prompt'), { pid: 7 });
    await c.handleHook('PostToolUseFailure', fixture('PostToolUseFailure-bash-failing'), { pid: null });
    const change = await c.handleHook(
      'ConfigChange',
      JSON.stringify({ session_id: 's', cwd: '/p', hook_event_name: 'ConfigChange', source: 'project' }),
      { pid: null },
    );
    expect(change.exitCode).toBe(2);
    expect(entries.map((e) => e.type)).toEqual(['prompt', 'tool.result', 'hook.config-change']);
    expect(entries[0]?.payload).toMatchObject({
      hookPid: 7,
      claudeSessionId: '00000000-0000-4000-8000-000000000001',
    });
    expect(entries[1]?.payload).toMatchObject({ toolUseId: 'toolu_01bashfail', error: 'Exit code 3' });
  });

  test('hooksAlive() is true once a hook of that session reported in, false after the timeout', async () => {
    const { core: c } = core();
    const waiting = c.hooksAlive('00000000-0000-4000-8000-000000000001', 5_000);
    expect(await c.hooksAlive('another-session', 10)).toBe(false);
    await c.handleHook('SessionStart', fixture('SessionStart-startup'), { pid: null });
    expect(await waiting).toBe(true);
    expect(await c.hooksAlive('00000000-0000-4000-8000-000000000001', 0)).toBe(true);
  });

  test('re-checks posture before each decision and journals the hook ancestry', async () => {
    let checks = 0;
    const { core: c, entries } = core({
      beforeDecision: async () => {
        checks++;
      },
      hookAncestry: async (pid) => ({ pid, chain: ['sh', 'claude'] }),
    });
    await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: 99 });
    expect(checks).toBe(1);
    expect(entries[0]?.payload.hookAncestry).toEqual({ pid: 99, chain: ['sh', 'claude'] });
  });
});
