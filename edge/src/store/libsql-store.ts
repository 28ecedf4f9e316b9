import { canonicalJson, type JsonValue } from '@ceros/protocol';
import {
  type Client,
  createClient,
  type InStatement,
  type InValue,
  LibsqlError,
  type Row,
} from '@libsql/client';
import { EdgeError } from '../errors.ts';
import { applyPostureChanges, failedProbes, postureVerdict } from '../ingest/posture.ts';
import { activityDetails, type ProjectedEntry, type Projection } from '../ingest/project.ts';
import { libsqlSiemMethods } from '../siem/siem-store.ts';
import { libsqlCodeGuessMethods } from './libsql-code-guesses.ts';
import { integrityStatements, libsqlIntegrityMethods } from './libsql-integrity.ts';
import { isLogConflict, libsqlLedgerMethods, logAppendStatements, mergeLogAppends } from './libsql-ledger.ts';
import { MIGRATIONS } from './migrations.ts';
import type {
  ActivityRow,
  Admin,
  AdminRole,
  AdoptionGapRow,
  ApiTurnRow,
  CodePurpose,
  ConversationRow,
  DashboardCounts,
  Device,
  DeviceStatus,
  EdgeStore,
  EmailCode,
  Enrollment,
  EnrollmentStatus,
  EntryRow,
  IngestState,
  Keyset,
  ManagedMcpServer,
  ManagedMcpTransport,
  McpServerRow,
  Org,
  Page,
  Policy,
  PolicyVersion,
  PostureRow,
  SeenOnDevice,
  StoreEntriesInput,
  ToolCallRow,
  ToolDefinitionRow,
  User,
  UserStatus,
} from './store.ts';

export interface LibsqlStoreOptions {
  /** `:memory:`, `file:/path/edge.db`, or a remote `libsql://` / `https://` URL (Turso, sqld). */
  url: string;
  authToken?: string;
}

/**
 * The libSQL adapter: all of the edge's SQL is in this file. Writes that must be atomic go through
 * one `batch(..., 'write')`, which is a single transaction on an embedded file and a single round
 * trip on Turso; there are no interactive transactions, so no lock is held across network hops.
 */
export function createLibsqlStore(options: LibsqlStoreOptions): EdgeStore {
  const embedded = options.url.startsWith('file:');
  const client = createClient({
    url: options.url,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    // An embedded file gets one connection: the pragmas below are per connection (a second one
    // would commit with synchronous=FULL and no busy timeout), and every call runs synchronously
    // on this thread anyway, so more connections add nothing.
    ...(embedded ? { concurrency: 1 } : {}),
  });
  return libsqlStore(client, { embedded });
}

/**
 * Embedded files run in WAL mode with synchronous=NORMAL: about ten times the write rate of the
 * default rollback journal (SQLite docs, "Write-Ahead Logging"), and several edge processes on one
 * host can share the file. NORMAL may lose the last commits on power loss (never on a crash); the
 * protocol tolerates that: the agent's next upload gets CHAIN_GAP and re-sends from the edge's head.
 */
const EMBEDDED_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  'PRAGMA busy_timeout = 5000',
];

// Row accessors: libSQL rows are loosely typed; these turn a column into the type the schema says.
function str(row: Row, key: string): string {
  const value = row[key];
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return String(value);
}
function strOrNull(row: Row, key: string): string | null {
  const value = row[key];
  return value === null || value === undefined ? null : String(value);
}
function num(row: Row, key: string): number {
  const value = row[key];
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}
function numOrNull(row: Row, key: string): number | null {
  const value = row[key];
  return value === null || value === undefined ? null : num(row, key);
}
function boolOrNull(row: Row, key: string): boolean | null {
  const value = numOrNull(row, key);
  return value === null ? null : value !== 0;
}
const boolInt = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);

function page<T>(rows: Row[], limit: number, map: (row: Row) => T, key: (row: Row) => Keyset): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return { items: kept.map(map), next: more && last ? key(last) : null };
}

/** WHERE clauses and their arguments, built together so they cannot drift apart. */
function conditions(first: string, ...args: InValue[]) {
  const clauses = [first];
  const values: InValue[] = [...args];
  return {
    add(clause: string, ...clauseArgs: InValue[]) {
      clauses.push(clause);
      values.push(...clauseArgs);
    },
    get sql() {
      return clauses.join(' AND ');
    },
    args: values,
  };
}

function isConstraint(error: unknown): boolean {
  return error instanceof LibsqlError && error.code.startsWith('SQLITE_CONSTRAINT');
}

const ORG_COLUMNS = `id, slug, name, allowed_domains, require_approval, signing_public_key, created_ms`;
function toOrg(row: Row): Org {
  return {
    id: str(row, 'id'),
    slug: str(row, 'slug'),
    name: str(row, 'name'),
    allowedDomains: JSON.parse(str(row, 'allowed_domains') || '[]') as string[],
    requireApproval: num(row, 'require_approval') === 1,
    signingPublicKey: str(row, 'signing_public_key'),
    createdMs: num(row, 'created_ms'),
  };
}

function toUser(row: Row): User {
  return {
    orgId: str(row, 'org_id'),
    id: str(row, 'id'),
    email: str(row, 'email'),
    status: str(row, 'status') as UserStatus,
    createdMs: num(row, 'created_ms'),
    verifiedMs: numOrNull(row, 'verified_ms'),
    revokedMs: numOrNull(row, 'revoked_ms'),
  };
}

function toAdmin(row: Row): Admin {
  return {
    orgId: str(row, 'org_id'),
    id: str(row, 'id'),
    email: str(row, 'email'),
    role: str(row, 'role') as AdminRole,
    createdMs: num(row, 'created_ms'),
  };
}

function toEmailCode(row: Row): EmailCode {
  return {
    id: str(row, 'id'),
    purpose: str(row, 'purpose') as CodePurpose,
    subject: str(row, 'subject'),
    email: str(row, 'email'),
    codeHash: str(row, 'code_hash'),
    createdMs: num(row, 'created_ms'),
    expiresMs: num(row, 'expires_ms'),
    attempts: num(row, 'attempts'),
    usedMs: numOrNull(row, 'used_ms'),
  };
}

function toEnrollment(row: Row): Enrollment {
  return {
    id: str(row, 'id'),
    orgId: strOrNull(row, 'org_id'),
    userCode: str(row, 'user_code'),
    pollTokenHash: str(row, 'poll_token_hash'),
    deviceId: str(row, 'device_id'),
    publicKey: str(row, 'public_key'),
    keyProtection: str(row, 'key_protection'),
    device: JSON.parse(str(row, 'device_info')) as Enrollment['device'],
    email: strOrNull(row, 'email'),
    status: str(row, 'status') as EnrollmentStatus,
    createdMs: num(row, 'created_ms'),
    expiresMs: num(row, 'expires_ms'),
    completedMs: numOrNull(row, 'completed_ms'),
  };
}

const DEVICE_SELECT = `SELECT d.*, u.email AS user_email, u.status AS user_status
  FROM devices d JOIN users u ON u.id = d.user_id`;
function toDevice(row: Row): Device {
  return {
    orgId: str(row, 'org_id'),
    id: str(row, 'id'),
    userId: str(row, 'user_id'),
    userEmail: str(row, 'user_email'),
    userStatus: str(row, 'user_status') as UserStatus,
    publicKey: str(row, 'public_key'),
    keyProtection: str(row, 'key_protection'),
    status: str(row, 'status') as DeviceStatus,
    hostname: strOrNull(row, 'hostname'),
    os: strOrNull(row, 'os'),
    arch: strOrNull(row, 'arch'),
    cerosVersion: strOrNull(row, 'ceros_version'),
    claudeVersion: strOrNull(row, 'claude_version'),
    enrolledMs: num(row, 'enrolled_ms'),
    approvedMs: numOrNull(row, 'approved_ms'),
    revokedMs: numOrNull(row, 'revoked_ms'),
    revokedReason: strOrNull(row, 'revoked_reason'),
    lastSeenMs: numOrNull(row, 'last_seen_ms'),
    headSeq: numOrNull(row, 'head_seq'),
    headHash: strOrNull(row, 'head_hash'),
    posture: strOrNull(row, 'posture'),
    postureOk: boolOrNull(row, 'posture_ok'),
    postureMs: numOrNull(row, 'posture_ms'),
  };
}

const CONVERSATION_SELECT = `SELECT s.*, u.email AS user_email FROM sessions s LEFT JOIN users u ON u.id = s.user_id`;
function toConversation(row: Row): ConversationRow {
  return {
    deviceId: str(row, 'device_id'),
    sessionId: str(row, 'session_id'),
    userId: strOrNull(row, 'user_id'),
    userEmail: strOrNull(row, 'user_email'),
    startedMs: num(row, 'started_ms'),
    endedMs: numOrNull(row, 'ended_ms'),
    lastEventMs: num(row, 'last_event_ms'),
    exitCode: numOrNull(row, 'exit_code'),
    cwd: strOrNull(row, 'cwd'),
    projectDir: strOrNull(row, 'project_dir'),
    claudeArgs: strOrNull(row, 'claude_args'),
    cerosVersion: strOrNull(row, 'ceros_version'),
    claudeVersion: strOrNull(row, 'claude_version'),
    policyHash: strOrNull(row, 'policy_hash'),
    keyProtection: strOrNull(row, 'key_protection'),
    firstPrompt: strOrNull(row, 'first_prompt'),
    prompts: num(row, 'prompts'),
    toolCalls: num(row, 'tool_calls'),
    blocks: num(row, 'blocks'),
    claudeSessionId: strOrNull(row, 'claude_session_id'),
    model: strOrNull(row, 'model'),
    policy: strOrNull(row, 'policy'),
    postureOk: boolOrNull(row, 'posture_ok'),
    signal: strOrNull(row, 'signal'),
    durationMs: numOrNull(row, 'duration_ms'),
    subagents: num(row, 'subagents'),
    endState: strOrNull(row, 'end_state'),
  };
}

