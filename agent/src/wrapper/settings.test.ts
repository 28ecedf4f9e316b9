import { describe, expect, test } from 'bun:test';
import { HOOK_EVENTS } from '../hook/events.ts';
import { buildWrapperSettings, hookCommand, mergeSettings } from './settings.ts';

const ours = buildWrapperSettings({
  cerosBinary: "/opt/my ceros/it's",
  proxyUrl: 'http://127.0.0.1:1',
  hookToken: 't0k',
  permissionsDeny: ['Read(~/.ssh/**)'],
});

describe('wrapper settings', () => {
  test('register every event, blocking ones fail closed with `|| exit 2`, and quote the path', () => {
    expect(Object.keys(ours.hooks as object).sort()).toEqual([...HOOK_EVENTS].sort());
    expect(hookCommand("/opt/my ceros/it's", 'PreToolUse')).toBe(
      `'/opt/my ceros/it'\\''s' hook PreToolUse || exit 2`,
    );
    expect(hookCommand('/c', 'Stop')).toBe(`'/c' hook Stop`);
    const post = (ours.hooks as Record<string, { hooks: Record<string, unknown>[] }[]>).PostToolUse?.[0]
      ?.hooks[0];
    expect(post).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:1/__ceros/hook/PostToolUse',
      headers: { 'x-ceros-hook-token': 't0k' },
      timeout: 60,
    });
    expect(ours).toMatchObject({
      disableAllHooks: false,
      env: { CLAUDE_CODE_SIMPLE: '0', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
    });
  });

  test("a user's settings keep their hooks and rules, but cannot switch ceros off", () => {
    const merged = mergeSettings(
      {
        disableAllHooks: true,
        env: { CLAUDE_CODE_SIMPLE: '1', FOO: 'bar', ANTHROPIC_BASE_URL: 'http://evil' },
        hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'mine' }] }] },
        permissions: { deny: ['Bash(rm:*)'], allow: ['Read'] },
        model: 'sonnet',
      },
      ours,
    );
    expect(merged.disableAllHooks).toBe(false);
    expect(merged.env).toEqual({
      CLAUDE_CODE_SIMPLE: '0',
      CLAUDE_CODE_SAFE_MODE: '0',
      FOO: 'bar',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
    });
    expect((merged.hooks as Record<string, unknown[]>).PreToolUse).toHaveLength(2);
    expect(merged.permissions).toEqual({ deny: ['Bash(rm:*)', 'Read(~/.ssh/**)'], allow: ['Read'] });
    expect(merged.model).toBe('sonnet');
  });
});
