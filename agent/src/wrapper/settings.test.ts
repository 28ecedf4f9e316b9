import { describe, expect, test } from 'bun:test';
import { HOOK_EVENTS } from '../hook/events.ts';
import { claudeHookPlan } from './claude-hooks.ts';
import { buildWrapperSettings, hookCommand, mergeSettings } from './settings.ts';

const address = { socket: '@ceros-abc', daemon: '10:20' };
const settingsFor = (version: string | null, hookToken: string | null = null) =>
  buildWrapperSettings({
    cerosBinary: "/opt/my ceros/it's",
    proxyUrl: 'http://127.0.0.1:1',
    ...address,
    hookToken,
    plan: claudeHookPlan(version, true),
    permissionsDeny: ['Read(~/.ssh/**)'],
  });
const ours = settingsFor('2.1.197');
type Hooks = Record<string, { matcher: string; hooks: Record<string, unknown>[] }[]>;

describe('wrapper settings', () => {
  test('on 2.1.197: every event it has, blocking ones as commands that fail closed with `|| exit 2`', () => {
    expect(Object.keys(ours.hooks as object).sort()).toEqual(
      HOOK_EVENTS.filter((e) => !['Interrupt', 'DirectoryAdded', 'PreSkillShellCommand'].includes(e)).sort(),
    );
    expect(hookCommand("/opt/my ceros/it's", 'PreToolUse', address)).toBe(
      `'/opt/my ceros/it'\\''s' hook PreToolUse --socket '@ceros-abc' --daemon 10:20 || exit 2`,
    );
    expect(hookCommand('/c', 'Stop', { socket: '/s', daemon: null })).toBe(`'/c' hook Stop --socket '/s'`);
    const hooks = ours.hooks as Hooks;
    expect(hooks.PreToolUse?.[0]?.hooks[0]?.type).toBe('command');
    // Recording events that fire per tool call go over HTTP (no process), with no token in a file.
    expect(hooks.PostToolUse?.[0]?.hooks[0]).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:1/__ceros/hook/PostToolUse',
      timeout: 60,
    });
    expect(hooks.MessageDisplay?.[0]?.hooks[0]).toMatchObject({ type: 'command', async: true });
    expect(ours).toMatchObject({
      disableAllHooks: false,
      env: { CLAUDE_CODE_SIMPLE: '0', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
    });
  });

  test('on 2.1.337: blocking events over HTTP with onFailure "block", SessionStart still a command', () => {
    const hooks = settingsFor('2.1.337', 't0k').hooks as Hooks;
    expect(Object.keys(hooks).sort()).toEqual([...HOOK_EVENTS].sort());
    for (const event of ['PreToolUse', 'UserPromptSubmit', 'PreSkillShellCommand', 'ConfigChange'])
      expect(hooks[event]?.[0]?.hooks[0]).toEqual({
        type: 'http',
        url: `http://127.0.0.1:1/__ceros/hook/${event}`,
        headers: { 'x-ceros-hook-token': 't0k' },
        timeout: 60,
        onFailure: 'block',
      });
    expect(hooks.Stop?.[0]?.hooks[0]).not.toHaveProperty('onFailure');
    expect(hooks.SessionStart?.[0]?.hooks[0]?.type).toBe('command');
    expect(hooks.FileChanged?.[0]?.matcher).toContain('settings.local.json');
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
