import { join } from 'node:path';
import type { CompiledPolicy } from '@ceros/policy';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import type { EdgeConfig } from '../edge-client/index.ts';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { type JournalWriter, openJournalWriter } from '../journal/journal.ts';
import type { PostureSnapshot } from '../posture/types.ts';
import { createEntryRedactor } from '../redaction/entry-redactor.ts';
import { VERSION } from '../version.ts';
import { createSessionKeys, type DeviceIdentity, type SessionKeys } from './identity.ts';
import type { ConfigInventory } from './inventory-stage.ts';
import type { McpInventory } from './mcp-stage.ts';
import type { Nesting } from './nesting.ts';
import { endOrphanedSessions } from './orphaned-sessions.ts';
import type { SessionPolicy } from './session-policy.ts';
import { postureDigest } from './trust.ts';

export interface JournalStageInput {
  sessionId: string;
  home: string;
  device: DeviceIdentity;
  keystoreReason: string;
  enrolled: EdgeConfig | null;
  /** The policy in force at start (null with --no-policy-dev). */
  policy: SessionPolicy | null;
  posture: PostureSnapshot;
  /** The agent's pid: its ancestry is in the certificate. */
  agentPid: number;
  /** The agent's part of session.start (AgentAdapter.sessionStart). */
  agent: Record<string, unknown>;
  cwd: string;
  projectDir: string;
  socketPath: string;
  proxyUrl: string;
  upstream: string;
  mcpServers: McpInventory['servers'];
  /** Every hook and MCP server the agent loads, with source, hash and approval (config.inventory). */
  configInventory: ConfigInventory;
  /** Whether this session runs inside another session's tool call. */
  nesting: Nesting;
  /** Environment variables whose credentials the proxy keeps (the agent got placeholders). */
  credentialsReplaced: readonly string[];
  /** Whether ceros's own process (which holds them) is closed to the agent's tools. */
  processMemory?: string;
  /** The run folder: files an earlier session killed with -9 left there are cleaned up. */
  runDir: string;
  /** The policy in force at each entry (redaction patterns and privacy tier follow updates). */
  policyNow?: () => CompiledPolicy | undefined;
}

export interface JournalStageDeps {
  ancestry(pid: number): Promise<{ ancestry: unknown; digest: string | null; error?: string }>;
  /** One stderr line when the journal cannot be written (disk full, read-only). */
  progress: (line: string) => void;
  /** The journal adapter; tests may pass another. */
  openJournal?: typeof openJournalWriter;
}

export interface OpenedJournal {
  writer: JournalWriter;
  keys: SessionKeys;
}

/**
 * Journal stage, once the agent runs: a session key certified by the device key (posture, launch
 * ancestry and policy hash inside), then session.start (which policy is in force and where it came
 * from), every MCP server with its verdict, and a record of any development flag. The proxy sends
 * nothing upstream before this is on disk.
 */
export async function runJournalStage(
  input: JournalStageInput,
  deps: JournalStageDeps,
): Promise<OpenedJournal> {
  const { policy, enrolled } = input;
  const launched = await deps.ancestry(input.agentPid);
  const keys = await createSessionKeys(input.device, input.sessionId, {
    user: enrolled?.userEmail ?? null,
    postureDigest: postureDigest(input.posture),
    ancestryDigest: launched.digest,
    policyHash: policy?.source.hash ?? null,
  });
  const writer = (deps.openJournal ?? openJournalWriter)({
    dir: join(input.home, 'journal'),
    device: input.device.record.deviceId,
    session: input.sessionId,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
    warn: deps.progress,
    redactor: createEntryRedactor({ home: input.home, policy: input.policyNow ?? (() => policy?.compiled) }),
  });
  writer.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
  writer.append('session.start', {
    cerosVersion: VERSION,
    ...input.agent,
    cwd: input.cwd,
    projectDir: input.projectDir,
    socket: input.socketPath,
    proxy: input.proxyUrl,
    upstream: input.upstream,
    mode: enrolled ? 'edge' : 'local',
    edge: enrolled ? { url: enrolled.edgeUrl, org: enrolled.org.slug, user: enrolled.userEmail } : null,
    keyProtection: input.device.key.protection,
    keystore: input.keystoreReason,
    policy: policy
      ? {
          ...policy.source,
          signed: policy.source.kind !== 'unsigned-file' && policy.source.kind !== 'starter',
        }
      : { kind: 'none', reason: 'Started with --no-policy-dev' },
    posture: input.posture,
    postureDigest: postureDigest(input.posture),
    ancestry: launched.ancestry,
    ancestryDigest: launched.digest,
    ancestryError: launched.error ?? null,
    nested: input.nesting.nested ? { markers: input.nesting.markers, agents: input.nesting.agents } : null,
    credentials: {
      heldByProxy: input.credentialsReplaced,
      reason:
        input.credentialsReplaced.length > 0
          ? "The agent and its tools got placeholders only this session's proxy accepts"
          : 'No credential in the environment: the agent authenticates itself',
      processMemory: input.processMemory ?? null,
    },
  });
  // A wrapper killed with -9 left its socket, its settings (hook token) and no end: clean up.
  await endOrphanedSessions({
    runDir: input.runDir,
    ownSession: input.sessionId,
    journal: writer,
    progress: deps.progress,
  });
  writer.append('config.inventory', {
    approval: input.configInventory.approval,
    approvedNow: input.configInventory.approvedNow,
    items: input.configInventory.items,
  });
  for (const server of input.mcpServers) writer.append('mcp.server', { ...server, claudeSessionId: null });
  if (!policy) {
    writer.append('policy.none', {
      reason: 'Started with --no-policy-dev: tool calls are recorded, not checked',
    });
  }
  if (policy?.source.kind === 'unsigned-file') {
    writer.append('policy.unsigned', {
      file: policy.source.file,
      hash: policy.source.hash,
      reason: 'Started with --allow-unsigned-policy',
    });
  }
  return { writer, keys };
}
