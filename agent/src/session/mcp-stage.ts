import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EvaluationContext, evaluate, type McpServerIdentity } from '@ceros/policy';
import {
  type FetchResult,
  MANAGED_MCP_PREFIX,
  type ManagedMcpList,
  type ManagedMcpServer,
  verifySignedDocument,
} from '../edge-client/index.ts';
import { writePrivateFile } from '../state/secure-fs.ts';
import type { McpServerSeen } from './mcp-servers.ts';
import { EDGE_START_TIMEOUT_MS } from './policy-stage.ts';
import type { SessionPolicy } from './session-policy.ts';
import { type Progress, withTimeout } from './stage.ts';

/** What a call to one server's tools would get: what the agent's own lists enforce at spawn. */
export interface McpVerdict {
  status: 'allowed' | 'blocked';
  rule: string | null;
  reason: string;
}

export interface McpInventory {
  /** The organization's managed servers, added to every session. */
  managed: ManagedMcpServer[];
  /** Every server the session may start, with its verdict (journaled as `mcp.server`). */
  servers: (McpServerSeen & McpVerdict)[];
  /** Each server's command or URL, for `mcp` entries that name servers by identity. */
  identities: Record<string, McpServerIdentity>;
  /** The policy's evaluation context for this session, which knows these identities. */
  evaluation: EvaluationContext | undefined;
}

export interface McpStageInput {
  /** The servers the agent's own configuration names (AgentAdapter.discoverMcpServers). */
  discovered: McpServerSeen[];
  policy: SessionPolicy | null;
  projectDir: string;
  /** The organization's key for managed lists; null in local mode. */
  orgSigningKey: string | null;
}

export interface McpStageDeps {
  home: string;
  progress: Progress;
  /** The organization's managed list from the edge; present when enrolled. */
  fetchManaged?: () => Promise<FetchResult<ManagedMcpList>>;
  edgeUrl?: string;
  /** The policy's context with the servers' identities (builds the shell parser once). */
  evaluationContext(identities: Record<string, McpServerIdentity>): Promise<EvaluationContext>;
}

/**
 * MCP stage: the organization's managed servers (verified; the last good list when the edge is
 * away) beside those the agent's configuration names, each server's identity for `mcp` entries by
 * command or URL, and the verdict the policy gives its tools.
 */
export async function runMcpStage(input: McpStageInput, deps: McpStageDeps): Promise<McpInventory> {
  const managed =
    input.orgSigningKey && deps.fetchManaged
      ? await managedServers(input.orgSigningKey, deps.fetchManaged, deps)
      : [];
  const seen: McpServerSeen[] = [
    ...input.discovered,
    ...managed.map((m) => ({
      name: m.name,
      source: 'managed' as const,
      identity: m.transport === 'stdio' ? { command: [m.command, ...m.args] } : { url: m.url },
    })),
  ];
  const identities: Record<string, McpServerIdentity> = {};
  for (const server of seen) if (server.identity) identities[server.name] = server.identity;
  const evaluation = input.policy ? await deps.evaluationContext(identities) : undefined;
  const verdict = (name: string): McpVerdict => {
    if (!input.policy || !evaluation)
      return { status: 'allowed', rule: null, reason: 'No policy restricts MCP servers' };
    const d = evaluate(
      input.policy.compiled,
      { toolName: `mcp__${name}__tool`, toolInput: {}, cwd: input.projectDir, projectDir: input.projectDir },
      evaluation,
    );
    const blocked = d.effect === 'deny' && (d.rule === 'mcp-deny' || d.rule === 'mcp-allowlist');
    return { status: blocked ? 'blocked' : 'allowed', rule: d.rule, reason: d.reason };
  };
  return {
    managed,
    servers: seen.map((server) => ({ ...server, ...verdict(server.name) })),
    identities,
    evaluation,
  };
}

async function managedServers(
  orgSigningKey: string,
  fetchManaged: () => Promise<FetchResult<ManagedMcpList>>,
  deps: McpStageDeps,
): Promise<ManagedMcpServer[]> {
  const cache = join(deps.home, 'policy', 'managed-mcp.json');
  const cached = (): ManagedMcpServer[] => {
    try {
      const document = JSON.parse(readFileSync(cache, 'utf8')) as ManagedMcpList;
      return verifySignedDocument(document, MANAGED_MCP_PREFIX, orgSigningKey).ok ? document.servers : [];
    } catch {
      return [];
    }
  };
  try {
    const fetched = await withTimeout(fetchManaged(), EDGE_START_TIMEOUT_MS, 'the edge');
    if (fetched.status === 'ok') {
      writePrivateFile(cache, `${fetched.raw}\n`);
      return fetched.document.servers;
    }
    return fetched.status === 'none' ? [] : cached();
  } catch (error) {
    deps.progress(
      `ceros: Cannot fetch managed MCP servers from ${deps.edgeUrl ?? 'the edge'} (${(error as Error).message}); using the last list`,
    );
    return cached();
  }
}
