import { afterAll, describe, expect, test } from 'bun:test';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, parsePolicy, starterPolicy } from '@ceros/policy';
import { createSessionCredentials } from '../proxy/credentials.ts';
import type { LaunchContext } from '../session/agent-adapter.ts';
import { type ClaudeCommandLine, createClaudeAdapter, insertBeforeDoubleDash } from './claude-adapter.ts';

const adapter = createClaudeAdapter('HELP');
const dir = mkdtempSync(join(tmpdir(), 'ceros-claude-adapter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function line(argv: string[]): ClaudeCommandLine {
  const parsed = adapter.parseArgs(argv);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function baseline() {
  const parsed = parsePolicy(starterPolicy('baseline'));
  if (!parsed.ok) throw new Error('baseline does not parse');
  return compilePolicy(parsed.value);
}

const session = (overrides: Partial<LaunchContext> = {}): LaunchContext => ({
  sessionId: '12345678-aaaa-4bbb-8ccc-000000000000',
  runDir: dir,
  cerosBinary: '/opt/ceros',
  agentBinary: '/nonexistent/claude',
  cerosHome: '/home/dev/.ceros',
  policyFile: null,
  credentials: createSessionCredentials({}, []),
  userHome: '/home/dev',
  projectDir: '/home/dev/project',
  socketPath: '@ceros-test',
  daemon: '4242:777',
  proxyUrl: 'http://127.0.0.1:4000',
  hookToken: 'tok',
  policy: null,
  managedMcp: [],
  mcpServers: [],
  env: {
    PATH: '/bin',
    CLAUDE_CODE_SIMPLE: '0',
    CLAUDE_CODE_SAFE_MODE: '',
    ANTHROPIC_BASE_URL: 'https://up',
    X: undefined,
  },
  ...overrides,
});

describe('the Claude Code adapter', () => {
  test('parseArgs() takes ceros options out and keeps Claude Code arguments in order', () => {
    expect(
      line(['--policy', 'p.yaml', '--allow-unsigned-policy', '-p', 'hi', '--settings', 's.json']),
    ).toEqual({
      agentArgs: ['-p', 'hi'],
      userSettings: ['s.json'],
      policyFile: 'p.yaml',
      allowUnsignedPolicy: true,
      noPolicyDev: false,
      cerosHelp: false,
      help: false,
    });
    expect(line(['--ceros-help'])).toMatchObject({ cerosHelp: true, help: true });
    expect(line(['--help'])).toMatchObject({ cerosHelp: false, help: true, agentArgs: ['--help'] });
    expect(adapter.parseArgs(['--bare'])).toMatchObject({ ok: false });
  });

  test('readUserConfig() merges inline and file settings in order, naming a missing or broken one', () => {
    const file = join(dir, 'mine.json');
    writeFileSync(file, '{"model":"sonnet","a":1}');
    expect(adapter.readUserConfig(line(['--settings', file, '--settings', '{"a":2}']), dir)).toEqual({
      ok: true,
      value: { model: 'sonnet', a: 2 },
    });
    expect(adapter.readUserConfig(line(['--settings', 'missing.json']), dir)).toEqual({
      ok: false,
      error: `Settings file not found: "${join(dir, 'missing.json')}"`,
    });
    const broken = adapter.readUserConfig(line(['--settings', '{"a":']), dir);
    expect(broken.ok ? '' : broken.error).toStartWith('Cannot use --settings "{"a":": ');
  });

  test('upstream() is ANTHROPIC_BASE_URL, else the Anthropic API', () => {
    expect(adapter.upstream({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' })).toBe('http://127.0.0.1:9');
    expect(adapter.upstream({})).toBe('https://api.anthropic.com');
  });

  test('prepareLaunch() passes its settings last, before a literal --, and points Claude Code at the session', () => {
    const plan = adapter.prepareLaunch(line(['-p', 'hi', '--', 'tail']), { model: 'sonnet' }, session());
    const settingsPath = join(dir, '12345678.settings.json');
    expect(plan.args).toEqual(['-p', 'hi', '--settings', settingsPath, '--', 'tail']);
    expect(plan.files).toEqual([settingsPath]);
    expect(statSync(settingsPath).mode & 0o777).toBe(0o600);
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as Record<string, unknown>;
    expect(settings).toMatchObject({
      model: 'sonnet',
      disableAllHooks: false,
      permissions: { deny: [] },
      env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000', CLAUDE_CODE_SIMPLE: '0' },
    });
    // An unknown version gets the plan every version runs: command hooks, the address as arguments.
    expect(JSON.stringify(settings.hooks)).toContain(
      "'/opt/ceros' hook PreToolUse --socket '@ceros-test' --daemon 4242:777 || exit 2",
    );
    expect(JSON.stringify(settings)).not.toContain('tok');
    // Neither the socket nor a token is in the environment the agent's tools inherit.
    expect(plan.env).toEqual({
      PATH: '/bin',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000',
      CEROS_SESSION: '12345678-aaaa-4bbb-8ccc-000000000000',
      CEROS_HOME: '/home/dev/.ceros',
    });
    expect(plan.hookToken).toBeNull();
  });

  test('prepareLaunch() on 2.1.337 hands the settings over as an unlinked fd 3 with the HTTP hooks and their token', () => {
    const pkg = join(dir, 'claude-pkg');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{"name":"@anthropic-ai/claude-code","version":"2.1.337"}');
    writeFileSync(join(pkg, 'bin', 'claude.exe'), '');
    const fresh = createClaudeAdapter('HELP');
    const before = readdirSync(dir).filter((f) => f.endsWith('.settings.json'));
    for (const f of before) rmSync(join(dir, f));
    const plan = fresh.prepareLaunch(
      line(['-p', 'hi']),
      {},
      session({ agentBinary: join(pkg, 'bin', 'claude.exe'), hookToken: 'sekrit-token' }),
    );
    try {
      expect(plan.args).toEqual(['-p', 'hi', '--settings', '/dev/fd/3']);
      expect(plan.files).toEqual([]);
      expect(existsSync(join(dir, '12345678.settings.json'))).toBe(false);
      expect(plan.hookToken).toBe('sekrit-token');
      const fd = plan.fds?.[0] as number;
      const settings = JSON.parse(readFileSync(fd, 'utf8')) as {
        hooks: Record<string, { hooks: Record<string, unknown>[] }[]>;
      };
      const pre = settings.hooks.PreToolUse?.[0]?.hooks[0];
      expect(pre).toEqual({
        type: 'http',
        url: 'http://127.0.0.1:4000/__ceros/hook/PreToolUse',
        headers: { 'x-ceros-hook-token': 'sekrit-token' },
        timeout: 60,
        onFailure: 'block',
      });
      // SessionStart runs only as a command hook in Claude Code.
      expect(settings.hooks.SessionStart?.[0]?.hooks[0]?.type).toBe('command');
      expect(JSON.stringify(plan.env)).not.toContain('sekrit');
      expect(fresh.sessionStart(line([]), { binary: 'x', pid: 1 })).toMatchObject({
        claudeVersion: '2.1.337',
        hookChannel: { blockingOverHttp: true, settingsThroughFd: true },
      });
    } finally {
      for (const fd of plan.fds ?? []) closeSync(fd);
    }
  });

  test("prepareLaunch() compiles the policy's argument rules into permissions.deny and adds the managed MCP servers the policy allows", () => {
    const doc = parsePolicy(
      'version: 1\ndefault: allow\nrules:\n  - { id: ssh, paths: ["~/.ssh/**"], effect: deny }\nmcp:\n  allow: [company]\n',
    );
    if (!doc.ok) throw new Error('policy does not parse');
    const company = { name: 'company', source: 'managed' as const, identity: { command: ['node', 's.js'] } };
    const plan = adapter.prepareLaunch(
      line(['-p', 'hi']),
      {},
      session({
        policy: compilePolicy(doc.value),
        managedMcp: [{ name: 'company', transport: 'stdio', command: 'node', args: ['s.js'], env: {} }],
        mcpServers: [{ ...company, status: 'allowed', rule: null, reason: 'allowed' }],
      }),
    );
    const mcpPath = join(dir, '12345678.mcp.json');
    expect(plan.args).toEqual([
      '-p',
      'hi',
      '--mcp-config',
      mcpPath,
      '--settings',
      join(dir, '12345678.settings.json'),
    ]);
    expect(JSON.parse(readFileSync(mcpPath, 'utf8'))).toEqual({
      mcpServers: { company: { type: 'stdio', command: 'node', args: ['s.js'], env: {} } },
    });
    const settings = JSON.parse(readFileSync(plan.files[0] as string, 'utf8')) as {
      permissions: { deny: string[] };
      allowedMcpServers: unknown[];
    };
    // Whole-tool denies stay with the hook (a bare name would hide the tool); argument rules go to both.
    expect(settings.permissions.deny).toContain('Read(~/.ssh/**)');
    expect(settings.permissions.deny.every((rule) => rule.includes('('))).toBe(true);
    expect(settings.allowedMcpServers).toEqual([
      { serverName: 'company' },
      { serverCommand: ['node', 's.js'] },
    ]);
    expect(plan.mcpServers.map((s) => [s.name, s.status])).toEqual([['company', 'allowed']]);
  });

  test('prepareLaunch() never starts a managed MCP server the policy blocks: it is left out and denied by name and command', () => {
    const strictDoc = parsePolicy(starterPolicy('strict'));
    if (!strictDoc.ok) throw new Error('strict does not parse');
    const plan = adapter.prepareLaunch(
      line(['-p', 'hi']),
      {},
      session({
        policy: compilePolicy(strictDoc.value),
        managedMcp: [{ name: 'company', transport: 'stdio', command: 'node', args: ['s.js'], env: {} }],
        mcpServers: [
          {
            name: 'company',
            source: 'managed',
            identity: { command: ['node', 's.js'] },
            status: 'blocked',
            rule: 'mcp-allowlist',
            reason: 'The strict policy allows no MCP servers',
          },
        ],
      }),
    );
    expect(plan.args).not.toContain('--mcp-config');
    const settings = JSON.parse(readFileSync(plan.files[0] as string, 'utf8')) as Record<string, unknown>;
    expect(settings.allowedMcpServers).toEqual([]);
    expect(settings.deniedMcpServers).toEqual([
      { serverName: 'company' },
      { serverCommand: ['node', 's.js'] },
    ]);
    expect(plan.mcpServers[0]?.status).toBe('blocked');
  });

  test('prepareLaunch() gives Claude Code placeholder credentials and sets disableSkillShellExecution', () => {
    const credentials = createSessionCredentials(
      { ANTHROPIC_API_KEY: 'sk-ant-api03-REAL-0123456789abcdefghijklmnop' },
      [{ variable: 'ANTHROPIC_API_KEY', header: 'x-api-key', prefix: 'sk-ant-api03-', keepSuffix: 20 }],
    );
    const plan = adapter.prepareLaunch(
      line(['-p', 'hi']),
      {},
      session({
        policy: baseline(),
        credentials,
        env: { PATH: '/bin', ANTHROPIC_API_KEY: 'sk-ant-api03-REAL-0123456789abcdefghijklmnop' },
      }),
    );
    expect(plan.env.ANTHROPIC_API_KEY).toStartWith('sk-ant-api03-ceros-session-');
    expect(plan.env.ANTHROPIC_API_KEY).not.toContain('REAL');
    expect(plan.env.ANTHROPIC_API_KEY).toEndWith('-6789abcdefghijklmnop');
    const settings = JSON.parse(readFileSync(plan.files[0] as string, 'utf8')) as Record<string, unknown>;
    expect(settings.disableSkillShellExecution).toBe(true);
  });

  test('insertBeforeDoubleDash() appends when there is no --', () => {
    expect(insertBeforeDoubleDash(['a'], ['b'])).toEqual(['a', 'b']);
    expect(insertBeforeDoubleDash(['a', '--', 'c'], ['b'])).toEqual(['a', 'b', '--', 'c']);
  });
});
