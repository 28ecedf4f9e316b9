import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  parseHookInput,
  parseHookText,
  parsePreToolUse,
  TOOL_EVENTS,
  toEvaluationInput,
} from './hook-input.ts';

const HOOKS = join(import.meta.dir, '..', '..', 'tests', 'fixtures', 'hooks');
const EVENTS = [
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
];

describe('parseHookInput()', () => {
  test('accepts a real PreToolUse payload and keeps the tool part, the permission mode and the subagent', () => {
    const result = parseHookText(
      'PreToolUse',
      JSON.stringify({
        session_id: 's1',
        transcript_path: '/t',
        cwd: '/p',
        permission_mode: 'bypassPermissions',
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'ls' },
        tool_use_id: 'toolu_1',
        agent_id: 'a1',
        agent_type: 'general-purpose',
      }),
    );
    expect(result).toMatchObject({
      ok: true,
      value: {
        permissionMode: 'bypassPermissions',
        agentId: 'a1',
        agentType: 'general-purpose',
        tool: { name: 'Bash', input: { command: 'ls' }, useId: 'toolu_1' },
      },
    });
  });

  test.each([
    ['not JSON', 'nope', 'is not JSON'],
    ['an array', '[1]', 'must be a JSON object, got an array'],
    ['a wrong session type', '{"session_id":1,"cwd":"/"}', '"session_id" must be a string, got number'],
    ['a relative cwd', '{"session_id":"s","cwd":"p"}', '"cwd" must be an absolute path, got "p"'],
    [
      'a missing tool_input',
      '{"session_id":"s","cwd":"/","tool_name":"Bash","tool_use_id":"t"}',
      '"tool_input" is missing',
    ],
    [
      'a tool_input that is not an object',
      '{"session_id":"s","cwd":"/","tool_name":"Bash","tool_input":"ls","tool_use_id":"t"}',
      '"tool_input" must be an object, got string',
    ],
    [
      'a permission mode that is not a string',
      '{"session_id":"s","cwd":"/","permission_mode":3,"tool_name":"Bash","tool_input":{},"tool_use_id":"t"}',
      '"permission_mode" must be a string, got number',
    ],
    [
      'a mismatched event name',
      '{"session_id":"s","cwd":"/","hook_event_name":"Stop","tool_name":"Bash","tool_input":{},"tool_use_id":"t"}',
      'but the hook is for PreToolUse',
    ],
  ])('rejects %s, naming the problem', (_name, text, message) => {
    const result = parseHookText('PreToolUse', text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  test('names every problem at once', () => {
    const result = parseHookInput('PreToolUse', { session_id: 42, cwd: [], tool_name: 7, tool_input: 'x' });
    expect(result.ok ? '' : result.error).toBe(
      'Hook input for PreToolUse is malformed: "session_id" must be a string, got number; "cwd" must be a string, got an array; "tool_name" must be a string, got number; "tool_input" must be an object, got string; "tool_use_id" is missing',
    );
  });

  test('reads null optional fields as not sent, and PermissionRequest without a tool_use_id', () => {
    const result = parseHookInput('PermissionRequest', {
      session_id: 's',
      cwd: '/p',
      transcript_path: null,
      permission_mode: null,
      tool_name: 'Bash',
      tool_input: { command: 'ls' },
    });
    expect(result).toMatchObject({
      ok: true,
      value: { transcriptPath: null, permissionMode: null, tool: { useId: null } },
    });
  });

  test('parses every captured Claude Code payload for the event it was captured for', () => {
    const files = readdirSync(HOOKS).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const raw = JSON.parse(readFileSync(join(HOOKS, file), 'utf8')) as Record<string, unknown>;
      const event = String(raw.hook_event_name);
      const result = parseHookInput(event, raw);
      expect({ file, ok: result.ok }).toEqual({ file, ok: true });
      if (!result.ok) continue;
      expect(result.value.permissionMode).toBe((raw.permission_mode as string | undefined) ?? null);
      expect(result.value.agentId).toBe((raw.agent_id as string | undefined) ?? null);
      expect(result.value.tool !== null).toBe(TOOL_EVENTS.has(event));
    }
  });

  test('never throws on arbitrary text or JSON values, for every event', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENTS),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (event, text) => {
          const result = parseHookText(event, text);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('toEvaluationInput()', () => {
  const payload = {
    session_id: 's',
    transcript_path: '/t',
    cwd: '/h/p',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'ls', description: 'list' },
    tool_use_id: 'toolu_1',
    effort: { level: 'high' },
  };

  test('carries the permission mode as the session mode, ignoring fields it does not know', () => {
    const result = parsePreToolUse(payload);
    if (!result.ok) throw new Error(result.error);
    expect(toEvaluationInput(result.value, { projectDir: '/h' })).toEqual({
      toolName: 'Bash',
      toolInput: { command: 'ls', description: 'list' },
      cwd: '/h/p',
      projectDir: '/h',
      sessionMode: 'default',
    });
  });

  test('carries the subagent and defaults the project to the cwd', () => {
    const result = parsePreToolUse({ ...payload, agent_id: 'a1', agent_type: 'Explore' });
    if (!result.ok) throw new Error(result.error);
    expect(toEvaluationInput(result.value)).toMatchObject({
      projectDir: '/h/p',
      agentId: 'a1',
      agentType: 'Explore',
    });
  });

  test('parsePreToolUse() refuses a payload of another event', () => {
    const result = parsePreToolUse({ ...payload, hook_event_name: 'PostToolUse' });
    expect(result.ok ? '' : result.error).toContain(
      '"hook_event_name" is "PostToolUse" but the hook is for PreToolUse',
    );
  });
});
