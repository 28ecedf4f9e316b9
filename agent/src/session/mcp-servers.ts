import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { McpServerIdentity } from '@ceros/policy';

/** An MCP server this session's Claude Code is configured to start, and where that came from. */
export interface McpServerSeen {
  name: string;
  /**
   * `managed`: the organization's list from the edge; `enterprise`: Claude Code's own
   * managed-mcp.json; `agent`: a subagent's frontmatter (started when that agent runs).
   */
  source: 'mcp-config' | 'user' | 'local' | 'project' | 'managed' | 'enterprise' | 'agent' | 'plugin';
  identity: McpServerIdentity | null;
  /** The subagent that declares it (source `agent`). */
  agent?: string;
}

/**
 * The MCP servers Claude Code will consider for this session (claude-code-surface.md 3):
 * `--mcp-config` values, `~/.claude.json` (user and this project's local servers) and the
 * project's `.mcp.json`. Unreadable sources are skipped: Claude Code reports those itself.
 */
export function discoverMcpServers(
  claudeArgs: readonly string[],
  home: string,
  cwd: string,
): McpServerSeen[] {
  const seen: McpServerSeen[] = [];
  const add = (servers: unknown, source: McpServerSeen['source']) => {
    if (typeof servers !== 'object' || servers === null) return;
    for (const [name, raw] of Object.entries(servers as Record<string, unknown>)) {
      seen.push({ name, source, identity: identityOf(raw) });
    }
  };
  for (const value of mcpConfigValues(claudeArgs)) {
    const text = value.trim().startsWith('{') ? value : readText(resolve(cwd, value));
    const parsed = parseJson(text);
    add((parsed as { mcpServers?: unknown } | undefined)?.mcpServers, 'mcp-config');
  }
  const claudeJson = parseJson(readText(join(home, '.claude.json'))) as
    | { mcpServers?: unknown; projects?: Record<string, { mcpServers?: unknown }> }
    | undefined;
  add(claudeJson?.mcpServers, 'user');
  add(claudeJson?.projects?.[cwd]?.mcpServers, 'local');
  add(
    (parseJson(readText(join(cwd, '.mcp.json'))) as { mcpServers?: unknown } | undefined)?.mcpServers,
    'project',
  );
  return seen;
}

/** `--mcp-config a.json '{"mcpServers":...}' --other` takes every value up to the next flag. */
export function mcpConfigValues(args: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (arg.startsWith('--mcp-config=')) values.push(arg.slice('--mcp-config='.length));
    if (arg !== '--mcp-config') continue;
    while (i + 1 < args.length && !(args[i + 1] as string).startsWith('-')) values.push(args[++i] as string);
  }
  return values;
}

export function identityOf(raw: unknown): McpServerIdentity | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const server = raw as { command?: unknown; args?: unknown; url?: unknown };
  if (typeof server.url === 'string') return { url: server.url };
  if (typeof server.command === 'string') {
    const args = Array.isArray(server.args) ? server.args.map(String) : [];
    return { command: [server.command, ...args] };
  }
  return null;
}

function readText(path: string): string {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  } catch {
    return '';
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
