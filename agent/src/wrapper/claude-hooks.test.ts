import { describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeHookPlan, detectClaudeVersion } from './claude-hooks.ts';

describe('claudeHookPlan()', () => {
  test.each([
    // version, peer checks, blocking over HTTP, settings through fd, PreToolUse over HTTP, PostToolUse over HTTP
    ['2.1.337', true, true, true, true, true],
    ['2.1.400', true, true, true, true, true],
    ['2.1.300', true, true, false, true, true],
    ['2.1.294', true, false, false, false, true],
    ['2.1.197', true, false, false, false, true],
    // Without peer checks an HTTP hook needs the token, which only the fd can carry unseen.
    ['2.1.300', false, false, false, false, false],
    ['2.1.337', false, true, true, true, true],
    [null, true, false, false, false, true],
  ] as const)('Claude Code %s (peer checks %p)', (version, peers, blocking, fd, pre, post) => {
    const plan = claudeHookPlan(version, peers);
    expect({
      blocking: plan.blockingOverHttp,
      fd: plan.settingsThroughFd,
      pre: plan.overHttp('PreToolUse'),
      post: plan.overHttp('PostToolUse'),
      sessionStart: plan.overHttp('SessionStart'),
    }).toEqual({ blocking, fd, pre, post, sessionStart: false });
  });

  test('2.1.197 and older do not get the events only later versions have', () => {
    expect(claudeHookPlan('2.1.197', true).events).not.toContain('PreSkillShellCommand');
    expect(claudeHookPlan('2.1.198', true).events).toContain('PreSkillShellCommand');
    expect(claudeHookPlan(null, true).events).toContain('PreSkillShellCommand');
  });
});

describe('detectClaudeVersion()', () => {
  test('reads the version of the npm package the binary belongs to, through symlinks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ceros-claude-version-'));
    try {
      mkdirSync(join(dir, 'pkg', 'bin'), { recursive: true });
      writeFileSync(
        join(dir, 'pkg', 'package.json'),
        '{"name":"@anthropic-ai/claude-code","version":"2.1.250"}',
      );
      writeFileSync(join(dir, 'pkg', 'bin', 'claude.exe'), '');
      symlinkSync(join(dir, 'pkg', 'bin', 'claude.exe'), join(dir, 'claude'));
      expect(detectClaudeVersion(join(dir, 'claude'))).toBe('2.1.250');
      expect(detectClaudeVersion(join(dir, 'missing'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
