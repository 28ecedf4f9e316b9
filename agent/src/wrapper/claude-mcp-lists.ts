import type { ClaudeMcpServerEntry } from '@ceros/policy';
import type { McpServerSeen } from '../session/mcp-servers.ts';
import type { McpVerdict } from '../session/mcp-stage.ts';

/** `allowedMcpServers` / `deniedMcpServers`, as Claude Code reads them from settings. */
export interface ClaudeMcpLists {
  allowedMcpServers?: ClaudeMcpServerEntry[];
  deniedMcpServers?: ClaudeMcpServerEntry[];
}

type Server = McpServerSeen & McpVerdict;

/**
 * The MCP lists ceros puts in its `--settings`, so that Claude Code starts exactly the servers
 * the policy allows (issue 12.8). A blocked server is denied by name and by its command or URL
 * (the deny list wins over every allowlist, merged from any source). With a policy allowlist,
 * every allowed server is also listed by its command or URL: once an allowlist holds one command
 * entry, Claude Code matches stdio servers by command only and ignores name entries (and the same
 * for URLs), so a server the policy allows by name would otherwise not start.
 */
export function claudeMcpLists(policy: ClaudeMcpLists, servers: readonly Server[]): ClaudeMcpLists {
  const denied: ClaudeMcpServerEntry[] = [...(policy.deniedMcpServers ?? [])];
  const allowed: ClaudeMcpServerEntry[] | undefined = policy.allowedMcpServers
    ? [...policy.allowedMcpServers]
    : undefined;
  for (const server of servers) {
    const entries: ClaudeMcpServerEntry[] = [{ serverName: server.name }];
    if (server.identity && 'command' in server.identity)
      entries.push({ serverCommand: [...server.identity.command] });
    else if (server.identity && 'url' in server.identity) entries.push({ serverUrl: server.identity.url });
    if (server.status === 'blocked') denied.push(...entries);
    else if (allowed) allowed.push(...entries);
  }
  const lists: ClaudeMcpLists = {};
  if (allowed) lists.allowedMcpServers = unique(allowed);
  if (denied.length > 0) lists.deniedMcpServers = unique(denied);
  return lists;
}

/**
 * Whether Claude Code will start `server` under `lists` (its own check, read from the 2.1.197
 * binary and the same on 2.1.337): any deny entry matching by name, command or URL blocks; with
 * no allowlist everything else starts; an empty allowlist blocks all; a stdio server must match a
 * command entry when the allowlist has any (else a name entry), a remote server a URL entry when
 * it has any (else a name entry).
 */
export function claudeStartsServer(lists: ClaudeMcpLists, server: McpServerSeen): boolean {
  const command = server.identity && 'command' in server.identity ? server.identity.command : null;
  const url = server.identity && 'url' in server.identity ? server.identity.url : null;
  const matches = (entry: ClaudeMcpServerEntry): boolean => {
    if ('serverName' in entry) return entry.serverName === server.name;
    if ('serverCommand' in entry)
      return (
        command !== null &&
        entry.serverCommand.length === command.length &&
        entry.serverCommand.every((part, i) => part === command[i])
      );
    return url !== null && urlGlob(entry.serverUrl).test(url);
  };
  if ((lists.deniedMcpServers ?? []).some(matches)) return false;
  const allowed = lists.allowedMcpServers;
  if (!allowed) return true;
  if (allowed.length === 0) return false;
  if (command !== null) {
    const byCommand = allowed.filter((entry) => 'serverCommand' in entry);
    return byCommand.length > 0
      ? byCommand.some(matches)
      : allowed.some((entry) => 'serverName' in entry && matches(entry));
  }
  if (url !== null) {
    const byUrl = allowed.filter((entry) => 'serverUrl' in entry);
    return byUrl.length > 0
      ? byUrl.some(matches)
      : allowed.some((entry) => 'serverName' in entry && matches(entry));
  }
  return allowed.some((entry) => 'serverName' in entry && matches(entry));
}

/** The lists of several settings sources together: Claude Code merges the arrays. */
export function mergeMcpLists(...all: readonly ClaudeMcpLists[]): ClaudeMcpLists {
  const merged: ClaudeMcpLists = {};
  for (const lists of all) {
    if (lists.allowedMcpServers)
      merged.allowedMcpServers = [...(merged.allowedMcpServers ?? []), ...lists.allowedMcpServers];
    if (lists.deniedMcpServers)
      merged.deniedMcpServers = [...(merged.deniedMcpServers ?? []), ...lists.deniedMcpServers];
  }
  return merged;
}

/**
 * Each server's verdict as Claude Code will act on it. The policy's verdict stands unless the
 * merged lists keep an allowed server from starting (another source's deny list): then the
 * journal says blocked and why, never "allowed".
 */
export function finalMcpVerdicts(lists: ClaudeMcpLists, servers: readonly Server[]): Server[] {
  return servers.map((server) => {
    if (server.status === 'blocked' || claudeStartsServer(lists, server)) return server;
    return {
      ...server,
      status: 'blocked',
      rule: 'claude-mcp-lists',
      reason: `Claude Code will not start "${server.name}": the allowedMcpServers and deniedMcpServers of its settings do not let it through`,
    };
  });
}

function urlGlob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

function unique(entries: ClaudeMcpServerEntry[]): ClaudeMcpServerEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = JSON.stringify(entry);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