const TOOL_CALL_SELECT = `SELECT t.*, u.email AS user_email FROM tool_calls t LEFT JOIN users u ON u.id = t.user_id`;
function toToolCall(row: Row): ToolCallRow {
  return {
    deviceId: str(row, 'device_id'),
    sessionId: str(row, 'session_id'),
    userId: strOrNull(row, 'user_id'),
    userEmail: strOrNull(row, 'user_email'),
    toolUseId: str(row, 'tool_use_id'),
    toolName: str(row, 'tool_name'),
    mcpServer: strOrNull(row, 'mcp_server'),
    agentId: strOrNull(row, 'agent_id'),
    effect: strOrNull(row, 'effect'),
    rule: strOrNull(row, 'rule'),
    reason: strOrNull(row, 'reason'),
    mode: strOrNull(row, 'mode'),
    policyHash: strOrNull(row, 'policy_hash'),
    input: strOrNull(row, 'input'),
    timeMs: num(row, 'time_ms'),
    decisionSeq: numOrNull(row, 'decision_seq'),
    resultSeq: numOrNull(row, 'result_seq'),
    durationMs: numOrNull(row, 'duration_ms'),
    error: strOrNull(row, 'error'),
    response: strOrNull(row, 'response'),
    agentType: strOrNull(row, 'agent_type'),
    detail: strOrNull(row, 'detail'),
    monitor: strOrNull(row, 'monitor'),
    requestedSeq: numOrNull(row, 'requested_seq'),
    spawnedAgentId: strOrNull(row, 'spawned_agent_id'),
    modelResult: strOrNull(row, 'model_result'),
    modelResultError: boolOrNull(row, 'model_result_error'),
  };
}

function toPolicy(row: Row): Policy {
  return {
    id: str(row, 'id'),
    orgId: str(row, 'org_id'),
    name: str(row, 'name'),
    createdMs: num(row, 'created_ms'),
    latestVersion: num(row, 'latest_version'),
    publishedVersion: numOrNull(row, 'published_version'),
  };
}
function toPolicyVersion(row: Row): PolicyVersion {
  return {
    policyId: str(row, 'policy_id'),
    version: num(row, 'version'),
    source: str(row, 'source'),
    hash: str(row, 'hash'),
    createdBy: str(row, 'created_by'),
    createdMs: num(row, 'created_ms'),
  };
}
function toManagedMcp(row: Row): ManagedMcpServer {
  return {
    id: str(row, 'id'),
    name: str(row, 'name'),
    config: JSON.parse(str(row, 'config')) as ManagedMcpTransport,
    createdMs: num(row, 'created_ms'),
    updatedMs: num(row, 'updated_ms'),
  };
}

/**
 * An FTS5 phrase over the trigram tokenizer: matches the text as a case-insensitive substring
 * (SQLite FTS5 docs, "The Trigram Tokenizer"). Quotes are doubled per the FTS5 string syntax.
 */
function ftsPhrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** `INSERT ... VALUES (?, ...), (?, ...) ...` in chunks: one statement per chunk instead of per row. */
function multiRow(
  prefix: string,
  rows: readonly InValue[][],
  suffix = '',
  chunk = 50,
  template?: string,
): InStatement[] {
  const out: InStatement[] = [];
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const tuple = template ?? `(${(part[0] ?? []).map(() => '?').join(', ')})`;
    out.push({ sql: `${prefix} VALUES ${part.map(() => tuple).join(', ')} ${suffix}`, args: part.flat() });
  }
  return out;
}

interface SessionAggregate {
  readonly orgId: string;
  readonly deviceId: string;
  readonly userId: string;
  readonly sessionId: string;
  first: number;
  last: number;
  prompts: number;
  toolCalls: number;
  blocks: number;
  subagents: number;
  firstPrompt: string | null;
  claudeSessionId: string | null;
  claudeVersion: string | null;
  model: string | null;
  postureOk: boolean | null;
  /** Whether this batch carried a posture snapshot or change for the session. */
  postureSeen: boolean;
  key: { certificate: string; keyProtection: string | null } | null;
  start: (Extract<Projection, { kind: 'session.start' }> & { at: number }) | null;
  end: (Extract<Projection, { kind: 'session.end' }> & { at: number }) | null;
}

/**
 * Builds the statements that project batches of entries (of one device each) into the query
 * tables. Rows of a kind are written with multi-row statements across all the batches and
 * per-session counters are summed first: the libSQL client's cost is mostly per statement, so
 * this keeps a group of batches at a handful of statements. `previousPosture` holds, per session
 * of its batch, the latest stored snapshot, for `posture.change` entries whose session started in
 * an earlier batch.
 */
