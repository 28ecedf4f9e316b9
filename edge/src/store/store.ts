import type { ProjectedEntry } from '../ingest/project.ts';
import type { SiemStore } from '../siem/siem-store.ts';
import type { CodeGuessStore } from './code-guess-store.ts';
import type { IntegrityStore } from './integrity-store.ts';
import type { LedgerStore, LogAppend } from './ledger-store.ts';

/**
 * The edge's only port to persistent state. Every method that touches organization data takes the
 * organization id, and the adapter puts it in every WHERE clause: there is no method that reads
 * another organization's rows by accident. The real (and test) implementation is libSQL
 * (`createLibsqlStore`, `:memory:` in tests); the edge keeps nothing else between requests.
 */
export interface Org {
  id: string;
  slug: string;
  name: string;
  allowedDomains: string[];
  requireApproval: boolean;
  signingPublicKey: string;
  createdMs: number;
}

export type UserStatus = 'provisioned' | 'active' | 'revoked';
export interface User {
  orgId: string;
  id: string;
  email: string;
  status: UserStatus;
  createdMs: number;
  verifiedMs: number | null;
  revokedMs: number | null;
}

export type AdminRole = 'admin' | 'auditor';
export interface Admin {
  orgId: string;
  id: string;
  email: string;
  role: AdminRole;
  createdMs: number;
}

export interface AdminSession {
  orgId: string;
  adminId: string;
  email: string;
  role: AdminRole;
  csrfToken: string;
  expiresMs: number;
}

export type CodePurpose = 'enroll' | 'admin';
export interface EmailCode {
  id: string;
  purpose: CodePurpose;
  subject: string;
  email: string;
  codeHash: string;
  createdMs: number;
  expiresMs: number;
  attempts: number;
  usedMs: number | null;
}

export type EnrollmentStatus = 'pending' | 'code_sent' | 'awaiting_approval' | 'complete' | 'denied';
export interface DeviceInfo {
  hostname: string | null;
  os: string | null;
  arch: string | null;
  cerosVersion: string | null;
}
export interface Enrollment {
  id: string;
  orgId: string | null;
  userCode: string;
  pollTokenHash: string;
  deviceId: string;
  publicKey: string;
  keyProtection: string;
  device: DeviceInfo;
  email: string | null;
  status: EnrollmentStatus;
  createdMs: number;
  expiresMs: number;
  completedMs: number | null;
}

export type DeviceStatus = 'pending' | 'active' | 'revoked';
export interface Device {
  orgId: string;
  id: string;
  userId: string;
  userEmail: string;
  userStatus: UserStatus;
  publicKey: string;
  keyProtection: string;
  status: DeviceStatus;
  hostname: string | null;
  os: string | null;
  arch: string | null;
  cerosVersion: string | null;
  claudeVersion: string | null;
  enrolledMs: number;
  approvedMs: number | null;
  revokedMs: number | null;
  revokedReason: string | null;
  lastSeenMs: number | null;
  headSeq: number | null;
  headHash: string | null;
  posture: string | null;
  postureOk: boolean | null;
  postureMs: number | null;
}

export interface IngestState {
  head: { seq: number; hash: string } | null;
  /** Hashes of already stored entries in the requested seq range (for idempotent re-sends). */
  stored: Map<number, string>;
  /** Certificates (canonical JSON) of the requested sessions that are already stored. */
  certificates: string[];
}

export interface StoreEntriesInput {
  orgId: string;
  deviceId: string;
  userId: string;
  receivedMs: number;
  entries: readonly ProjectedEntry[];
  /** The entries' leaves in the organization's log, stored in the same transaction (ledger/). */
  log?: LogAppend;
}

/** A keyset cursor: the sort key of the last row of the previous page. */
export type Keyset = readonly (string | number)[];
export interface Page<T> {
  items: T[];
  next: Keyset | null;
}

export interface ConversationFilter {
  userId?: string;
  deviceId?: string;
  fromMs?: number;
  toMs?: number;
}
export interface ConversationRow {
  deviceId: string;
  sessionId: string;
  userId: string | null;
  userEmail: string | null;
  startedMs: number;
  endedMs: number | null;
  lastEventMs: number;
  exitCode: number | null;
  cwd: string | null;
  projectDir: string | null;
  claudeArgs: string | null;
  cerosVersion: string | null;
  claudeVersion: string | null;
  policyHash: string | null;
  keyProtection: string | null;
  firstPrompt: string | null;
  prompts: number;
  toolCalls: number;
  blocks: number;
  /** Claude Code's own session id (hooks and API requests carry it). */
  claudeSessionId: string | null;
  /** The model of the latest API response. */
  model: string | null;
  /** `{kind, file, hash, version, signed}` as JSON. */
  policy: string | null;
  postureOk: boolean | null;
  signal: string | null;
  durationMs: number | null;
  subagents: number;
  /** How a session ended other than by its own session.end: `abandoned: wrapper died`. */
  endState: string | null;
}

