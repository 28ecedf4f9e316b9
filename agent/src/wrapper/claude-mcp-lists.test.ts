import { describe, expect, test } from 'bun:test';
import type { McpServerSeen } from '../session/mcp-servers.ts';
import { claudeMcpLists, claudeStartsServer, finalMcpVerdicts, mergeMcpLists } from './claude-mcp-lists.ts';

const alpha: McpServerSeen = {
  name: 'alpha',
  source: 'project',
  identity: { command: ['node', 'alpha.js'] },
};
const beta: McpServerSeen = { name: 'beta', source: 'user', identity: { command: ['node', 'beta.js'] } };
const remote: McpServerSeen = {
  name: 'docs',
  source: 'user',
  identity: { url: 'https://mcp.example.com/docs' },
};
const allowed = (s: McpServerSeen) => ({ ...s, status: 'allowed' as const, rule: null, reason: 'ok' });
const blocked = (s: McpServerSeen) => ({
  ...s,
  status: 'blocked' as const,
  rule: 'mcp-allowlist',
  reason: 'no',
});

describe("claudeStartsServer(): Claude Code's own check", () => {
  test('once an allowlist holds a command entry, a server allowed only by name no longer starts', () => {
    // The issue 12.8 case: an entry by command stopped a server allowed by name.
    expect(claudeStartsServer({ allowedMcpServers: [{ serverName: 'alpha' }] }, alpha)).toBe(true);
    expect(
      claudeStartsServer(
        { allowedMcpServers: [{ serverName: 'alpha' }, { serverCommand: ['node', 'beta.js'] }] },
        alpha,
      ),
    ).toBe(false);
  });

  test('deny entries win by name, command or URL; an empty allowlist starts nothing', () => {
    expect(claudeStartsServer({ deniedMcpServers: [{ serverCommand: ['node', 'alpha.js'] }] }, alpha)).toBe(
      false,
    );
    expect(
      claudeStartsServer({ deniedMcpServers: [{ serverUrl: 'https://mcp.example.com/*' }] }, remote),
    ).toBe(false);
    expect(claudeStartsServer({ allowedMcpServers: [] }, alpha)).toBe(false);
    expect(claudeStartsServer({}, alpha)).toBe(true);
    expect(
      claudeStartsServer({ allowedMcpServers: [{ serverUrl: 'https://mcp.example.com/*' }] }, remote),
    ).toBe(true);
  });
});

describe('claudeMcpLists()', () => {
  test('a blocked server is denied by name and command; an allowed one is listed by both beside the policy entries', () => {
    const lists = claudeMcpLists(
      { allowedMcpServers: [{ serverName: 'alpha' }, { serverCommand: ['node', 'beta.js'] }] },
      [allowed(alpha), allowed(beta), blocked(remote)],
    );
    expect(lists.deniedMcpServers).toEqual([
      { serverName: 'docs' },
      { serverUrl: 'https://mcp.example.com/docs' },
    ]);
    expect(claudeStartsServer(lists, alpha)).toBe(true);
    expect(claudeStartsServer(lists, beta)).toBe(true);
    expect(claudeStartsServer(lists, remote)).toBe(false);
  });

  test('without a policy allowlist nothing is allowlisted, and blocked servers are still denied', () => {
    const lists = claudeMcpLists({}, [allowed(alpha), blocked(beta)]);
    expect(lists.allowedMcpServers).toBeUndefined();
    expect(claudeStartsServer(lists, alpha)).toBe(true);
    expect(claudeStartsServer(lists, beta)).toBe(false);
  });
});

describe('finalMcpVerdicts()', () => {
  test("the journal says blocked when another source's deny list keeps an allowed server from starting", () => {
    const merged = mergeMcpLists(claudeMcpLists({}, [allowed(alpha)]), {
      deniedMcpServers: [{ serverName: 'alpha' }],
    });
    expect(
      finalMcpVerdicts(merged, [allowed(alpha), allowed(beta)]).map((s) => [s.name, s.status, s.rule]),
    ).toEqual([
      ['alpha', 'blocked', 'claude-mcp-lists'],
      ['beta', 'allowed', null],
    ]);
  });
});