function projectionStatements(
  batches: readonly { input: StoreEntriesInput; previousPosture: ReadonlyMap<string, JsonValue> }[],
): InStatement[] {
  const out: InStatement[] = [];
  const sessions = new Map<string, SessionAggregate>();
  const definitions: InValue[][] = [];
  const definitionDevices: InValue[][] = [];
  const requested: InValue[][] = [];
  const decisions: InValue[][] = [];
  const results: InValue[][] = [];
  const modelResults: InStatement[] = [];
  const systemPrompts: InValue[][] = [];
  const requests: InValue[][] = [];
  const responses: InValue[][] = [];
  const mcpServers: InValue[][] = [];
  const mcpDevices: InValue[][] = [];
  const activity: InValue[][] = [];
  const posture: InStatement[] = [];
  const device: InStatement[] = [];

  for (const { input, previousPosture } of batches) {
    const { orgId, deviceId, userId } = input;
    const currentPosture = new Map(previousPosture);
    const actor = `device:${deviceId}`;
    for (const entry of input.entries) {
      const at = entry.timeMs;
      const sessionKey = `${deviceId}\n${entry.sessionId}`;
      let session = sessions.get(sessionKey);
      if (!session) {
        session = {
          orgId,
          deviceId,
          userId,
          sessionId: entry.sessionId,
          first: at,
          last: at,
          prompts: 0,
          toolCalls: 0,
          blocks: 0,
          subagents: 0,
          firstPrompt: null,
          claudeSessionId: null,
          claudeVersion: null,
          model: null,
          postureOk: null,
          postureSeen: false,
          key: null,
          start: null,
          end: null,
        };
        sessions.set(sessionKey, session);
      }
      session.first = Math.min(session.first, at);
      session.last = Math.max(session.last, at);
      const p = entry.projection;
      switch (p.kind) {
        case 'session.key':
          session.key = { certificate: p.certificate, keyProtection: p.keyProtection };
          break;
        case 'session.start':
          session.start = { ...p, at };
          session.claudeVersion = p.claudeVersion ?? session.claudeVersion;
          device.push({
            sql: `UPDATE devices SET ceros_version = coalesce(?, ceros_version),
                  hostname = coalesce(hostname, ?), os = coalesce(os, ?), arch = coalesce(arch, ?)
                WHERE id = ? AND org_id = ?`,
            args: [p.cerosVersion, p.hostname, p.os, p.arch, deviceId, orgId],
          });
          if (p.posture) {
            currentPosture.set(entry.sessionId, JSON.parse(p.posture.report) as JsonValue);
            session.postureOk = p.posture.ok;
            session.postureSeen = true;
            posture.push(...postureStatements(input, entry, p.posture.report, p.posture.ok, null));
          }
          break;
        case 'posture.change': {
          const snapshot = applyPostureChanges(
            currentPosture.get(entry.sessionId),
            p.changes,
            new Date(at).toISOString(),
          );
          currentPosture.set(entry.sessionId, snapshot);
          const ok = postureVerdict(snapshot);
          session.postureOk = ok;
          session.postureSeen = true;
          posture.push(
            ...postureStatements(input, entry, canonicalJson(snapshot), ok, canonicalJson(p.changes)),
          );
          const summaries = (Array.isArray(p.changes) ? p.changes : []).map((change) =>
            typeof change === 'object' && change !== null && !Array.isArray(change)
              ? String(change.summary ?? change.probe ?? '')
              : '',
          );
          activity.push([
            orgId,
            at,
            actor,
            'posture.changed',
            entry.sessionId,
            canonicalJson({ changes: summaries, failing: failedProbes(snapshot) }),
          ]);
          break;
        }
        case 'session.end':
          session.end = { ...p, at };
          break;
        case 'prompt':
          session.prompts++;
          session.firstPrompt ??= p.text.slice(0, 500);
          session.claudeSessionId ??= p.claudeSessionId;
          break;
        case 'system.prompt':
          session.claudeVersion ??= p.claudeVersion;
          systemPrompts.push([
            orgId,
            deviceId,
            entry.sessionId,
            p.hash,
            entry.seq,
            p.subagent ? 1 : 0,
            p.claudeVersion,
          ]);
          break;
        case 'api.request':
          requests.push([
            orgId,
            deviceId,
            entry.sessionId,
            p.requestNo,
            entry.seq,
            p.systemHash,
            deviceId,
            entry.sessionId,
            p.systemHash,
            p.model,
          ]);
          if (p.toolResults.length > 0) {
            const json = JSON.stringify(p.toolResults);
            modelResults.push({
              sql: `UPDATE tool_calls SET
                    model_result = (SELECT json_extract(r.value, '$.text') FROM json_each(?) r
                      WHERE json_extract(r.value, '$.toolUseId') = tool_calls.tool_use_id),
                    model_result_error = (SELECT json_extract(r.value, '$.isError') FROM json_each(?) r
                      WHERE json_extract(r.value, '$.toolUseId') = tool_calls.tool_use_id)
                  WHERE device_id = ? AND session_id = ? AND org_id = ?
                    AND tool_use_id IN (SELECT json_extract(value, '$.toolUseId') FROM json_each(?))`,
              args: [json, json, deviceId, entry.sessionId, orgId, json],
            });
          }
          break;
        case 'api.response':
          session.model = p.model ?? session.model;
          if (p.requestNo !== null)
            responses.push([
              orgId,
              deviceId,
              entry.sessionId,
              p.requestNo,
              entry.seq,
              p.model,
              p.stopReason,
              p.status,
              p.inputTokens,
              p.outputTokens,
            ]);
          for (const use of p.toolUses)
            requested.push([
              orgId,
              deviceId,
              entry.sessionId,
              userId,
              use.id,
              use.name,
              use.mcpServer,
              use.input,
              at,
              entry.seq,
              [use.name, use.input].join('\n'),
            ]);
          break;
        case 'tool.definition':
          definitions.push([orgId, p.hash, p.name, p.mcpServer, p.description, p.inputSchema, at, at]);
          definitionDevices.push([orgId, p.hash, deviceId, at, at]);
          break;
        case 'tool.decision':
          session.toolCalls++;
          if (p.blocked) {
            session.blocks++;
            activity.push([
              orgId,
              at,
              actor,
              'tool.denied',
              entry.sessionId,
              activityDetails({
                tool: p.toolName,
                rule: p.rule,
                reason: p.reason,
                toolUseId: p.toolUseId,
                agentId: p.agentId,
              }),
            ]);
          }
          decisions.push([
            orgId,
            deviceId,
            entry.sessionId,
            userId,
            p.toolUseId,
            p.toolName,
            p.mcpServer,
            p.agentId,
            p.agentType,
            p.effect,
            p.rule,
            p.reason,
            p.detail,
            p.mode,
            p.policyHash,
            p.monitor,
            p.input,
            at,
            entry.seq,
            [p.toolName, p.input, p.rule ?? '', p.reason ?? ''].join('\n'),
          ]);
          break;
        case 'tool.result':
          results.push([
            orgId,
            deviceId,
            entry.sessionId,
            userId,
            p.toolUseId,
            p.toolName,
            p.mcpServer,
            p.agentId,
            at,
            entry.seq,
            p.durationMs,
            p.error,
            p.response,
            p.spawnedAgentId,
            [p.toolName, p.response, p.error ?? ''].join('\n'),
          ]);
          break;
        case 'subagent':
          if (entry.type === 'subagent.start') session.subagents++;
          break;
        case 'mcp.server':
          mcpServers.push([orgId, p.name, p.identity, p.status, at, at, p.status === 'blocked' ? 1 : 0]);
          mcpDevices.push([orgId, p.name, p.identity, deviceId, at, at]);
          if (p.status === 'blocked')
            activity.push([
              orgId,
              at,
              actor,
              'mcp.blocked',
              entry.sessionId,
              activityDetails({
                server: p.name,
                identity: p.identity,
                source: p.source,
                rule: p.rule,
                reason: p.reason,
              }),
            ]);
          break;
        case 'activity':
          activity.push([orgId, at, actor, p.action, entry.sessionId, p.details]);
          break;
        case 'none':
          break;
      }
    }
  }

  for (const s of sessions.values()) {
    const { orgId, deviceId, userId, sessionId } = s;
    const start = s.start;
    // One upsert per session: counters are added, first-seen values kept, session.start and
    // session.end fields set when this batch carries them.
    out.push({
      sql: `INSERT INTO sessions (org_id, device_id, session_id, user_id, started_ms, last_event_ms, certificate,
              key_protection, cwd, project_dir, claude_args, ceros_version, claude_version, policy_hash, posture,
              ended_ms, exit_code, first_prompt, prompts, tool_calls, blocks, claude_session_id, model, policy,
              posture_ok, signal, duration_ms, subagents)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (device_id, session_id) DO UPDATE SET
              last_event_ms = max(last_event_ms, excluded.last_event_ms),
              started_ms = CASE WHEN ? THEN excluded.started_ms ELSE min(started_ms, excluded.started_ms) END,
              certificate = coalesce(excluded.certificate, certificate),
              key_protection = coalesce(key_protection, excluded.key_protection),
              cwd = coalesce(excluded.cwd, cwd),
              project_dir = coalesce(excluded.project_dir, project_dir),
              claude_args = coalesce(excluded.claude_args, claude_args),
              ceros_version = coalesce(excluded.ceros_version, ceros_version),
              claude_version = coalesce(claude_version, excluded.claude_version),
              policy_hash = coalesce(excluded.policy_hash, policy_hash),
              posture = coalesce(excluded.posture, posture),
              ended_ms = coalesce(excluded.ended_ms, ended_ms),
              exit_code = CASE WHEN excluded.ended_ms IS NOT NULL THEN excluded.exit_code ELSE exit_code END,
              signal = CASE WHEN excluded.ended_ms IS NOT NULL THEN excluded.signal ELSE signal END,
              duration_ms = coalesce(excluded.duration_ms, duration_ms),
              first_prompt = coalesce(first_prompt, excluded.first_prompt),
              claude_session_id = coalesce(claude_session_id, excluded.claude_session_id),
              model = coalesce(excluded.model, model),
              policy = coalesce(excluded.policy, policy),
              posture_ok = CASE WHEN ? THEN excluded.posture_ok ELSE posture_ok END,
              prompts = prompts + excluded.prompts,
              tool_calls = tool_calls + excluded.tool_calls,
              blocks = blocks + excluded.blocks,
              subagents = subagents + excluded.subagents`,
      args: [
        orgId,
        deviceId,
        sessionId,
        userId,
        start ? start.at : s.first,
        s.last,
        s.key?.certificate ?? null,
        s.key?.keyProtection ?? start?.keyProtection ?? null,
        start?.cwd ?? null,
        start?.projectDir ?? null,
        start?.claudeArgs ?? null,
        start?.cerosVersion ?? null,
        s.claudeVersion,
        start?.policyHash ?? null,
        start?.posture?.report ?? null,
        s.end?.at ?? null,
        s.end?.exitCode ?? null,
        s.firstPrompt,
        s.prompts,
        s.toolCalls,
        s.blocks,
        s.claudeSessionId,
        s.model,
        start?.policy ?? null,
        boolInt(s.postureOk),
        s.end?.signal ?? null,
        s.end?.durationMs ?? null,
        s.subagents,
        start ? 1 : 0,
        s.postureSeen ? 1 : 0,
      ],
    });
    if (s.claudeVersion !== null)
      device.push({
        sql: 'UPDATE devices SET claude_version = ? WHERE id = ? AND org_id = ?',
        args: [s.claudeVersion, deviceId, orgId],
      });
  }

  out.push(
    ...multiRow(
      `INSERT INTO tool_definitions (org_id, hash, name, mcp_server, description, input_schema, first_seen_ms,
         last_seen_ms)`,
      definitions,
      `ON CONFLICT (org_id, hash) DO UPDATE SET
         first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
         last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
    ),
    ...multiRow(
      'INSERT INTO tool_definition_devices (org_id, hash, device_id, first_seen_ms, last_seen_ms)',
      definitionDevices,
      `ON CONFLICT (org_id, hash, device_id) DO UPDATE SET
         first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
         last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
    ),
    // A call's tool_use (api.response), decision and result may arrive in any order and in
    // different batches; each side fills its own columns and rebuilds the search text from the row.
    ...multiRow(
      `INSERT INTO tool_calls (org_id, device_id, session_id, user_id, tool_use_id, tool_name, mcp_server,
         input, time_ms, requested_seq, search_text)`,
      requested,
      `ON CONFLICT (device_id, session_id, tool_use_id) DO UPDATE SET
         requested_seq = excluded.requested_seq, input = coalesce(input, excluded.input),
         time_ms = min(time_ms, excluded.time_ms)`,
    ),
    ...multiRow(
      `INSERT INTO tool_calls (org_id, device_id, session_id, user_id, tool_use_id, tool_name, mcp_server,
         agent_id, agent_type, effect, rule, reason, detail, mode, policy_hash, monitor, input, time_ms,
         decision_seq, search_text)`,
      decisions,
      `ON CONFLICT (device_id, session_id, tool_use_id) DO UPDATE SET
         tool_name = excluded.tool_name, agent_id = coalesce(excluded.agent_id, agent_id),
         agent_type = coalesce(excluded.agent_type, agent_type),
         effect = excluded.effect, rule = excluded.rule, reason = excluded.reason, detail = excluded.detail,
         mode = excluded.mode, policy_hash = excluded.policy_hash, monitor = excluded.monitor,
         input = excluded.input, time_ms = min(time_ms, excluded.time_ms), decision_seq = excluded.decision_seq,
         search_text = excluded.search_text || char(10) || coalesce(response, '') || char(10) || coalesce(error, '')`,
    ),
    ...multiRow(
      `INSERT INTO tool_calls (org_id, device_id, session_id, user_id, tool_use_id, tool_name, mcp_server,
         agent_id, time_ms, result_seq, duration_ms, error, response, spawned_agent_id, search_text)`,
      results,
      `ON CONFLICT (device_id, session_id, tool_use_id) DO UPDATE SET
         agent_id = coalesce(agent_id, excluded.agent_id), result_seq = excluded.result_seq,
         duration_ms = excluded.duration_ms, error = excluded.error, response = excluded.response,
         spawned_agent_id = coalesce(excluded.spawned_agent_id, spawned_agent_id),
         search_text = tool_name || char(10) || coalesce(input, '') || char(10) || coalesce(rule, '')
           || char(10) || coalesce(reason, '') || char(10) || coalesce(excluded.response, '') || char(10)
           || coalesce(excluded.error, '')`,
    ),
    ...modelResults,
    // System prompts before the requests that name them: a request's thread is read from its prompt.
    ...multiRow(
      `INSERT INTO system_prompts (org_id, device_id, session_id, hash, seq, subagent, claude_version)`,
      systemPrompts,
      'ON CONFLICT (device_id, session_id, hash) DO NOTHING',
    ),
    ...multiRow(
      `INSERT INTO api_turns (org_id, device_id, session_id, request_no, request_seq, system_hash, subagent, model)`,
      requests,
      `ON CONFLICT (device_id, session_id, request_no) DO UPDATE SET
         request_seq = excluded.request_seq, system_hash = excluded.system_hash, subagent = excluded.subagent,
         model = coalesce(model, excluded.model)`,
      50,
      '(?, ?, ?, ?, ?, ?, (SELECT subagent FROM system_prompts WHERE device_id = ? AND session_id = ? AND hash = ?), ?)',
    ),
    ...multiRow(
      `INSERT INTO api_turns (org_id, device_id, session_id, request_no, response_seq, model, stop_reason, status,
         input_tokens, output_tokens)`,
      responses,
      `ON CONFLICT (device_id, session_id, request_no) DO UPDATE SET
         response_seq = excluded.response_seq, model = coalesce(excluded.model, model),
         stop_reason = excluded.stop_reason, status = excluded.status, input_tokens = excluded.input_tokens,
         output_tokens = excluded.output_tokens`,
    ),
    ...multiRow(
      `INSERT INTO mcp_servers_seen (org_id, name, identity, status, first_seen_ms, last_seen_ms, blocked_attempts)`,
      mcpServers,
      `ON CONFLICT (org_id, name, identity) DO UPDATE SET
         status = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.status ELSE status END,
         first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
         last_seen_ms = max(last_seen_ms, excluded.last_seen_ms),
         blocked_attempts = blocked_attempts + excluded.blocked_attempts`,
    ),
    ...multiRow(
      'INSERT INTO mcp_server_devices (org_id, name, identity, device_id, first_seen_ms, last_seen_ms)',
      mcpDevices,
      `ON CONFLICT (org_id, name, identity, device_id) DO UPDATE SET
         first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
         last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
    ),
    ...multiRow('INSERT INTO activity (org_id, time_ms, actor, action, target, details)', activity),
    ...posture,
    ...device,
    ...integrityStatements(batches.map((b) => b.input)),
  );
  return out;
}

function postureStatements(
  input: StoreEntriesInput,
  entry: ProjectedEntry,
  posture: string,
  ok: boolean | null,
  changes: string | null,
): InStatement[] {
  return [
    {
      sql: `INSERT INTO posture_history (org_id, device_id, session_id, seq, time_ms, ok, posture, kind, changes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        input.orgId,
        input.deviceId,
        entry.sessionId,
        entry.seq,
        entry.timeMs,
        boolInt(ok),
        posture,
        changes === null ? 'snapshot' : 'change',
        changes,
      ],
    },
    {
      sql: `UPDATE devices SET posture = ?, posture_ok = ?, posture_ms = ?
            WHERE id = ? AND org_id = ? AND (posture_ms IS NULL OR posture_ms <= ?)`,
      args: [posture, boolInt(ok), entry.timeMs, input.deviceId, input.orgId, entry.timeMs],
    },
  ];
}

