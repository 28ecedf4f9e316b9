import { describe, expect, test } from 'bun:test';
import { compileToClaudeSettings } from './claude-settings.ts';
import { parsePolicyObject } from './document/parse-policy.ts';
import { compilePolicy } from './evaluate/compile-policy.ts';

const ctx = {
  home: '/home/u',
  projectDir: '/home/u/p',
  cerosHome: '/home/u/.ceros',
  cerosBinary: '/usr/local/bin/ceros',
};

function settings(doc: object) {
  const parsed = parsePolicyObject({ version: 1, default: 'allow', ...doc });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compileToClaudeSettings(compilePolicy(parsed.value), ctx);
}

describe('compileToClaudeSettings()', () => {
  test('always protects ceros and Claude Code configuration in permissions.deny', () => {
    const deny = settings({}).permissions.deny;
    expect(deny).toContain('Edit(//home/u/.ceros/**)');
    expect(deny).toContain('Read(//home/u/.ceros/**)');
    expect(deny).toContain('Edit(//usr/local/bin/ceros)');
    expect(deny).toContain('Edit(//home/u/p/.claude/settings.json)');
    expect(deny).toContain('Edit(~/.claude/settings.json)');
    expect(deny).toContain('Edit(~/.claude.json)');
    expect(deny).toContain('Edit(//etc/claude-code/**)');
  });

  test('compiles tools, paths, programs and domains into Claude Code rule syntax', () => {
    const result = settings({
      rules: [
        { id: 'no-bash', tools: ['Bash'], effect: 'deny' },
        { id: 'gh', tools: ['mcp__github__*'], effect: 'ask' },
        { id: 'etc', paths: ['/etc/**'], access: 'read', effect: 'deny' },
        { id: 'ssh', paths: ['~/.ssh/**', '**/.env'], effect: 'deny' },
        { id: 'proj', paths: ['${project}/secrets/**'], access: 'write', effect: 'deny' },
        { id: 'rm', programs: ['rm'], effect: 'deny' },
        { id: 'evil', hosts: ['evil.example'], effect: 'deny' },
      ],
    });
    expect(result.permissions.deny).toEqual(
      expect.arrayContaining([
        'Bash',
        'Read(//etc/**)',
        'Read(~/.ssh/**)',
        'Edit(~/.ssh/**)',
        'Read(**/.env)',
        'Read(//**/.env)',
        'Edit(//home/u/p/secrets/**)',
        'Bash(rm:*)',
        'WebFetch(domain:evil.example)',
      ]),
    );
    expect(result.permissions.deny).not.toContain('Edit(//etc/**)');
    expect(result.permissions.ask).toEqual(['mcp__github']);
  });

  test('leaves what only the hook can decide to the hook', () => {
    const result = settings({
      rules: [
        { id: 'allowlist', programs: ['*'], except: ['ls'], effect: 'deny' },
        { id: 'outside', paths: ['/**'], except: ['${project}/**'], effect: 'deny' },
        { id: 'cond', tools: ['WebFetch'], when: { url: 'https://x/*' }, effect: 'deny' },
        { id: 'watch', tools: ['Write'], effect: 'deny', mode: 'monitor' },
        { id: 'force', programs: ['git'], args: ['--force'], effect: 'deny' },
      ],
    });
    expect(
      result.permissions.deny.filter((rule) => !rule.startsWith('Edit(') && !rule.startsWith('Read(')),
    ).toEqual([]);
  });

  test('compiles MCP allow and deny lists; an empty allowlist stays empty', () => {
    expect(settings({ mcp: { allow: [] } }).allowedMcpServers).toEqual([]);
    const result = settings({
      mcp: {
        allow: ['github', { command: ['npx', 'srv'] }, { url: 'https://mcp.example/*' }],
        deny: ['evil'],
      },
    });
    expect(result.allowedMcpServers).toEqual([
      { serverName: 'github' },
      { serverCommand: ['npx', 'srv'] },
      { serverUrl: 'https://mcp.example/*' },
    ]);
    expect(result.deniedMcpServers).toEqual([{ serverName: 'evil' }]);
    expect(result.permissions.deny).toContain('mcp__evil');
  });

  test('emits only rules of a shape Claude Code accepts (one bad value drops the whole file)', () => {
    const result = settings({ rules: [{ id: 'odd', paths: ['/weird (dir)/**'], effect: 'deny' }] });
    for (const rule of result.permissions.deny) expect(rule).toMatch(/^[A-Za-z0-9_-]+(?:\([^()]+\))?$/);
  });
});

describe('compileToClaudeSettings() session settings', () => {
  test('sets disableSkillShellExecution unless the policy allows skill shell', () => {
    expect(settings({}).disableSkillShellExecution).toBe(true);
    expect(settings({ session: { skillShell: 'deny' } }).disableSkillShellExecution).toBe(true);
    expect(settings({ session: { skillShell: 'allow' } }).disableSkillShellExecution).toBeUndefined();
  });

  test('protects the settings in CLAUDE_CONFIG_DIR and in ~/.claude, and the policy file in force', () => {
    const parsed = parsePolicyObject({ version: 1, default: 'allow' });
    if (!parsed.ok) throw new Error('minimal policy');
    const deny = compileToClaudeSettings(compilePolicy(parsed.value), {
      ...ctx,
      claudeConfigDir: '/home/u/cfg',
      protectedFiles: ['/home/u/p/policy.yaml'],
    }).permissions.deny;
    for (const rule of [
      'Edit(//home/u/cfg/settings.json)',
      'Edit(//home/u/cfg/settings.local.json)',
      'Edit(//home/u/cfg/.claude.json)',
      'Edit(~/.claude/settings.json)',
      'Edit(//home/u/p/policy.yaml)',
    ])
      expect(deny).toContain(rule);
  });
});
