import { describe, expect, test } from 'bun:test';
import type { JournalEntry, JsonValue } from '@ceros/protocol';
import { loadRealSession } from '../testing/real-session.ts';
import { mcpServerOfTool, projectEntry, readBillingHeader } from './project.ts';

const entry = (type: string, payload: JsonValue): JournalEntry => ({
  v: 1,
  device: 'd',
  seq: 7,
  prev: '0'.repeat(64),
  time: '2026-01-15T12:00:00.000Z',
  session: 's',
  type,
  payload,
  sig: 'x'.repeat(86),
});

const real = loadRealSession().entries;
const realOf = (type: string, match: (payload: Record<string, unknown>) => boolean = () => true) => {
  const found = real.find((e) => e.type === type && match(e.payload as Record<string, unknown>));
  if (!found) throw new Error(`The golden session has no ${type} entry like that`);
  return projectEntry(found);
};

describe('projectEntry() on the golden real session', () => {
  test('session.start yields versions, key protection, the policy and the posture verdict', () => {
    const start = realOf('session.start');
    expect(start).toMatchObject({
      kind: 'session.start',
      cwd: '/home/dev/project',
      cerosVersion: '0.1.0',
      keyProtection: 'software',
      hostname: 'dev-laptop',
      policyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(start.kind === 'session.start' && JSON.parse(start.policy ?? '{}')).toMatchObject({
      kind: 'unsigned-file',
      signed: false,
    });
    // This machine has no disk encryption, firewall product or Secure Boot: those probes failed.
    expect(start.kind === 'session.start' && start.posture?.ok).toBe(false);
    expect(start.kind === 'session.start' && start.posture?.failures).toContain('diskEncryption');
  });

  test('the main system prompt names the Claude Code version; the subagent prompt says it is one', () => {
    const prompts = real.filter((e) => e.type === 'system.prompt').map(projectEntry);
    expect(prompts).toMatchObject([
      { kind: 'system.prompt', subagent: false, claudeVersion: '2.1.197' },
      { kind: 'system.prompt', subagent: true, claudeVersion: '2.1.197' },
    ]);
  });

  test('a denied Write is a blocked decision with its rule, reason and detail', () => {
    expect(realOf('tool.decision', (p) => p.toolName === 'Write')).toMatchObject({
      kind: 'tool.decision',
      toolUseId: 'toolu_01write',
      effect: 'deny',
      rule: 'no-writes',
      reason: 'Writing files is disabled',
      detail: 'Write call',
      mode: 'enforce',
      blocked: true,
    });
  });

  test('the next request carries what the model was told about the denied Write', () => {
    const request = real
      .filter((e) => e.type === 'api.request')
      .map(projectEntry)
      .find((p) => p.kind === 'api.request' && p.toolResults.some((r) => r.toolUseId === 'toolu_01write'));
    expect(request?.kind === 'api.request' && request.toolResults).toEqual([
      {
        toolUseId: 'toolu_01write',
        text: 'ceros policy (no-writes): Writing files is disabled [Write call]',
        isError: true,
      },
    ]);
  });

  test('a response lists its tool uses; a subagent call and the Agent result name the subagent', () => {
    expect(realOf('api.response', (p) => JSON.stringify(p.content).includes('toolu_01mcp'))).toMatchObject({
      kind: 'api.response',
      toolUses: [{ id: 'toolu_01mcp', name: 'mcp__alpha__echo', mcpServer: 'alpha' }],
      status: 200,
    });
    const sub = realOf('tool.decision', (p) => p.toolUseId === 'toolu_01subbash');
    const agent = realOf('tool.result', (p) => p.toolName === 'Agent');
    expect(sub.kind === 'tool.decision' && sub.agentId).toBeString();
    expect(agent.kind === 'tool.result' && agent.spawnedAgentId).toBe(
      sub.kind === 'tool.decision' ? sub.agentId : '',
    );
    expect(realOf('subagent.start')).toMatchObject({ kind: 'subagent', agentType: 'general-purpose' });
  });

  test('a failed Bash call keeps its error; an MCP result keeps its text', () => {
    expect(realOf('tool.result', (p) => p.toolUseId === 'toolu_01fail')).toMatchObject({
      error: expect.stringContaining('No such file or directory'),
    });
    expect(realOf('tool.result', (p) => p.toolUseId === 'toolu_01mcp')).toMatchObject({
      response: 'echo: hello from ceros',
      mcpServer: 'alpha',
    });
  });

  test('the MCP server sighting names the command line it runs, its source and verdict', () => {
    expect(realOf('mcp.server')).toEqual({
      kind: 'mcp.server',
      name: 'alpha',
      identity:
        '/opt/ceros/node_modules/bun/bin/bun.exe /opt/ceros/tests/src/harness/mcp-server.ts alpha /home/dev/alpha.log',
      status: 'allowed',
      source: 'mcp-config',
      rule: 'default',
      reason: 'Allowed by the policy default',
    });
  });

  test('policy.unsigned and session.end project', () => {
    expect(realOf('policy.unsigned')).toMatchObject({ kind: 'activity', action: 'policy.unsigned' });
    expect(realOf('session.end')).toMatchObject({ kind: 'session.end', exitCode: 0, signal: null });
  });
});

describe('projectEntry() on odd payloads', () => {
  test.each([
    ['prompt', { text: 'hi' }, { kind: 'prompt', text: 'hi', claudeSessionId: null }],
    [
      'session.end',
      { exitCode: 'two' },
      { kind: 'session.end', exitCode: null, signal: null, durationMs: null },
    ],
    [
      'mcp.server',
      { name: 'gh', identity: { url: 'https://mcp.example/sse' }, status: 'blocked', source: 'project' },
      {
        kind: 'mcp.server',
        name: 'gh',
        identity: 'https://mcp.example/sse',
        status: 'blocked',
        source: 'project',
        rule: null,
        reason: null,
      },
    ],
    [
      'mcp.server',
      { name: 'gh', identity: { command: 7 }, status: 'allowed' },
      {
        kind: 'mcp.server',
        name: 'gh',
        identity: '{"command":7}',
        status: 'allowed',
        source: null,
        rule: null,
        reason: null,
      },
    ],
    ['mcp.server', { identity: 'x' }, { kind: 'none' }],
    [
      'alert',
      { kind: 'revoked', message: 'stolen' },
      { kind: 'activity', action: 'alert.revoked', details: '{"message":"stolen"}' },
    ],
    ['subagent.start', { raw: 'x' }, { kind: 'subagent', agentId: null, agentType: null }],
    ['system.prompt', { system: [] }, { kind: 'none' }],
    ['api.request', { model: 'm' }, { kind: 'none' }],
    ['hook.notification', { message: 'x' }, { kind: 'none' }],
    ['api.request', null, { kind: 'none' }],
  ] as [string, JsonValue, unknown][])('projects %s %j', (type, payload, expected) => {
    expect(projectEntry(entry(type, payload))).toEqual(expected as never);
  });

  test('a tool decision with missing fields still projects, keyed by seq when it has no tool-use id', () => {
    expect(projectEntry(entry('tool.decision', { toolName: 'mcp__gh__list' }))).toMatchObject({
      kind: 'tool.decision',
      toolUseId: 'seq:7',
      toolName: 'mcp__gh__list',
      mcpServer: 'gh',
      effect: null,
      blocked: false,
      input: '',
    });
  });

  test('a deny in monitor mode is journaled, not blocked', () => {
    const p = projectEntry(
      entry('tool.decision', { toolName: 'Bash', decision: { effect: 'deny', rule: 'r', mode: 'monitor' } }),
    );
    expect(p).toMatchObject({ effect: 'deny', mode: 'monitor', blocked: false });
  });

  test('a tool definition without a hash is hashed over its name, description and schema', () => {
    const a = projectEntry(entry('tool.definition', { name: 'T', inputSchema: { type: 'object' } }));
    const b = projectEntry(entry('tool.definition', { name: 'T', inputSchema: { type: 'array' } }));
    expect(a.kind === 'tool.definition' && b.kind === 'tool.definition' && a.hash !== b.hash).toBe(true);
  });

  test('a huge tool result is clipped for the search index', () => {
    const p = projectEntry(
      entry('tool.result', { toolUseId: 't', toolName: 'Read', response: 'x'.repeat(100_000) }),
    );
    expect(p.kind === 'tool.result' && p.response.length).toBe(8192);
  });
});

test('readBillingHeader() reads the version and the subagent flag from the first system block', () => {
  const block = (text: string) => [{ type: 'text', text }];
  expect(
    readBillingHeader(block('x-anthropic-billing-header: cc_version=2.1.197.ece; cc_entrypoint=cli;')),
  ).toEqual({
    version: '2.1.197',
    subagent: false,
  });
  expect(
    readBillingHeader(block('x-anthropic-billing-header: cc_version=2.2.0.a; cc_is_subagent=true;')),
  ).toEqual({
    version: '2.2.0',
    subagent: true,
  });
  expect(readBillingHeader('You are Claude')).toEqual({ version: null, subagent: false });
});

test('mcpServerOfTool() reads the server out of mcp__server__tool names only', () => {
  expect(mcpServerOfTool('mcp__github__create_issue')).toBe('github');
  expect(mcpServerOfTool('Bash')).toBeNull();
});