export function libsqlStore(client: Client, options: { embedded?: boolean } = {}): EdgeStore {
  const one = async (stmt: InStatement): Promise<Row | undefined> => (await client.execute(stmt)).rows[0];
  const all = async (stmt: InStatement): Promise<Row[]> => (await client.execute(stmt)).rows;
  const changed = async (stmt: InStatement): Promise<boolean> =>
    (await client.execute(stmt)).rowsAffected > 0;

  /**
   * The latest stored posture snapshot of each session whose `posture.change` entries in this batch
   * come before any snapshot of it in the batch: changes apply to the session's own snapshot.
   */
  const previousPosture = async (input: StoreEntriesInput): Promise<Map<string, JsonValue>> => {
    const needed = new Set<string>();
    const covered = new Set<string>();
    for (const entry of input.entries) {
      const kind = entry.projection.kind;
      if (kind === 'session.start' && entry.projection.posture) covered.add(entry.sessionId);
      if (kind === 'posture.change' && !covered.has(entry.sessionId)) needed.add(entry.sessionId);
    }
    const out = new Map<string, JsonValue>();
    for (const sessionId of needed) {
      const row = await one({
        sql: `SELECT posture FROM posture_history WHERE device_id = ? AND session_id = ? AND org_id = ?
              ORDER BY seq DESC LIMIT 1`,
        args: [input.deviceId, sessionId, input.orgId],
      });
      if (row) out.set(sessionId, JSON.parse(str(row, 'posture')) as JsonValue);
    }
    return out;
  };

  /**
   * Stores the batches of several devices in one transaction, all or none: one commit and a
   * handful of multi-row statements for the whole group instead of per batch.
   */
  const storeEntryGroup = async (group: readonly StoreEntriesInput[]): Promise<void> => {
    const inputs = group.filter((input) => input.entries.length > 0);
    if (inputs.length === 0) return;
    // Plain INSERT on purpose: if a concurrent request stored the same (device, seq), the whole
    // transaction fails and rolls back, so projections are never counted twice.
    const stmts = multiRow(
      'INSERT INTO entries (device_id, seq, org_id, hash, session_id, type, time_ms, received_ms, bytes)',
      inputs.flatMap((input) =>
        input.entries.map((entry) => [
          input.deviceId,
          entry.seq,
          input.orgId,
          entry.hash,
          entry.sessionId,
          entry.type,
          entry.timeMs,
          input.receivedMs,
          entry.bytes,
        ]),
      ),
      '',
      100,
    );
    const batches = [];
    for (const input of inputs) batches.push({ input, previousPosture: await previousPosture(input) });
    stmts.push(...projectionStatements(batches));
    const heads = inputs.map((input) => {
      const last = input.entries.at(-1) as ProjectedEntry;
      return [input.deviceId, input.orgId, last.seq, last.hash];
    });
    stmts.push({
      sql: `WITH heads (id, org_id, seq, hash) AS (VALUES ${heads.map(() => '(?, ?, ?, ?)').join(', ')})
            UPDATE devices SET head_seq = heads.seq, head_hash = heads.hash FROM heads
            WHERE devices.id = heads.id AND devices.org_id = heads.org_id`,
      args: heads.flat(),
    });
    for (const log of mergeLogAppends(inputs)) stmts.push(...logAppendStatements(log.orgId, log.append));
    const who =
      inputs.length === 1
        ? `device "${inputs[0]?.deviceId}"`
        : `devices ${inputs.map((input) => `"${input.deviceId}"`).join(', ')}`;
    try {
      await client.batch(stmts, 'write');
    } catch (error) {
      if (isLogConflict(error))
        throw new EdgeError(
          'INGEST_CONFLICT',
          `Cannot store entries of ${who}: another writer appended to the log first; retry`,
          { conflict: 'log' },
        );
      if (isConstraint(error))
        throw new EdgeError(
          'INGEST_CONFLICT',
          `Cannot store entries of ${who}: another request stored some of them; retry`,
        );
      throw error;
    }
  };

  return {
    ...libsqlLedgerMethods(client),
    ...libsqlCodeGuessMethods(client),
    ...libsqlSiemMethods(client),
    ...libsqlIntegrityMethods(client),
    async migrate() {
      if (options.embedded) for (const pragma of EMBEDDED_PRAGMAS) await client.execute(pragma);
      await client.execute(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)`,
      );
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        const done = await one({
          sql: 'SELECT 1 FROM schema_migrations WHERE version = ?',
          args: [migration.version],
        });
        if (done) continue;
        try {
          await client.batch(
            [
              ...migration.statements,
              {
                sql: 'INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)',
                args: [migration.version, migration.name, Date.now()],
              },
            ],
            'write',
          );
          applied.push(migration.version);
        } catch (error) {
          // Another instance applied it between our check and our batch: that is the same outcome.
          // Its ALTER TABLEs make ours fail with "duplicate column", not a constraint error, so
          // the migration's row decides.
          if (isConstraint(error)) continue;
          const now = await one({
            sql: 'SELECT 1 FROM schema_migrations WHERE version = ?',
            args: [migration.version],
          });
          if (!now) throw error;
        }
      }
      return { applied };
    },

    async ping() {
      await client.execute('SELECT 1');
    },

    close() {
      client.close();
    },

    async setting(key, create) {
      await client.execute({
        sql: 'INSERT INTO edge_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
        args: [key, create()],
      });
      const row = await one({ sql: 'SELECT value FROM edge_settings WHERE key = ?', args: [key] });
      return row ? str(row, 'value') : '';
    },

    async createOrg(org) {
      try {
        await client.execute({
          sql: `INSERT INTO orgs (id, slug, name, allowed_domains, require_approval, signing_private_key,
                  signing_public_key, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [
            org.id,
            org.slug,
            org.name,
            JSON.stringify(org.allowedDomains),
            org.requireApproval ? 1 : 0,
            org.signingPrivateKey,
            org.signingPublicKey,
            org.createdMs,
          ],
        });
      } catch (error) {
        if (isConstraint(error))
          throw new EdgeError('CONFLICT', `Cannot create organization "${org.slug}": it exists`);
        throw error;
      }
    },
    async getOrgById(id) {
      const row = await one({ sql: `SELECT ${ORG_COLUMNS} FROM orgs WHERE id = ?`, args: [id] });
      return row ? toOrg(row) : undefined;
    },
    async getOrgBySlug(slug) {
      const row = await one({ sql: `SELECT ${ORG_COLUMNS} FROM orgs WHERE slug = ?`, args: [slug] });
      return row ? toOrg(row) : undefined;
    },
    async listOrgs() {
      return (await all(`SELECT ${ORG_COLUMNS} FROM orgs ORDER BY created_ms, id`)).map(toOrg);
    },
    async orgSigningKey(orgId) {
      const row = await one({ sql: 'SELECT signing_private_key FROM orgs WHERE id = ?', args: [orgId] });
      if (!row) throw new EdgeError('UNKNOWN_ORG', `Cannot find organization "${orgId}"`);
      return str(row, 'signing_private_key');
    },
    async updateOrgSettings(orgId, settings) {
      const stmts: InStatement[] = [];
      if (settings.allowedDomains !== undefined)
        stmts.push({
          sql: 'UPDATE orgs SET allowed_domains = ? WHERE id = ?',
          args: [JSON.stringify(settings.allowedDomains), orgId],
        });
      if (settings.requireApproval !== undefined)
        stmts.push({
          sql: 'UPDATE orgs SET require_approval = ? WHERE id = ?',
          args: [settings.requireApproval ? 1 : 0, orgId],
        });
      if (stmts.length > 0) await client.batch(stmts, 'write');
    },

    async getUser(orgId, id) {
      const row = await one({ sql: 'SELECT * FROM users WHERE org_id = ? AND id = ?', args: [orgId, id] });
      return row ? toUser(row) : undefined;
    },
    async getUserByEmail(orgId, email) {
      const row = await one({
        sql: 'SELECT * FROM users WHERE org_id = ? AND email = ?',
        args: [orgId, email],
      });
      return row ? toUser(row) : undefined;
    },
    async ensureUser(orgId, email, status, nowMs) {
      await client.execute({
        sql: `INSERT INTO users (id, org_id, email, status, created_ms) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (org_id, email) DO NOTHING`,
        args: [`usr_${crypto.randomUUID().replaceAll('-', '')}`, orgId, email, status, nowMs],
      });
      const row = await one({
        sql: 'SELECT * FROM users WHERE org_id = ? AND email = ?',
        args: [orgId, email],
      });
      if (!row) throw new EdgeError('INTERNAL', `Cannot create user "${email}"`);
      return toUser(row);
    },
    async activateUser(orgId, id, nowMs) {
      await client.execute({
        sql: `UPDATE users SET status = 'active', verified_ms = coalesce(verified_ms, ?)
              WHERE org_id = ? AND id = ? AND status <> 'revoked'`,
        args: [nowMs, orgId, id],
      });
    },
    async revokeUser(orgId, id, nowMs) {
      return changed({
        sql: `UPDATE users SET status = 'revoked', revoked_ms = ? WHERE org_id = ? AND id = ?`,
        args: [nowMs, orgId, id],
      });
    },
    async listUsers(orgId, after, limit) {
      const rows = await all({
        sql: `SELECT u.*, (SELECT count(*) FROM devices d WHERE d.org_id = u.org_id AND d.user_id = u.id
                AND d.status = 'active') AS devices
              FROM users u WHERE u.org_id = ? ${after ? 'AND u.email > ?' : ''} ORDER BY u.email LIMIT ?`,
        args: after ? [orgId, String(after[0]), limit + 1] : [orgId, limit + 1],
      });
      return page(
        rows,
        limit,
        (row) => ({ ...toUser(row), devices: num(row, 'devices') }),
        (row) => [str(row, 'email')],
      );
    },

    async createAdmin(admin) {
      try {
        await client.execute({
          sql: 'INSERT INTO admins (id, org_id, email, role, created_ms) VALUES (?, ?, ?, ?, ?)',
          args: [admin.id, admin.orgId, admin.email, admin.role, admin.createdMs],
        });
        return true;
      } catch (error) {
        if (isConstraint(error)) return false;
        throw error;
      }
    },
    async getAdminByEmail(orgId, email) {
      const row = await one({
        sql: 'SELECT * FROM admins WHERE org_id = ? AND email = ?',
        args: [orgId, email],
      });
      return row ? toAdmin(row) : undefined;
    },
    async listAdminMemberships(email) {
      return (await all({ sql: 'SELECT * FROM admins WHERE email = ? ORDER BY org_id', args: [email] })).map(
        toAdmin,
      );
    },
    async listAdmins(orgId) {
      return (await all({ sql: 'SELECT * FROM admins WHERE org_id = ? ORDER BY email', args: [orgId] })).map(
        toAdmin,
      );
    },
    async createAdminSession(tokenHash, session, nowMs) {
      await client.batch(
        [
          { sql: 'DELETE FROM admin_sessions WHERE expires_ms < ?', args: [nowMs] },
          {
            sql: `INSERT INTO admin_sessions (token_hash, org_id, admin_id, csrf_token, created_ms, expires_ms)
                  VALUES (?, ?, ?, ?, ?, ?)`,
            args: [tokenHash, session.orgId, session.adminId, session.csrfToken, nowMs, session.expiresMs],
          },
        ],
        'write',
      );
    },
    async getAdminSession(tokenHash, nowMs) {
      const row = await one({
        sql: `SELECT s.org_id, s.admin_id, s.csrf_token, s.expires_ms, a.email, a.role
              FROM admin_sessions s JOIN admins a ON a.id = s.admin_id AND a.org_id = s.org_id
              WHERE s.token_hash = ? AND s.expires_ms > ?`,
        args: [tokenHash, nowMs],
      });
      if (!row) return undefined;
      return {
        orgId: str(row, 'org_id'),
        adminId: str(row, 'admin_id'),
        email: str(row, 'email'),
        role: str(row, 'role') as AdminRole,
        csrfToken: str(row, 'csrf_token'),
        expiresMs: num(row, 'expires_ms'),
      };
    },
    async deleteAdminSession(tokenHash) {
      await client.execute({ sql: 'DELETE FROM admin_sessions WHERE token_hash = ?', args: [tokenHash] });
    },

    async createEmailCode(code) {
      await client.batch(
        [
          {
            sql: `UPDATE email_codes SET used_ms = ? WHERE purpose = ? AND subject = ? AND used_ms IS NULL`,
            args: [code.createdMs, code.purpose, code.subject],
          },
          {
            sql: `INSERT INTO email_codes (id, purpose, subject, email, code_hash, created_ms, expires_ms, attempts)
                  VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
            args: [
              code.id,
              code.purpose,
              code.subject,
              code.email,
              code.codeHash,
              code.createdMs,
              code.expiresMs,
            ],
          },
          // Expired codes are worthless; keep the table small.
          { sql: 'DELETE FROM email_codes WHERE expires_ms < ?', args: [code.createdMs - 86_400_000] },
        ],
        'write',
      );
    },
    async latestEmailCode(purpose, subject) {
      const row = await one({
        sql: `SELECT * FROM email_codes WHERE purpose = ? AND subject = ? ORDER BY created_ms DESC, rowid DESC LIMIT 1`,
        args: [purpose, subject],
      });
      return row ? toEmailCode(row) : undefined;
    },
    async recordCodeAttempt(id) {
      const row = await one({
        sql: 'UPDATE email_codes SET attempts = attempts + 1 WHERE id = ? RETURNING attempts',
        args: [id],
      });
      return row ? num(row, 'attempts') : 0;
    },
    async consumeEmailCode(id, nowMs) {
      return changed({
        sql: 'UPDATE email_codes SET used_ms = ? WHERE id = ? AND used_ms IS NULL',
        args: [nowMs, id],
      });
    },

    async hitRateLimit(key, windowMs, nowMs) {
      const windowStart = nowMs - (nowMs % windowMs);
      const row = await one({
        sql: `INSERT INTO rate_limits (key, window_start_ms, count) VALUES (?, ?, 1)
              ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN window_start_ms = excluded.window_start_ms THEN count + 1 ELSE 1 END,
                window_start_ms = excluded.window_start_ms
              RETURNING count`,
        args: [key, windowStart],
      });
      return row ? num(row, 'count') : 1;
    },

    async createEnrollment(e) {
      await client.batch(
        [
          { sql: 'DELETE FROM enrollments WHERE expires_ms < ?', args: [e.createdMs - 86_400_000] },
          {
            sql: `INSERT INTO enrollments (id, org_id, user_code, poll_token_hash, device_id, public_key,
                    key_protection, device_info, email, status, created_ms, expires_ms)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            args: [
              e.id,
              e.orgId,
              e.userCode,
              e.pollTokenHash,
              e.deviceId,
              e.publicKey,
              e.keyProtection,
              JSON.stringify(e.device),
              e.email,
              e.status,
              e.createdMs,
              e.expiresMs,
            ],
          },
        ],
        'write',
      );
    },
    async getEnrollment(id) {
      const row = await one({ sql: 'SELECT * FROM enrollments WHERE id = ?', args: [id] });
      return row ? toEnrollment(row) : undefined;
    },
    async getEnrollmentByUserCode(userCode) {
      const row = await one({ sql: 'SELECT * FROM enrollments WHERE user_code = ?', args: [userCode] });
      return row ? toEnrollment(row) : undefined;
    },
    async updateEnrollment(id, fields) {
      const columns: [string, InValue | undefined][] = [
        ['org_id', fields.orgId],
        ['email', fields.email],
        ['status', fields.status],
        ['completed_ms', fields.completedMs],
      ];
      const sets = columns.filter((column): column is [string, InValue] => column[1] !== undefined);
      if (sets.length === 0) return;
      await client.execute({
        sql: `UPDATE enrollments SET ${sets.map(([column]) => `${column} = ?`).join(', ')} WHERE id = ?`,
        args: [...sets.map(([, value]) => value), id],
      });
    },

    async getDeviceForAuth(id) {
      const row = await one({ sql: `${DEVICE_SELECT} WHERE d.id = ?`, args: [id] });
      return row ? toDevice(row) : undefined;
    },
    async getDevice(orgId, id) {
      const row = await one({ sql: `${DEVICE_SELECT} WHERE d.org_id = ? AND d.id = ?`, args: [orgId, id] });
      return row ? toDevice(row) : undefined;
    },
    async registerDevice(input) {
      const existing = await one({
        sql: 'SELECT org_id, status, public_key FROM devices WHERE id = ?',
        args: [input.id],
      });
      if (existing) {
        if (str(existing, 'public_key') !== input.publicKey)
          throw new EdgeError(
            'CONFLICT',
            `Cannot enroll device "${input.id}": that id is registered to another key`,
          );
        if (str(existing, 'org_id') !== input.orgId)
          throw new EdgeError(
            'KEY_IN_USE',
            `Cannot enroll device "${input.id}": its key is enrolled elsewhere`,
          );
        if (str(existing, 'status') === 'revoked')
          throw new EdgeError(
            'DEVICE_REVOKED',
            `Cannot enroll device "${input.id}": it was revoked; enroll with a new device key`,
          );
        await client.execute({
          sql: `UPDATE devices SET user_id = ?, key_protection = ?, hostname = ?, os = ?, arch = ?,
                  ceros_version = coalesce(?, ceros_version) WHERE id = ? AND org_id = ?`,
          args: [
            input.userId,
            input.keyProtection,
            input.info.hostname,
            input.info.os,
            input.info.arch,
            input.info.cerosVersion,
            input.id,
            input.orgId,
          ],
        });
        return;
      }
      try {
        await client.execute({
          sql: `INSERT INTO devices (id, org_id, user_id, public_key, key_protection, status, hostname, os, arch,
                  ceros_version, enrolled_ms, approved_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [
            input.id,
            input.orgId,
            input.userId,
            input.publicKey,
            input.keyProtection,
            input.status,
            input.info.hostname,
            input.info.os,
            input.info.arch,
            input.info.cerosVersion,
            input.nowMs,
            input.status === 'active' ? input.nowMs : null,
          ],
        });
      } catch (error) {
        if (isConstraint(error))
          throw new EdgeError(
            'KEY_IN_USE',
            `Cannot enroll device "${input.id}": its key is already enrolled`,
          );
        throw error;
      }
    },
    async setDeviceStatus(orgId, id, status, nowMs, reason) {
      const sql =
        status === 'revoked'
          ? `UPDATE devices SET status = 'revoked', revoked_ms = ?, revoked_reason = ? WHERE org_id = ? AND id = ?`
          : `UPDATE devices SET status = ?, approved_ms = coalesce(approved_ms, ?)
             WHERE org_id = ? AND id = ? AND status <> 'revoked'`;
      return changed({
        sql,
        args: status === 'revoked' ? [nowMs, reason, orgId, id] : [status, nowMs, orgId, id],
      });
    },
    async listDevices(orgId, filter, after, limit) {
      const where = conditions('d.org_id = ?', orgId);
      if (filter.userId !== undefined) where.add('d.user_id = ?', filter.userId);
      if (filter.status !== undefined) where.add('d.status = ?', filter.status);
      if (after) where.add('(d.enrolled_ms, d.id) < (?, ?)', Number(after[0]), String(after[1]));
      const rows = await all({
        sql: `${DEVICE_SELECT} WHERE ${where.sql} ORDER BY d.enrolled_ms DESC, d.id DESC LIMIT ?`,
        args: [...where.args, limit + 1],
      });
      return page(rows, limit, toDevice, (row) => [num(row, 'enrolled_ms'), str(row, 'id')]);
    },
    async useNonce(deviceId, nonce, expiresMs, nowMs) {
      const stmts: InStatement[] = [
        {
          sql: 'INSERT INTO request_nonces (device_id, nonce, expires_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          args: [deviceId, nonce, expiresMs],
        },
        { sql: 'UPDATE devices SET last_seen_ms = ? WHERE id = ?', args: [nowMs, deviceId] },
      ];
      // Sweep expired nonces now and then rather than on every request.
      if (Math.random() < 0.02)
        stmts.push({ sql: 'DELETE FROM request_nonces WHERE expires_ms < ?', args: [nowMs] });
      const [insert] = await client.batch(stmts, 'write');
      return (insert?.rowsAffected ?? 0) > 0;
    },

    async ingestState(deviceId, fromSeq, toSeq, sessionIds) {
      const stmts: InStatement[] = [
        { sql: 'SELECT head_seq, head_hash FROM devices WHERE id = ?', args: [deviceId] },
        {
          sql: 'SELECT seq, hash FROM entries WHERE device_id = ? AND seq BETWEEN ? AND ?',
          args: [deviceId, fromSeq, toSeq],
        },
      ];
      if (sessionIds.length > 0)
        stmts.push({
          sql: `SELECT certificate FROM sessions WHERE device_id = ? AND certificate IS NOT NULL
                AND session_id IN (${sessionIds.map(() => '?').join(', ')})`,
          args: [deviceId, ...sessionIds],
        });
      const [headRs, storedRs, certRs] = await client.batch(stmts, 'read');
      const headRow = headRs?.rows[0];
      const headSeq = headRow ? numOrNull(headRow, 'head_seq') : null;
      const state: IngestState = {
        head: headRow && headSeq !== null ? { seq: headSeq, hash: str(headRow, 'head_hash') } : null,
        stored: new Map((storedRs?.rows ?? []).map((row) => [num(row, 'seq'), str(row, 'hash')])),
        certificates: (certRs?.rows ?? []).map((row) => str(row, 'certificate')),
      };
      return state;
    },
    storeEntries: (input) => storeEntryGroup([input]),
    storeEntryGroup,

    async apiTurns(orgId, deviceId, sessionId, requestNos) {
      if (requestNos.length === 0) return [];
      const rows = await all({
        sql: `SELECT * FROM api_turns WHERE org_id = ? AND device_id = ? AND session_id = ?
              AND request_no IN (${requestNos.map(() => '?').join(', ')})`,
        args: [orgId, deviceId, sessionId, ...requestNos],
      });
      return rows.map(
        (row): ApiTurnRow => ({
          requestNo: num(row, 'request_no'),
          requestSeq: numOrNull(row, 'request_seq'),
          responseSeq: numOrNull(row, 'response_seq'),
          systemHash: strOrNull(row, 'system_hash'),
          subagent: boolOrNull(row, 'subagent'),
          model: strOrNull(row, 'model'),
          stopReason: strOrNull(row, 'stop_reason'),
          status: numOrNull(row, 'status'),
          inputTokens: numOrNull(row, 'input_tokens'),
          outputTokens: numOrNull(row, 'output_tokens'),
        }),
      );
    },
    async listConversations(orgId, filter, after, limit) {
      const where = conditions('s.org_id = ?', orgId);
      if (filter.userId !== undefined) where.add('s.user_id = ?', filter.userId);
      if (filter.deviceId !== undefined) where.add('s.device_id = ?', filter.deviceId);
      if (filter.fromMs !== undefined) where.add('s.started_ms >= ?', filter.fromMs);
      if (filter.toMs !== undefined) where.add('s.started_ms < ?', filter.toMs);
      if (after) where.add('(s.started_ms, s.id) < (?, ?)', Number(after[0]), Number(after[1]));
      const rows = await all({
        sql: `${CONVERSATION_SELECT} WHERE ${where.sql} ORDER BY s.started_ms DESC, s.id DESC LIMIT ?`,
        args: [...where.args, limit + 1],
      });
      return page(rows, limit, toConversation, (row) => [num(row, 'started_ms'), num(row, 'id')]);
    },
    async getConversation(orgId, deviceId, sessionId) {
      const row = await one({
        sql: `${CONVERSATION_SELECT} WHERE s.org_id = ? AND s.device_id = ? AND s.session_id = ?`,
        args: [orgId, deviceId, sessionId],
      });
      return row ? toConversation(row) : undefined;
    },
    async listSessionEntries(orgId, deviceId, sessionId, types, afterSeq, limit) {
      const rows = await all({
        sql: `SELECT seq, type, time_ms, bytes FROM entries
              WHERE device_id = ? AND session_id = ? AND org_id = ? AND seq > ?
                AND type IN (${types.map(() => '?').join(', ')})
              ORDER BY seq LIMIT ?`,
        args: [deviceId, sessionId, orgId, afterSeq, ...types, limit],
      });
      return rows.map((row) => ({
        seq: num(row, 'seq'),
        type: str(row, 'type'),
        timeMs: num(row, 'time_ms'),
        bytes: str(row, 'bytes'),
      }));
    },
    async toolCallsById(orgId, deviceId, sessionId, toolUseIds) {
      if (toolUseIds.length === 0) return [];
      const rows = await all({
        sql: `${TOOL_CALL_SELECT} WHERE t.org_id = ? AND t.device_id = ? AND t.session_id = ?
              AND t.tool_use_id IN (${toolUseIds.map(() => '?').join(', ')})`,
        args: [orgId, deviceId, sessionId, ...toolUseIds],
      });
      return rows.map(toToolCall);
    },
    async listToolCalls(orgId, filter, after, limit) {
      const text = filter.text;
      // A text search is driven by the FTS index in rowid order, newest recorded first, so a common
      // term stops after `limit` hits instead of collecting every match and sorting it by time.
      const where =
        text === undefined
          ? conditions('t.org_id = ?', orgId)
          : conditions('tool_calls_fts MATCH ?', ftsPhrase(text));
      if (text !== undefined) where.add('t.org_id = ?', orgId);
      if (filter.toolName !== undefined) where.add('t.tool_name = ?', filter.toolName);
      if (filter.effect !== undefined) where.add('t.effect = ?', filter.effect);
      if (filter.userId !== undefined) where.add('t.user_id = ?', filter.userId);
      if (filter.deviceId !== undefined) where.add('t.device_id = ?', filter.deviceId);
      if (filter.sessionId !== undefined) where.add('t.session_id = ?', filter.sessionId);
      if (filter.fromMs !== undefined) where.add('t.time_ms >= ?', filter.fromMs);
      if (filter.toMs !== undefined) where.add('t.time_ms < ?', filter.toMs);
      if (text !== undefined) {
        if (after) where.add('f.rowid < ?', Number(after.at(-1)));
        const rows = await all({
          sql: `SELECT t.*, u.email AS user_email FROM tool_calls_fts f
                JOIN tool_calls t ON t.id = f.rowid LEFT JOIN users u ON u.id = t.user_id
                WHERE ${where.sql} ORDER BY f.rowid DESC LIMIT ?`,
          args: [...where.args, limit + 1],
        });
        return page(rows, limit, toToolCall, (row) => [num(row, 'id')]);
      }
      if (after) where.add('(t.time_ms, t.id) < (?, ?)', Number(after[0]), Number(after[1]));
      const rows = await all({
        sql: `${TOOL_CALL_SELECT} WHERE ${where.sql} ORDER BY t.time_ms DESC, t.id DESC LIMIT ?`,
        args: [...where.args, limit + 1],
      });
      return page(rows, limit, toToolCall, (row) => [num(row, 'time_ms'), num(row, 'id')]);
    },
    async listToolDefinitions(orgId, filter, after, limit) {
      const where = conditions('d.org_id = ?', orgId);
      if (filter.name !== undefined) where.add('d.name = ?', filter.name);
      if (filter.mcpServer !== undefined) where.add('d.mcp_server = ?', filter.mcpServer);
      if (after) where.add('(d.name, d.hash) > (?, ?)', String(after[0]), String(after[1]));
      const rows = await all({
        sql: `SELECT d.*,
                (SELECT count(*) FROM tool_definition_devices x WHERE x.org_id = d.org_id AND x.hash = d.hash)
                  AS device_count,
                (SELECT count(*) FROM tool_definitions y WHERE y.org_id = d.org_id AND y.name = d.name)
                  AS versions,
                (SELECT count(DISTINCT coalesce(y.input_schema, '')) FROM tool_definitions y
                  WHERE y.org_id = d.org_id AND y.name = d.name) AS schema_versions
              FROM tool_definitions d WHERE ${where.sql} ORDER BY d.name, d.hash LIMIT ?`,
        args: [...where.args, limit + 1],
      });
      return page(
        rows,
        limit,
        (row): ToolDefinitionRow => ({
          name: str(row, 'name'),
          hash: str(row, 'hash'),
          mcpServer: strOrNull(row, 'mcp_server'),
          description: strOrNull(row, 'description'),
          inputSchema: strOrNull(row, 'input_schema'),
          firstSeenMs: num(row, 'first_seen_ms'),
          lastSeenMs: num(row, 'last_seen_ms'),
          deviceCount: num(row, 'device_count'),
          versions: num(row, 'versions'),
          schemaVersions: num(row, 'schema_versions'),
        }),
        (row) => [str(row, 'name'), str(row, 'hash')],
      );
    },
    async toolDefinitionDevices(orgId, hash) {
      const rows = await all({
        sql: `SELECT device_id, first_seen_ms, last_seen_ms FROM tool_definition_devices
              WHERE org_id = ? AND hash = ? ORDER BY device_id LIMIT 1000`,
        args: [orgId, hash],
      });
      return rows.map(toSeen);
    },
    async listMcpServers(orgId, after, limit) {
      const rows = await all({
        sql: `SELECT m.*,
                (SELECT count(*) FROM mcp_server_devices x
                  WHERE x.org_id = m.org_id AND x.name = m.name AND x.identity = m.identity) AS device_count,
                EXISTS (SELECT 1 FROM managed_mcp_servers g WHERE g.org_id = m.org_id AND g.name = m.name) AS managed
              FROM mcp_servers_seen m WHERE m.org_id = ? ${after ? 'AND (m.name, m.identity) > (?, ?)' : ''}
              ORDER BY m.name, m.identity LIMIT ?`,
        args: after ? [orgId, String(after[0]), String(after[1]), limit + 1] : [orgId, limit + 1],
      });
      return page(
        rows,
        limit,
        (row): McpServerRow => ({
          name: str(row, 'name'),
          identity: str(row, 'identity'),
          status: str(row, 'status'),
          firstSeenMs: num(row, 'first_seen_ms'),
          lastSeenMs: num(row, 'last_seen_ms'),
          blockedAttempts: num(row, 'blocked_attempts'),
          deviceCount: num(row, 'device_count'),
          managed: num(row, 'managed') === 1,
        }),
        (row) => [str(row, 'name'), str(row, 'identity')],
      );
    },
    async mcpServerDevices(orgId, name, identity) {
      const rows = await all({
        sql: `SELECT device_id, first_seen_ms, last_seen_ms FROM mcp_server_devices
              WHERE org_id = ? AND name = ? AND identity = ? ORDER BY device_id LIMIT 1000`,
        args: [orgId, name, identity],
      });
      return rows.map(toSeen);
    },
    async listPosture(orgId, deviceId, after, limit) {
      const rows = await all({
        sql: `SELECT * FROM posture_history WHERE org_id = ? AND device_id = ?
              ${after ? 'AND (time_ms, id) < (?, ?)' : ''} ORDER BY time_ms DESC, id DESC LIMIT ?`,
        args: after
          ? [orgId, deviceId, Number(after[0]), Number(after[1]), limit + 1]
          : [orgId, deviceId, limit + 1],
      });
      return page(
        rows,
        limit,
        (row): PostureRow => ({
          deviceId: str(row, 'device_id'),
          sessionId: str(row, 'session_id'),
          seq: num(row, 'seq'),
          timeMs: num(row, 'time_ms'),
          ok: boolOrNull(row, 'ok'),
          posture: str(row, 'posture'),
          kind: str(row, 'kind') === 'change' ? 'change' : 'snapshot',
          changes: strOrNull(row, 'changes'),
        }),
        (row) => [num(row, 'time_ms'), num(row, 'id')],
      );
    },
    async exportEntries(orgId, deviceId, afterSeq, limit) {
      const rows = await all({
        sql: `SELECT seq, type, time_ms, bytes FROM entries WHERE device_id = ? AND org_id = ? AND seq > ?
              ORDER BY seq LIMIT ?`,
        args: [deviceId, orgId, afterSeq, limit],
      });
      return rows.map(
        (row): EntryRow => ({
          seq: num(row, 'seq'),
          type: str(row, 'type'),
          timeMs: num(row, 'time_ms'),
          bytes: str(row, 'bytes'),
        }),
      );
    },
    async dashboard(orgId, fromMs, toMs, activeSinceMs) {
      const q = (sql: string, args: InValue[]): InStatement => ({ sql, args });
      const results = await client.batch(
        [
          q(`SELECT count(*) AS n FROM users WHERE org_id = ? AND status <> 'revoked'`, [orgId]),
          q(`SELECT count(DISTINCT user_id) AS n FROM devices WHERE org_id = ? AND status = 'active'`, [
            orgId,
          ]),
          q(
            `SELECT
               coalesce(sum(status = 'active'), 0) AS active,
               coalesce(sum(status = 'pending'), 0) AS pending,
               coalesce(sum(status = 'revoked'), 0) AS revoked,
               coalesce(sum(status = 'active' AND posture_ok = 0), 0) AS failing
             FROM devices WHERE org_id = ?`,
            [orgId],
          ),
          q(
            `SELECT count(*) AS n FROM sessions WHERE org_id = ? AND ended_ms IS NULL AND last_event_ms >= ?`,
            [orgId, activeSinceMs],
          ),
          q(`SELECT count(*) AS n FROM sessions WHERE org_id = ? AND started_ms >= ? AND started_ms < ?`, [
            orgId,
            fromMs,
            toMs,
          ]),
          q(
            // A call the model asked for but Claude Code never attempted (no hook fired) is not counted;
            // a deny in monitor mode was journaled as what would have happened, and the call ran.
            `SELECT coalesce(sum(decision_seq IS NOT NULL OR result_seq IS NOT NULL), 0) AS n,
               coalesce(sum(effect = 'deny' AND coalesce(mode, 'enforce') <> 'monitor'), 0) AS blocks
             FROM tool_calls WHERE org_id = ? AND time_ms >= ? AND time_ms < ?`,
            [orgId, fromMs, toMs],
          ),
          q(
            `SELECT count(*) AS n FROM posture_history WHERE org_id = ? AND ok = 0 AND time_ms >= ? AND time_ms < ?`,
            [orgId, fromMs, toMs],
          ),
          q(
            `SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM adoption_gaps
             WHERE org_id = ? AND reported_ms >= ? AND reported_ms < ?`,
            [orgId, fromMs, toMs],
          ),
        ],
        'read',
      );
      const first = (index: number): Row => results[index]?.rows[0] ?? ({} as Row);
      const counts: DashboardCounts = {
        provisionedUsers: num(first(0), 'n'),
        enrolledUsers: num(first(1), 'n'),
        enrolledDevices: num(first(2), 'active'),
        pendingDevices: num(first(2), 'pending'),
        revokedDevices: num(first(2), 'revoked'),
        devicesFailingPosture: num(first(2), 'failing'),
        activeInstances: num(first(3), 'n'),
        sessions: num(first(4), 'n'),
        toolCalls: num(first(5), 'n'),
        blocks: num(first(5), 'blocks'),
        postureFailures: num(first(6), 'n'),
        adoptionGaps: num(first(7), 'n'),
        usersWithAdoptionGaps: num(first(7), 'users'),
      };
      return counts;
    },

    async recordActivity(orgId, a) {
      await client.execute({
        sql: `INSERT INTO activity (org_id, time_ms, actor, action, target, details) VALUES (?, ?, ?, ?, ?, ?)`,
        args: [orgId, a.timeMs, a.actor, a.action, a.target, a.details],
      });
    },
    async listActivity(orgId, after, limit) {
      const rows = await all({
        sql: `SELECT * FROM activity WHERE org_id = ? ${after ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`,
        args: after ? [orgId, Number(after[0]), limit + 1] : [orgId, limit + 1],
      });
      return page(
        rows,
        limit,
        (row): ActivityRow => ({
          id: num(row, 'id'),
          timeMs: num(row, 'time_ms'),
          actor: str(row, 'actor'),
          action: str(row, 'action'),
          target: strOrNull(row, 'target'),
          details: strOrNull(row, 'details'),
        }),
        (row) => [num(row, 'id')],
      );
    },

    async recordAdoptionGap(input) {
      return changed({
        sql: `INSERT INTO adoption_gaps (org_id, device_id, user_id, claude_session_id, cwd, reported_ms, details)
              VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, claude_session_id) DO NOTHING`,
        args: [
          input.orgId,
          input.deviceId,
          input.userId,
          input.claudeSessionId,
          input.cwd,
          input.nowMs,
          input.details,
        ],
      });
    },
    async listAdoptionGaps(orgId, after, limit) {
      const rows = await all({
        sql: `SELECT g.*, u.email AS user_email FROM adoption_gaps g LEFT JOIN users u ON u.id = g.user_id
              WHERE g.org_id = ? ${after ? 'AND (g.reported_ms, g.id) < (?, ?)' : ''}
              ORDER BY g.reported_ms DESC, g.id DESC LIMIT ?`,
        args: after ? [orgId, Number(after[0]), Number(after[1]), limit + 1] : [orgId, limit + 1],
      });
      return page(
        rows,
        limit,
        (row): AdoptionGapRow => ({
          id: num(row, 'id'),
          deviceId: str(row, 'device_id'),
          userId: strOrNull(row, 'user_id'),
          userEmail: strOrNull(row, 'user_email'),
          claudeSessionId: str(row, 'claude_session_id'),
          cwd: strOrNull(row, 'cwd'),
          reportedMs: num(row, 'reported_ms'),
          details: strOrNull(row, 'details'),
        }),
        (row) => [num(row, 'reported_ms'), num(row, 'id')],
      );
    },

    async createPolicy(input) {
      try {
        await client.execute({
          sql: 'INSERT INTO policies (id, org_id, name, created_ms) VALUES (?, ?, ?, ?)',
          args: [input.id, input.orgId, input.name, input.nowMs],
        });
        return true;
      } catch (error) {
        if (isConstraint(error)) return false;
        throw error;
      }
    },
    async getPolicy(orgId, id) {
      const row = await one({
        sql: `SELECT p.*, (SELECT coalesce(max(version), 0) FROM policy_versions v WHERE v.policy_id = p.id)
                AS latest_version FROM policies p WHERE p.org_id = ? AND p.id = ?`,
        args: [orgId, id],
      });
      return row ? toPolicy(row) : undefined;
    },
    async listPolicies(orgId) {
      const rows = await all({
        sql: `SELECT p.*, (SELECT coalesce(max(version), 0) FROM policy_versions v WHERE v.policy_id = p.id)
                AS latest_version FROM policies p WHERE p.org_id = ? ORDER BY p.name`,
        args: [orgId],
      });
      return rows.map(toPolicy);
    },
    async addPolicyVersion(orgId, policyId, input) {
      for (let attempt = 0; ; attempt++) {
        try {
          const row = await one({
            sql: `INSERT INTO policy_versions (policy_id, version, org_id, source, hash, created_by, created_ms)
                  SELECT p.id, (SELECT coalesce(max(version), 0) + 1 FROM policy_versions WHERE policy_id = p.id),
                    p.org_id, ?, ?, ?, ? FROM policies p WHERE p.id = ? AND p.org_id = ?
                  RETURNING version`,
            args: [input.source, input.hash, input.createdBy, input.nowMs, policyId, orgId],
          });
          if (!row) throw new EdgeError('NOT_FOUND', `Cannot find policy "${policyId}"`);
          return num(row, 'version');
        } catch (error) {
          if (!isConstraint(error) || attempt >= 3) throw error;
        }
      }
    },
    async listPolicyVersions(orgId, policyId) {
      const rows = await all({
        sql: 'SELECT * FROM policy_versions WHERE org_id = ? AND policy_id = ? ORDER BY version DESC',
        args: [orgId, policyId],
      });
      return rows.map(toPolicyVersion);
    },
    async getPolicyVersion(orgId, policyId, version) {
      const row = await one({
        sql: 'SELECT * FROM policy_versions WHERE org_id = ? AND policy_id = ? AND version = ?',
        args: [orgId, policyId, version],
      });
      return row ? toPolicyVersion(row) : undefined;
    },
    async nextBundleVersion(orgId) {
      const row = await one({
        sql: 'SELECT coalesce(max(version), 0) + 1 AS next FROM policy_bundles WHERE org_id = ?',
        args: [orgId],
      });
      return row ? num(row, 'next') : 1;
    },
    async publishBundle(orgId, published, bundle) {
      try {
        await client.batch(
          [
            {
              sql: `INSERT INTO policy_bundles (org_id, version, etag, document, created_ms) VALUES (?, ?, ?, ?, ?)`,
              args: [orgId, bundle.version, bundle.etag, bundle.document, bundle.createdMs],
            },
            {
              sql: `UPDATE policies SET published_version = CASE WHEN id = ? THEN ? ELSE NULL END
                    WHERE org_id = ?`,
              args: [published.policyId, published.version, orgId],
            },
          ],
          'write',
        );
        return true;
      } catch (error) {
        if (isConstraint(error)) return false;
        throw error;
      }
    },
    async latestBundle(orgId) {
      const row = await one({
        sql: 'SELECT * FROM policy_bundles WHERE org_id = ? ORDER BY version DESC LIMIT 1',
        args: [orgId],
      });
      if (!row) return undefined;
      return {
        version: num(row, 'version'),
        etag: str(row, 'etag'),
        document: str(row, 'document'),
        createdMs: num(row, 'created_ms'),
      };
    },

    async listManagedMcp(orgId) {
      const rows = await all({
        sql: 'SELECT * FROM managed_mcp_servers WHERE org_id = ? ORDER BY name',
        args: [orgId],
      });
      return rows.map(toManagedMcp);
    },
    async createManagedMcp(orgId, server) {
      try {
        await client.execute({
          sql: `INSERT INTO managed_mcp_servers (id, org_id, name, config, created_ms, updated_ms)
                VALUES (?, ?, ?, ?, ?, ?)`,
          args: [
            server.id,
            orgId,
            server.name,
            JSON.stringify(server.config),
            server.createdMs,
            server.updatedMs,
          ],
        });
        return true;
      } catch (error) {
        if (isConstraint(error)) return false;
        throw error;
      }
    },
    async updateManagedMcp(orgId, id, config, nowMs) {
      return changed({
        sql: 'UPDATE managed_mcp_servers SET config = ?, updated_ms = ? WHERE org_id = ? AND id = ?',
        args: [JSON.stringify(config), nowMs, orgId, id],
      });
    },
    async deleteManagedMcp(orgId, id) {
      return changed({
        sql: 'DELETE FROM managed_mcp_servers WHERE org_id = ? AND id = ?',
        args: [orgId, id],
      });
    },
  };
}

function toSeen(row: Row): SeenOnDevice {
  return {
    deviceId: str(row, 'device_id'),
    firstSeenMs: num(row, 'first_seen_ms'),
    lastSeenMs: num(row, 'last_seen_ms'),
  };
}