export interface EntryRow {
  seq: number;
  type: string;
  timeMs: number;
  bytes: string;
}

export interface ToolCallFilter {
  toolName?: string;
  effect?: string;
  userId?: string;
  deviceId?: string;
  sessionId?: string;
  /** Substring (at least 3 characters) of tool name, input, reason, output or error. */
  text?: string;
  fromMs?: number;
  toMs?: number;
}
export interface ToolCallRow {
  deviceId: string;
  sessionId: string;
  userId: string | null;
  userEmail: string | null;
  toolUseId: string;
  toolName: string;
  mcpServer: string | null;
  agentId: string | null;
  effect: string | null;
  rule: string | null;
  reason: string | null;
  mode: string | null;
  policyHash: string | null;
  input: string | null;
  timeMs: number;
  decisionSeq: number | null;
  resultSeq: number | null;
  durationMs: number | null;
  error: string | null;
  response: string | null;
  agentType: string | null;
  detail: string | null;
  monitor: string | null;
  /** Seq of the api.response whose tool_use asked for this call. */
  requestedSeq: number | null;
  /** The subagent an Agent call ran. */
  spawnedAgentId: string | null;
  /** The tool_result the model was sent for this call, and whether it was an error. */
  modelResult: string | null;
  modelResultError: boolean | null;
}

/** One Messages API round trip: its request and response entries and which thread made it. */
export interface ApiTurnRow {
  requestNo: number;
  requestSeq: number | null;
  responseSeq: number | null;
  systemHash: string | null;
  /** Whether the system prompt was a subagent's (null when the prompt was not recorded). */
  subagent: boolean | null;
  model: string | null;
  stopReason: string | null;
  status: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
}

