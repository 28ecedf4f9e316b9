import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { HOOK_EVENTS } from './events.ts';
import { parseHookInput } from './parse-hook-input.ts';

describe('parseHookInput()', () => {
  test('accepts a real PreToolUse payload and keeps the tool part', () => {
    const result = parseHookInput(
      'PreToolUse',
      JSON.stringify({
        session_id: 's1',
        transcript_path: '/t',
        cwd: '/p',
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'ls' },
        tool_use_id: 'toolu_1',
        agent_id: 'a1',
      }),
    );
    expect(result).toMatchObject({
      ok: true,
      value: { tool: { name: 'Bash', input: { command: 'ls' }, useId: 'toolu_1', agentId: 'a1' } },
    });
  });

  test.each([
    ['not JSON', 'nope', 'is not JSON'],
    ['an array', '[1]', 'must be a JSON object, got an array'],
    ['a wrong session type', '{"session_id":1,"cwd":"/"}', '"session_id" must be a string'],
    [
      'a missing tool_input',
      '{"session_id":"s","cwd":"/","tool_name":"Bash","tool_use_id":"t"}',
      '"tool_input" must be an object',
    ],
    [
      'a mismatched event name',
      '{"session_id":"s","cwd":"/","hook_event_name":"Stop","tool_name":"Bash","tool_input":{},"tool_use_id":"t"}',
      'but the hook is for PreToolUse',
    ],
  ])('rejects %s, naming the problem', (_name, text, message) => {
    const result = parseHookInput('PreToolUse', text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  test('never throws on arbitrary text or JSON values, for every event', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HOOK_EVENTS),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (event, text) => {
          const result = parseHookInput(event, text);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
