import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision } from '@ceros/policy';
import type { JournalEntry } from '@ceros/protocol';
import type { Decide } from '../decide/decision.ts';
import { MAX_HOOK_INPUT_BYTES } from '../hook/events.ts';
import { TRUSTING_VERIFIER } from './hook-peer.ts';
import { createSessionCore, decisionAnswer, type SessionCoreOptions } from './session-core.ts';

const TRUSTED = TRUSTING_VERIFIER.socket(null);

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
    const answer = await c.handleHook('PreToolUse', fixture('PreToolUse-subagent-bash'), {
      pid: null,
      peer: TRUSTED,
    });
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
    expect(
      await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null, peer: TRUSTED }),
    ).toEqual({
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
    const answer = c
      .handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null, peer: TRUSTED })
      .then((a) => {
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
    const answer = await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null, peer: TRUSTED });
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
    expect(
      await c.handleHook('UserPromptSubmit', fixture('UserPromptSubmit-prompt'), {
        pid: null,
        peer: TRUSTED,
      }),
    ).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'ceros: This device was revoked\n',
    });
  });

  test('malformed or oversized input is journaled as rejected and denied where the event can block', async () => {
    const { core: c, entries } = core();
    const malformed = await c.handleHook('PreToolUse', '{"session_id":7}', { pid: null, peer: TRUSTED });
    expect(malformed.exitCode).toBe(2);
    expect(deny(malformed).permissionDecision).toBe('deny');
    expect(malformed.stderr).toContain('"session_id" must be a string, got number');
    const huge = await c.handleHook('PreToolUse', 'x'.repeat(MAX_HOOK_INPUT_BYTES + 1), {
      pid: null,
      peer: TRUSTED,
    });
    expect(huge.stderr).toContain(`over the ${MAX_HOOK_INPUT_BYTES}-byte limit`);
    // A Stop hook that failed must not keep Claude from stopping.
    const stop = await c.handleHook('Stop', 'not json', { pid: null, peer: TRUSTED });
    expect(stop.exitCode).toBe(0);
    // An oversized tool call is still a decision in the journal: a deny naming the limit.
    expect(entries.map((e) => e.type)).toEqual(['hook.rejected', 'tool.decision', 'hook.rejected']);
    expect(entries[1]?.payload.decision).toMatchObject({ effect: 'deny', rule: 'ceros/input-too-large' });
    expect(await c.handleHook('Frobnicate', '{}', { pid: null, peer: TRUSTED })).toEqual({
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
    const answer = await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: null, peer: TRUSTED });
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
    const failed = await broken.handleHook('PreToolUse', fixture('PreToolUse-bash'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(deny(failed).permissionDecision).toBe('deny');
    expect(failed.stderr).toContain('disk full');
  });

  test('records results, prompts and settings changes; a settings change is refused', async () => {
    const { core: c, entries } = core();
    await c.handleHook('UserPromptSubmit', fixture('UserPromptSubmit-prompt'), { pid: 7, peer: TRUSTED });
    await c.handleHook('PostToolUseFailure', fixture('PostToolUseFailure-bash-failing'), {
      pid: null,
      peer: TRUSTED,
    });
    const change = await c.handleHook(
      'ConfigChange',
      JSON.stringify({ session_id: 's', cwd: '/p', hook_event_name: 'ConfigChange', source: 'project' }),
      { pid: null, peer: TRUSTED },
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
    await c.handleHook('SessionStart', fixture('SessionStart-startup'), { pid: null, peer: TRUSTED });
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
    await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: 99, peer: TRUSTED });
    expect(checks).toBe(1);
    expect(entries[0]?.payload.hookAncestry).toEqual({ pid: 99, chain: ['sh', 'claude'] });
  });

  test("a call that is not from this session's Claude Code is refused, journaled as an alert, and believed in nothing", async () => {
    const { core: c, entries, calls } = core();
    const forged = { ok: false as const, reason: 'Process 9 is not a hook', evidence: { pid: 9 } };
    const answer = await c.handleHook('PreToolUse', fixture('PreToolUse-bash'), { pid: 9, peer: forged });
    expect(deny(answer).permissionDecisionReason).toContain('Refused: not a hook of this ceros session');
    expect(calls).toEqual([]);
    // A forged SessionStart does not open the proxy for that session.
    await c.handleHook('SessionStart', fixture('SessionStart-startup'), { pid: 9, peer: forged });
    expect(await c.hooksAlive('00000000-0000-4000-8000-000000000001', 10)).toBe(false);
    // A forged prompt or result is not recorded as one.
    await c.handleHook('UserPromptSubmit', fixture('UserPromptSubmit-prompt'), { pid: 9, peer: forged });
    expect(entries.map((e) => e.type)).toEqual(['alert', 'alert', 'alert']);
    expect(entries[0]?.payload).toMatchObject({
      kind: 'hook-peer',
      event: 'PreToolUse',
      evidence: { pid: 9 },
    });
    for (let i = 0; i < 150; i++)
      await c.handleHook('Stop', fixture('Stop-end-turn'), { pid: 9, peer: forged });
    // A flood is capped: 100 alerts in full, then one that says more came.
    expect(entries.length).toBe(101);
    expect(String(entries.at(-1)?.payload.message)).toContain('More than 100');
  });

  test('an oversized call sent as size, head and tail is journaled as a deny of that tool_use_id', async () => {
    const { core: c, entries } = core();
    // Claude Code sends compact JSON: the tool's name is in the first bytes, its id in the last.
    const payload = JSON.stringify(JSON.parse(fixture('PreToolUse-bash')));
    const answer = await c.handleHook('PreToolUse', '', {
      pid: null,
      peer: TRUSTED,
      oversized: { bytes: 17 * 1024 * 1024, head: payload.slice(0, 600), tail: payload.slice(-120) },
    });
    expect(deny(answer).permissionDecision).toBe('deny');
    expect(entries[0]).toMatchObject({
      type: 'tool.decision',
      payload: {
        toolName: 'Bash',
        toolUseId: 'toolu_01bash',
        toolInput: { truncated: true, bytes: 17 * 1024 * 1024 },
        decision: { effect: 'deny', rule: 'ceros/input-too-large' },
      },
    });
    expect(c.decisions.get('toolu_01bash')?.effect).toBe('deny');
  });

  test('calls Claude Code refused before PreToolUse become decisions; refusals after ours are evidence beside it', async () => {
    const { core: c, entries } = core();
    // The Bash rm was decided by ceros (allowed), then refused by a permissions.deny rule.
    await c.handleHook('PreToolUse', fixture('PreToolUse-denied'), { pid: null, peer: TRUSTED });
    const readDenied = {
      ...JSON.parse(fixture('PostToolBatch-denied')),
      tool_calls: [
        {
          tool_name: 'Read',
          tool_input: { file_path: '/home/dev/.ssh/id_rsa' },
          tool_use_id: 'toolu_read_key',
          tool_response:
            '<tool_use_error>File is in a directory that is denied by your permission settings.</tool_use_error>',
        },
        {
          tool_name: 'Bash',
          tool_input: { command: 'ls' },
          tool_use_id: 'toolu_ran_anyway',
          tool_response: 'a b c',
        },
      ],
    };
    await c.handleHook('PostToolBatch', JSON.stringify(readDenied), { pid: null, peer: TRUSTED });
    const read = entries.find((e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_read_key');
    expect(read?.payload).toMatchObject({
      toolName: 'Read',
      decidedBy: 'claude-code',
      source: 'PostToolBatch',
      decision: { effect: 'deny', rule: 'claude-code/permissions.deny', mode: 'enforce' },
    });
    // A call that ran with no ceros decision at all is an alert, never silently accepted.
    const undecided = entries.find((e) => e.type === 'alert');
    expect(undecided?.payload).toMatchObject({ kind: 'undecided-tool' });
    expect(String(undecided?.payload.message)).toContain('toolu_ran_anyway');
    // PermissionDenied after ceros allowed: a tool.denied entry beside the decision, not a second decision.
    const after = JSON.parse(fixture('2.1.337/PermissionDenied-auto'));
    await c.handleHook('PreToolUse', JSON.stringify({ ...after, hook_event_name: 'PreToolUse' }), {
      pid: null,
      peer: TRUSTED,
    });
    await c.handleHook('PermissionDenied', JSON.stringify(after), { pid: null, peer: TRUSTED });
    expect(entries.at(-1)).toMatchObject({
      type: 'tool.denied',
      payload: { toolUseId: 'toolu_auto', rule: 'claude-code/permission-denied', cerosEffect: 'allow' },
    });
    const again = await c.handleHook('PostToolBatch', JSON.stringify(readDenied), {
      pid: null,
      peer: TRUSTED,
    });
    expect(again).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(
      entries.filter((e) => e.payload.toolUseId === 'toolu_read_key' && e.type === 'tool.decision'),
    ).toHaveLength(1);
  });

  test('a PermissionDenied with no ceros decision is the decision', async () => {
    const { core: c, entries } = core();
    await c.handleHook('PermissionDenied', fixture('2.1.197/PermissionDenied-auto'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(entries[0]).toMatchObject({
      type: 'tool.decision',
      payload: {
        toolName: 'Bash',
        toolUseId: 'toolu_auto',
        permissionMode: 'auto',
        decision: { effect: 'deny', rule: 'claude-code/permission-denied' },
      },
    });
  });

  test("a skill's inline shell is decided as the Bash call it is, journaled with the skill", async () => {
    const {
      core: c,
      entries,
      calls,
    } = core({
      decideWith: (call) =>
        String(call.toolInput.command).includes('skill-shell')
          ? decision('deny', 'no-skill-shell')
          : decision('allow'),
    });
    const answer = await c.handleHook('PreSkillShellCommand', fixture('2.1.337/PreSkillShellCommand-tools'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(calls).toEqual([
      expect.objectContaining({ toolName: 'Bash', toolInput: { command: 'echo skill-shell-ran' } }),
    ]);
    // The skill policy's answer (skill-shell.ts): a block with the policy's reason.
    expect(JSON.parse(answer.stdout)).toEqual({
      decision: 'block',
      reason: 'ceros policy (no-skill-shell): deny by no-skill-shell',
    });
    expect(entries[0]).toMatchObject({
      type: 'tool.decision',
      payload: {
        origin: 'skill-shell',
        toolUseId: 'toolu_skill:preamble-0',
        commandName: 'shelly',
        commandSource: 'projectSettings',
        invokedBy: 'claude',
      },
    });
    const slash = await c.handleHook('PreSkillShellCommand', fixture('2.1.337/PreSkillShellCommand-slash'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(JSON.parse(slash.stdout).decision).toBe('block');
    expect(entries[1]?.payload).toMatchObject({ invokedBy: 'user' });
  });

  test('a slash command in the prompt is journaled with its expansion; a lockdown blocks it', async () => {
    let lockdown: { rule: string; reason: string } | undefined;
    const { core: c, entries } = core({ lockdown: () => lockdown });
    expect(
      await c.handleHook('UserPromptExpansion', fixture('2.1.337/UserPromptExpansion-slash'), {
        pid: null,
        peer: TRUSTED,
      }),
    ).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(entries[0]).toMatchObject({
      type: 'prompt.expansion',
      payload: {
        text: '/shelly arg1',
        expansionType: 'slash_command',
        commandName: 'shelly',
        commandArgs: 'arg1',
      },
    });
    lockdown = { rule: 'revoked', reason: 'This device was revoked' };
    const blocked = await c.handleHook('UserPromptExpansion', fixture('2.1.197/UserPromptExpansion-slash'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(blocked).toEqual({ exitCode: 2, stdout: '', stderr: 'ceros: This device was revoked\n' });
    const elicit = await c.handleHook('Elicitation', fixture('2.1.337/Elicitation-tools'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(JSON.parse(elicit.stdout).hookSpecificOutput).toEqual({
      hookEventName: 'Elicitation',
      action: 'decline',
    });
  });

  test('every captured payload of the new events is recorded under its own entry type and never blocks by accident', async () => {
    const { core: c, entries } = core();
    const expected: Record<string, string> = {
      CwdChanged: 'hook.cwd-changed',
      Elicitation: 'mcp.elicitation',
      InstructionsLoaded: 'instructions.loaded',
      MessageDisplay: 'message.display',
      PostToolUseFailure: 'tool.result',
      Setup: 'hook.setup',
      StopFailure: 'hook.stop-failure',
      TaskCompleted: 'task.completed',
      TaskCreated: 'task.created',
    };
    for (const version of ['2.1.337', '2.1.197']) {
      for (const file of readdirSync(join(HOOKS, version))) {
        const event = file.split('-')[0] as string;
        if (!(event in expected)) continue;
        entries.length = 0;
        const answer = await c.handleHook(event, fixture(`${version}/${file.replace('.json', '')}`), {
          pid: null,
          peer: TRUSTED,
        });
        expect({ file, answer, types: entries.map((e) => e.type) }).toEqual({
          file,
          answer: { exitCode: 0, stdout: '', stderr: '' },
          types: [expected[event] as string],
        });
      }
    }
  });

  test.each([
    // Events that did not fire in -p here (interactive, or watches ceros does not set): the shape documented for 2.1.337.
    [
      'ElicitationResult',
      { mcp_server_name: 'alpha', action: 'accept', content: { answer: '42' } },
      'mcp.elicitation-result',
    ],
    [
      'FileChanged',
      { file_path: '/home/dev/project/.claude/settings.local.json', event: 'change' },
      'hook.file-changed',
    ],
    ['Interrupt', { reason: 'user' }, 'hook.interrupt'],
    ['DirectoryAdded', { directory: '/home/dev/other' }, 'hook.directory-added'],
    ['WorktreeRemove', { worktree_path: '/home/dev/project/.claude/worktrees/x' }, 'hook.worktree-remove'],
  ])('%s is recorded as %p and never blocks', async (event, extra, type) => {
    const { core: c, entries } = core();
    const payload = JSON.stringify({
      session_id: 's',
      cwd: '/home/dev/project',
      hook_event_name: event,
      ...extra,
    });
    expect(await c.handleHook(event, payload, { pid: null, peer: TRUSTED })).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(entries).toEqual([
      { type, payload: expect.objectContaining({ raw: expect.objectContaining(extra) }) },
    ]);
  });
});