export interface ToolDefinitionRow {
  name: string;
  hash: string;
  mcpServer: string | null;
  description: string | null;
  inputSchema: string | null;
  firstSeenMs: number;
  lastSeenMs: number;
  deviceCount: number;
  /** How many distinct definitions (description or schema) this tool name has had. */
  versions: number;
  /** How many distinct input schemas this tool name has had: more than 1 means its schema changed. */
  schemaVersions: number;
}
export interface SeenOnDevice {
  deviceId: string;
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface McpServerRow {
  name: string;
  identity: string;
  status: string;
  firstSeenMs: number;
  lastSeenMs: number;
  blockedAttempts: number;
  deviceCount: number;
  managed: boolean;
}

export interface PostureRow {
  deviceId: string;
  sessionId: string;
  seq: number;
  timeMs: number;
  ok: boolean | null;
  /** The snapshot (JSON): as captured at session start, or as it stands after a change. */
  posture: string;
  kind: 'snapshot' | 'change';
  /** For a change: the agent's `[{probe, from, to, summary}]` (JSON). */
  changes: string | null;
}

export interface ActivityRow {
  id: number;
  timeMs: number;
  actor: string;
  action: string;
  target: string | null;
  details: string | null;
}

export interface AdoptionGapRow {
  id: number;
  deviceId: string;
  userId: string | null;
  userEmail: string | null;
  claudeSessionId: string;
  cwd: string | null;
  reportedMs: number;
  details: string | null;
}

export interface DashboardCounts {
  provisionedUsers: number;
  enrolledUsers: number;
  enrolledDevices: number;
  pendingDevices: number;
  revokedDevices: number;
  activeInstances: number;
  sessions: number;
  toolCalls: number;
  blocks: number;
  postureFailures: number;
  devicesFailingPosture: number;
  adoptionGaps: number;
  usersWithAdoptionGaps: number;
}

export interface Policy {
  id: string;
  orgId: string;
  name: string;
  createdMs: number;
  latestVersion: number;
  publishedVersion: number | null;
}
export interface PolicyVersion {
  policyId: string;
  version: number;
  source: string;
  hash: string;
  createdBy: string;
  createdMs: number;
}
export interface PolicyBundleRow {
  version: number;
  etag: string;
  document: string;
  createdMs: number;
}

export type ManagedMcpTransport =
  | { transport: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { transport: 'http'; url: string; headers: Record<string, string> };
export interface ManagedMcpServer {
  id: string;
  name: string;
  config: ManagedMcpTransport;
  createdMs: number;
  updatedMs: number;
}

export interface EdgeStore extends LedgerStore, CodeGuessStore, SiemStore, IntegrityStore {
  migrate(): Promise<{ applied: number[] }>;
  /** A cheap round trip for health checks. */
  ping(): Promise<void>;
  close(): void;

  /** Returns the stored value, creating it with `create()` the first time (race-safe). */
  setting(key: string, create: () => string): Promise<string>;

  createOrg(org: Org & { signingPrivateKey: string }): Promise<void>;
  getOrgById(id: string): Promise<Org | undefined>;
  getOrgBySlug(slug: string): Promise<Org | undefined>;
  listOrgs(): Promise<Org[]>;
  /** The org's Ed25519 bundle-signing key (PKCS#8 DER, base64url). */
  orgSigningKey(orgId: string): Promise<string>;
  updateOrgSettings(
    orgId: string,
    settings: { allowedDomains?: string[]; requireApproval?: boolean },
  ): Promise<void>;

  getUser(orgId: string, id: string): Promise<User | undefined>;
  getUserByEmail(orgId: string, email: string): Promise<User | undefined>;
  /** Creates the user (status `provisioned` or `active`), or returns the existing one unchanged. */
  ensureUser(orgId: string, email: string, status: 'provisioned' | 'active', nowMs: number): Promise<User>;
  activateUser(orgId: string, id: string, nowMs: number): Promise<void>;
  revokeUser(orgId: string, id: string, nowMs: number): Promise<boolean>;
  listUsers(orgId: string, after: Keyset | null, limit: number): Promise<Page<User & { devices: number }>>;

  createAdmin(admin: Admin): Promise<boolean>;
  getAdminByEmail(orgId: string, email: string): Promise<Admin | undefined>;
  listAdminMemberships(email: string): Promise<Admin[]>;
  listAdmins(orgId: string): Promise<Admin[]>;
  createAdminSession(tokenHash: string, session: AdminSession, nowMs: number): Promise<void>;
  getAdminSession(tokenHash: string, nowMs: number): Promise<AdminSession | undefined>;
  deleteAdminSession(tokenHash: string): Promise<void>;

  /** Stores a new code for `subject` and retires the previous unused ones. */
  createEmailCode(code: EmailCode): Promise<void>;
  latestEmailCode(purpose: CodePurpose, subject: string): Promise<EmailCode | undefined>;
  /** Counts a wrong guess; returns the attempts so far. */
  recordCodeAttempt(id: string): Promise<number>;
  /** Marks the code used; false when it was already used (single use under concurrency). */
  consumeEmailCode(id: string, nowMs: number): Promise<boolean>;

  /** Fixed-window counter; returns the count in the current window including this hit. */
  hitRateLimit(key: string, windowMs: number, nowMs: number): Promise<number>;

  createEnrollment(enrollment: Enrollment): Promise<void>;
  getEnrollment(id: string): Promise<Enrollment | undefined>;
  getEnrollmentByUserCode(userCode: string): Promise<Enrollment | undefined>;
  updateEnrollment(
    id: string,
    fields: Partial<Pick<Enrollment, 'orgId' | 'email' | 'status' | 'completedMs'>>,
  ): Promise<void>;

  /** Device lookup by id across organizations: only for authenticating a signed request. */
  getDeviceForAuth(id: string): Promise<Device | undefined>;
  getDevice(orgId: string, id: string): Promise<Device | undefined>;
  /** Registers a device, or re-binds an existing non-revoked one in the same org to its user. */
  registerDevice(input: {
    orgId: string;
    id: string;
    userId: string;
    publicKey: string;
    keyProtection: string;
    status: 'pending' | 'active';
    info: DeviceInfo;
    nowMs: number;
  }): Promise<void>;
  setDeviceStatus(
    orgId: string,
    id: string,
    status: DeviceStatus,
    nowMs: number,
    reason: string | null,
  ): Promise<boolean>;
  listDevices(
    orgId: string,
    filter: { userId?: string; status?: DeviceStatus },
    after: Keyset | null,
    limit: number,
  ): Promise<Page<Device>>;
  /** Records a request nonce and the device's last-seen time; false when the nonce was used. */
  useNonce(deviceId: string, nonce: string, expiresMs: number, nowMs: number): Promise<boolean>;

  ingestState(
    deviceId: string,
    fromSeq: number,
    toSeq: number,
    sessionIds: readonly string[],
  ): Promise<IngestState>;
  /** Stores new entries and their projections atomically; throws INGEST_CONFLICT on a concurrent write. */
  storeEntries(input: StoreEntriesInput): Promise<void>;
  /**
   * `storeEntries` for the batches of several devices in one transaction: all are stored or none
   * (INGEST_CONFLICT when any of them conflicts). Group commit for concurrent requests.
   */
  storeEntryGroup(inputs: readonly StoreEntriesInput[]): Promise<void>;

  listConversations(
    orgId: string,
    filter: ConversationFilter,
    after: Keyset | null,
    limit: number,
  ): Promise<Page<ConversationRow>>;
  getConversation(orgId: string, deviceId: string, sessionId: string): Promise<ConversationRow | undefined>;
  listSessionEntries(
    orgId: string,
    deviceId: string,
    sessionId: string,
    types: readonly string[],
    afterSeq: number,
    limit: number,
  ): Promise<EntryRow[]>;
  toolCallsById(
    orgId: string,
    deviceId: string,
    sessionId: string,
    toolUseIds: readonly string[],
  ): Promise<ToolCallRow[]>;
  apiTurns(
    orgId: string,
    deviceId: string,
    sessionId: string,
    requestNos: readonly number[],
  ): Promise<ApiTurnRow[]>;
  listToolCalls(
    orgId: string,
    filter: ToolCallFilter,
    after: Keyset | null,
    limit: number,
  ): Promise<Page<ToolCallRow>>;
  listToolDefinitions(
    orgId: string,
    filter: { name?: string; mcpServer?: string },
    after: Keyset | null,
    limit: number,
  ): Promise<Page<ToolDefinitionRow>>;
  toolDefinitionDevices(orgId: string, hash: string): Promise<SeenOnDevice[]>;
  listMcpServers(orgId: string, after: Keyset | null, limit: number): Promise<Page<McpServerRow>>;
  mcpServerDevices(orgId: string, name: string, identity: string): Promise<SeenOnDevice[]>;
  listPosture(
    orgId: string,
    deviceId: string,
    after: Keyset | null,
    limit: number,
  ): Promise<Page<PostureRow>>;
  exportEntries(orgId: string, deviceId: string, afterSeq: number, limit: number): Promise<EntryRow[]>;
  dashboard(orgId: string, fromMs: number, toMs: number, activeSinceMs: number): Promise<DashboardCounts>;

  recordActivity(
    orgId: string,
    activity: {
      timeMs: number;
      actor: string;
      action: string;
      target: string | null;
      details: string | null;
    },
  ): Promise<void>;
  listActivity(orgId: string, after: Keyset | null, limit: number): Promise<Page<ActivityRow>>;

  recordAdoptionGap(input: {
    orgId: string;
    deviceId: string;
    userId: string;
    claudeSessionId: string;
    cwd: string | null;
    details: string | null;
    nowMs: number;
  }): Promise<boolean>;
  listAdoptionGaps(orgId: string, after: Keyset | null, limit: number): Promise<Page<AdoptionGapRow>>;

  createPolicy(input: { orgId: string; id: string; name: string; nowMs: number }): Promise<boolean>;
  getPolicy(orgId: string, id: string): Promise<Policy | undefined>;
  listPolicies(orgId: string): Promise<Policy[]>;
  /** Appends the next version; returns its number. */
  addPolicyVersion(
    orgId: string,
    policyId: string,
    input: { source: string; hash: string; createdBy: string; nowMs: number },
  ): Promise<number>;
  listPolicyVersions(orgId: string, policyId: string): Promise<PolicyVersion[]>;
  getPolicyVersion(orgId: string, policyId: string, version: number): Promise<PolicyVersion | undefined>;
  nextBundleVersion(orgId: string): Promise<number>;
  /**
   * Makes `version` of the policy the org's published one (no other policy stays published) and
   * stores the bundle built from it, atomically; false when the bundle version number was taken by
   * a concurrent publish.
   */
  publishBundle(
    orgId: string,
    published: { policyId: string; version: number },
    bundle: PolicyBundleRow,
  ): Promise<boolean>;
  latestBundle(orgId: string): Promise<PolicyBundleRow | undefined>;

  listManagedMcp(orgId: string): Promise<ManagedMcpServer[]>;
  createManagedMcp(orgId: string, server: ManagedMcpServer): Promise<boolean>;
  updateManagedMcp(orgId: string, id: string, config: ManagedMcpTransport, nowMs: number): Promise<boolean>;
  deleteManagedMcp(orgId: string, id: string): Promise<boolean>;
}
