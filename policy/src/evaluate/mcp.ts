import type { McpServerEntry, Mode } from '../document/schema.ts';
import { nameGlobToRegex } from '../glob/name-glob.ts';
import type { Effect, McpServerIdentity } from '../types.ts';
import type { CompiledMcp } from './compile-policy.ts';

/**
 * Second layer for MCP: Claude Code's allowedMcpServers/deniedMcpServers stop a server from
 * starting; this checks every `mcp__server__tool` call as well, in case a server got through
 * (a user-widened allowlist, a renamed server).
 */

/** Claude Code builds tool names from server names with anything outside [A-Za-z0-9_-] as `_`. */
export function normaliseServerName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** `mcp__a__b__c` could be server `a` (tool `b__c`) or server `a__b` (tool `c`): every split. */
export function mcpServerCandidates(toolName: string): string[] {
  const rest = toolName.slice('mcp__'.length);
  const parts = rest.split('__');
  if (parts.length <= 1) return [rest];
  const out: string[] = [];
  for (let k = 1; k < parts.length; k++) out.push(parts.slice(0, k).join('__'));
  return out;
}

export interface McpVerdict {
  rule: string;
  effect: Effect;
  mode: Mode;
  reason: string;
  detail: string;
}

export function mcpVerdicts(
  mcp: CompiledMcp | undefined,
  calls: readonly string[][],
  identities: Readonly<Record<string, McpServerIdentity>> | undefined,
): McpVerdict[] {
  if (!mcp) return [];
  const out: McpVerdict[] = [];
  for (const candidates of calls) {
    const denied = candidates.find((server) =>
      mcp.deny.some((entry) => entryMatches(entry, server, identities)),
    );
    if (denied !== undefined) {
      out.push({
        rule: 'mcp-deny',
        effect: 'deny',
        mode: mcp.mode,
        reason: mcp.reason ?? `MCP server "${denied}" is blocked by policy`,
        detail: `MCP server ${denied}`,
      });
      continue;
    }
    const allow = mcp.allow;
    if (
      allow &&
      !candidates.some((server) => allow.some((entry) => entryMatches(entry, server, identities)))
    ) {
      out.push({
        rule: 'mcp-allowlist',
        effect: 'deny',
        mode: mcp.mode,
        reason: mcp.reason ?? `MCP server "${candidates[0] ?? ''}" is not on the policy's allowlist`,
        detail: `MCP server ${candidates.join(' or ')}`,
      });
    }
  }
  return out;
}

export function entryMatches(
  entry: McpServerEntry,
  server: string,
  identities: Readonly<Record<string, McpServerIdentity>> | undefined,
): boolean {
  if (typeof entry === 'string') return normaliseServerName(entry) === server;
  if ('name' in entry) return normaliseServerName(entry.name) === server;
  const identity = identityOf(server, identities);
  if (!identity) return false;
  if ('command' in entry)
    return (
      'command' in identity &&
      identity.command.length === entry.command.length &&
      identity.command.every((part, k) => part === entry.command[k])
    );
  return 'url' in identity && nameGlobToRegex(entry.url).test(identity.url);
}

function identityOf(
  server: string,
  identities: Readonly<Record<string, McpServerIdentity>> | undefined,
): McpServerIdentity | undefined {
  if (!identities) return undefined;
  for (const [name, identity] of Object.entries(identities))
    if (normaliseServerName(name) === server) return identity;
  return undefined;
}
