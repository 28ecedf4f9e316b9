/**
 * The console's one door to the edge. Every call the UI makes is a method here, typed with the
 * edge's own types where the edge declares them (only `import type`: nothing of the edge reaches
 * the bundle) and with wire types that mirror `edge/src/routes/query.ts` and `admin.ts` where the
 * edge maps rows inline.
 *
 * The admin session is an HttpOnly SameSite=Strict cookie the browser sends by itself; state
 * changes also need the session's CSRF token in `x-csrf-token` (edge/src/auth/admin-auth.ts),
 * which the edge hands out in the body of `login/verify` and `GET /v1/admin/session`.
 */
import type { EdgeErrorCode, SessionResponse } from '@ceros/edge';
import type { DraftEvaluation } from '@ceros/edge/src/policy/evaluate-draft.ts';
import type { IntegrityAlertView } from '@ceros/edge/src/query/integrity-view.ts';
import type { DecisionView, TimelineItem, ToolCallView } from '@ceros/edge/src/query/timeline.ts';
import type { SinkView } from '@ceros/edge/src/siem/routes.ts';
import type { SinkTestResult } from '@ceros/edge/src/siem/test-sink.ts';
import type { DashboardCounts, DeviceStatus, UserStatus } from '@ceros/edge/src/store/store.ts';
import type { InclusionAnswer } from './verify-inclusion.ts';

export type {
  DashboardCounts,
  DecisionView,
  DeviceStatus,
  SessionResponse,
  SinkTestResult,
  SinkView,
  TimelineItem,
  ToolCallView,
};

/** `ApiError.code` is the edge's code, or one of these when the edge did not answer usefully. */
export type ApiErrorCode = EdgeErrorCode | 'NETWORK' | 'BAD_RESPONSE';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number | null;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    code: ApiErrorCode,
    message: string,
    status: number | null,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** A keyset page: pass `nextCursor` back as `cursor`; null means this was the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface PageQuery {
  cursor?: string | undefined;
  limit?: number | undefined;
}

export interface Dashboard extends DashboardCounts {
  from: string;
  to: string;
  notYetEnrolled: number;
  integrityAlerts: number;
  devicesWithIntegrityAlerts: number;
}
export type IntegrityAlert = IntegrityAlertView;

export interface Conversation {
  deviceId: string;
  sessionId: string;
  user: string | null;
  startedAt: string;
  endedAt: string | null;
  lastEventAt: string;
  exitCode: number | null;
  cwd: string | null;
  projectDir: string | null;
  claudeArgs: unknown;
  cerosVersion: string | null;
  claudeVersion: string | null;
  policyHash: string | null;
  keyProtection: string | null;
  firstPrompt: string | null;
  prompts: number;
  toolCalls: number;
  blocks: number;
  subagents: number;
  claudeSessionId: string | null;
  model: string | null;
  /** The session's policy source: `{kind, file, hash, version, signed}`. */
  policy: unknown;
  postureOk: boolean | null;
  signal: string | null;
  durationMs: number | null;
  /** How it ended other than by itself: `abandoned: wrapper died`. */
  endState: string | null;
}
export interface ConversationFilter extends PageQuery {
  user?: string | undefined;
  device?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}
export interface Timeline {
  conversation: Conversation;
  items: TimelineItem[];
  /** Pass back as `after` for the next page; null when this page reached the end. */
  nextAfter: number | null;
}

export type Decision = DecisionView;
/** A row of the tool-call list: the call as a conversation shows it, and where it happened. */
export interface ToolCall extends ToolCallView {
  deviceId: string;
  sessionId: string;
  user: string | null;
  time: string;
}
export interface ToolCallFilter extends PageQuery {
  tool?: string | undefined;
  decision?: string | undefined;
  user?: string | undefined;
  device?: string | undefined;
  session?: string | undefined;
  q?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface ToolDefinition {
  name: string;
  hash: string;
  mcpServer: string | null;
  description: string | null;
  inputSchema: unknown;
  firstSeen: string;
  lastSeen: string;
  devices: number;
  /** Distinct definitions (description or schema) seen under this name. */
  versions: number;
  schemaVersions: number;
  schemaChanged: boolean;
  definitionChanged: boolean;
}
export interface SeenOnDevice {
  deviceId: string;
  firstSeen: string;
  lastSeen: string;
}

export interface McpServer {
  name: string;
  identity: string;
  status: string;
  approval: 'managed' | 'blocked' | 'unmanaged';
  firstSeen: string;
  lastSeen: string;
  devices: number;
  blockedAttempts: number;
}

export interface Posture {
  ok: boolean | null;
  at: string | null;
  /** Probes whose status is `failed`. */
  failures: string[];
  report: unknown;
}
export interface Device {
  id: string;
  user: string;
  userStatus: UserStatus;
  status: DeviceStatus;
  keyProtection: string;
  hostname: string | null;
  os: string | null;
  arch: string | null;
  cerosVersion: string | null;
  claudeVersion: string | null;
  enrolledAt: string | null;
  approvedAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
  lastSeen: string | null;
  journalHead: number | null;
  posture: Posture | null;
}
export interface PostureRecord {
  sessionId: string;
  seq: number;
  time: string;
  /** A snapshot taken at session start, or the snapshot after a change the agent detected. */
  kind: 'snapshot' | 'change';
  ok: boolean | null;
  failures: string[];
  /** For a change: `[{probe, from, to, summary}]`. */
  changes: unknown;
  report: unknown;
}
export interface DeviceDetail extends Device {
  postureHistory: PostureRecord[];
  postureCursor: string | null;
  /** What the device journaled about its journal's integrity, newest first. */
  integrityAlerts: IntegrityAlert[];
}

export interface ActivityItem {
  id: number;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}
export interface AdoptionGap {
  deviceId: string;
  user: string | null;
  claudeSessionId: string;
  cwd: string | null;
  reportedAt: string;
  details: unknown;
}

export interface PolicySummary {
  id: string;
  name: string;
  latestVersion: number;
  publishedVersion: number | null;
  createdAt: string;
}
export interface PolicyVersion {
  version: number;
  hash: string;
  source: string;
  createdBy: string;
  createdAt: string;
}
export interface PolicyDetail extends PolicySummary {
  versions: PolicyVersion[];
}
export interface PolicyIssue {
  path: string;
  message: string;
  /** 1-based position in the source, when the edge's validator reports it (@ceros/policy does). */
  line?: number;
  column?: number;
}
export type PolicyValidation = { ok: true; hash: string } | { ok: false; issues: PolicyIssue[] };
/** The signed bundle a publish produced; it carries one policy, the org's active one. */
export interface Published {
  bundleVersion: number;
  etag: string;
  keyId: string;
  policy: { id: string; name: string; version: number; hash: string };
}

export type ManagedMcpInput =
  | { name: string; transport: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { name: string; transport: 'http'; url: string; headers: Record<string, string> };
export type ManagedMcp = ManagedMcpInput & { id: string; createdAt: string; updatedAt: string };

export interface User {
  id: string;
  email: string;
  status: UserStatus;
  activeDevices: number;
  createdAt: string | null;
  verifiedAt: string | null;
  revokedAt: string | null;
}

/** One page of a device's raw signed entries: the exact canonical lines the edge stored. */
/** The organization's transparency log: what an auditor passes to `ceros verify`. */
export interface LogKey {
  origin: string;
  verifierKey: string;
  witnesses: string[];
}

/** An audit export of a period (docs/spec/export.md), as the file the edge served and its summary. */
export interface AuditExportFile {
  fileName: string;
  /** The file's exact bytes, as text. */
  text: string;
  origin: string;
  period: { from: string; to: string; fromIndex: number; toIndex: number };
  entries: number;
  devices: number;
  sessions: number;
  /** Cosignatures on the end checkpoint (the log's own signature not counted). */
  cosignatures: number;
}

export type { DraftEvaluation };

export interface EntryLines {
  lines: string[];
  /** Seq to pass back as `after`; null when the device has no more entries. */
  nextAfter: number | null;
}

/** Who may enroll in the organization and how new devices join it (GET/PATCH /v1/admin/org). */
export interface OrgSettings {
  id: string;
  slug: string;
  name: string;
  /** Addresses at these domains may enroll (and users an admin added); empty: any address. */
  allowedDomains: string[];
  /** New devices wait for an admin's approval before they can sync. */
  requireApproval: boolean;
  signingKey: string;
  createdAt: string | null;
}
export interface InstallLink {
  url: string;
  command: string;
}

type Query = Record<string, string | number | undefined>;

export interface Api {
  /** The signed-in admin, or `UNAUTHENTICATED`. */
  session(): Promise<SessionResponse>;
  loginStart(input: { email: string; org?: string }): Promise<{ sent: boolean; expiresInSeconds: number }>;
  loginVerify(input: { email: string; code: string; org?: string }): Promise<SessionResponse>;
  logout(): Promise<void>;

  dashboard(range: { from: string; to: string }): Promise<Dashboard>;
  conversations(filter: ConversationFilter): Promise<Page<Conversation>>;
  timeline(deviceId: string, sessionId: string, page: { after?: number; limit?: number }): Promise<Timeline>;
  toolCalls(filter: ToolCallFilter): Promise<Page<ToolCall>>;
  toolDefinitions(filter: { name?: string; server?: string } & PageQuery): Promise<Page<ToolDefinition>>;
  toolDefinitionDevices(hash: string): Promise<SeenOnDevice[]>;
  mcpServers(page: PageQuery): Promise<Page<McpServer>>;
  mcpServerDevices(name: string, identity: string): Promise<SeenOnDevice[]>;
  devices(filter: { user?: string; status?: DeviceStatus } & PageQuery): Promise<Page<Device>>;
  device(id: string): Promise<DeviceDetail>;
  devicePosture(id: string, page: PageQuery): Promise<Page<PostureRecord>>;
  approveDevice(id: string): Promise<void>;
  revokeDevice(id: string, reason: string | undefined): Promise<void>;
  users(page: PageQuery): Promise<Page<User>>;
  activity(page: PageQuery): Promise<Page<ActivityItem>>;
  adoptionGaps(page: PageQuery): Promise<Page<AdoptionGap>>;
  integrityAlerts(range: {
    from?: string;
    to?: string;
    limit?: number;
  }): Promise<{ items: IntegrityAlert[] }>;
  exportEntries(deviceId: string, page: { after?: number; limit?: number }): Promise<EntryLines>;
  logKey(): Promise<LogKey>;
  /** The inclusion proof of one entry in the organization's log, with the checkpoint it leads to. */
  inclusion(deviceId: string, seq: number): Promise<InclusionAnswer>;
  auditExport(range: { from: string; to: string }): Promise<AuditExportFile>;

  policies(): Promise<PolicySummary[]>;
  policy(id: string): Promise<PolicyDetail>;
  validatePolicy(source: string): Promise<PolicyValidation>;
  /** The draft's test cases, and the calls of the last `days` days decided again under it. */
  evaluatePolicy(source: string, days: number): Promise<DraftEvaluation>;
  createPolicy(name: string, source: string): Promise<{ id: string; version: number }>;
  addPolicyVersion(id: string, source: string): Promise<{ version: number }>;
  publishPolicy(id: string, version: number): Promise<Published>;

  org(): Promise<OrgSettings>;
  updateOrg(patch: Partial<Pick<OrgSettings, 'allowedDomains' | 'requireApproval'>>): Promise<OrgSettings>;
  installLink(): Promise<InstallLink>;

  /** SIEM sinks (edge/src/siem/routes.ts); `config` is parsed by the edge, every issue named. */
  siemSinks(): Promise<SinkView[]>;
  addSiemSink(input: { name: string; from: 'start' | 'now'; config: unknown }): Promise<SinkView>;
  testSiemConfig(config: unknown): Promise<SinkTestResult>;
  testSiemSink(id: string): Promise<SinkTestResult>;
  removeSiemSink(id: string): Promise<void>;

  managedMcp(): Promise<ManagedMcp[]>;
  createManagedMcp(input: ManagedMcpInput): Promise<ManagedMcp>;
  updateManagedMcp(id: string, input: ManagedMcpInput): Promise<ManagedMcp>;
  deleteManagedMcp(id: string): Promise<void>;
}

export interface ApiOptions {
  /** Origin of the edge; '' (the default) is the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called when the edge says the session is gone (expired, signed out elsewhere). */
  onUnauthenticated?: () => void;
}

export function toQueryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const seg = encodeURIComponent;

export function createApi(options: ApiOptions = {}): Api {
  const base = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  let csrfToken = '';

  const send = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ response: Response; text: string }> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ApiError('NETWORK', `Cannot reach the edge: ${(error as Error).message}`, null);
    }
    const text = await response.text();
    if (response.ok) return { response, text };
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: described below from the status alone
    }
    const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
    const code = typeof error?.code === 'string' ? (error.code as EdgeErrorCode) : 'BAD_RESPONSE';
    const message =
      typeof error?.message === 'string'
        ? error.message
        : `The edge answered ${response.status} to ${method} ${path}`;
    if (code === 'UNAUTHENTICATED') options.onUnauthenticated?.();
    throw new ApiError(code, message, response.status, error ?? {});
  };

  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const { text } = await send(method, path, body);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError('BAD_RESPONSE', `Cannot read the edge's answer to ${method} ${path}`, 200);
    }
  };
  const get = <T>(path: string, query: Query = {}) => json<T>('GET', `${path}${toQueryString(query)}`);
  const items = async <T>(path: string, query: Query = {}) => (await get<{ items: T[] }>(path, query)).items;
  const remember = (session: SessionResponse) => {
    csrfToken = session.csrfToken;
    return session;
  };

  return {
    session: async () => remember(await get<SessionResponse>('/v1/admin/session')),
    loginStart: (input) => json('POST', '/v1/admin/login/start', input),
    loginVerify: async (input) =>
      remember(await json<SessionResponse>('POST', '/v1/admin/login/verify', input)),
    logout: async () => {
      await json('POST', '/v1/admin/logout');
      csrfToken = '';
    },

    dashboard: (range) => get('/v1/admin/dashboard', range),
    conversations: (filter) => get('/v1/admin/conversations', { ...filter }),
    timeline: (deviceId, sessionId, page) =>
      get(`/v1/admin/conversations/${seg(deviceId)}/${seg(sessionId)}`, { ...page }),
    toolCalls: (filter) => get('/v1/admin/tool-calls', { ...filter }),
    toolDefinitions: (filter) => get('/v1/admin/tool-definitions', { ...filter }),
    toolDefinitionDevices: (hash) => items(`/v1/admin/tool-definitions/${seg(hash)}/devices`),
    mcpServers: (page) => get('/v1/admin/mcp-servers', { ...page }),
    mcpServerDevices: (name, identity) => items(`/v1/admin/mcp-servers/${seg(name)}/devices`, { identity }),
    devices: (filter) => get('/v1/admin/devices', { ...filter }),
    device: (id) => get(`/v1/admin/devices/${seg(id)}`),
    devicePosture: (id, page) => get(`/v1/admin/devices/${seg(id)}/posture`, { ...page }),
    approveDevice: async (id) => {
      await json('POST', `/v1/admin/devices/${seg(id)}/approve`);
    },
    revokeDevice: async (id, reason) => {
      await json('POST', `/v1/admin/devices/${seg(id)}/revoke`, reason ? { reason } : {});
    },
    users: (page) => get('/v1/admin/users', { ...page }),
    activity: (page) => get('/v1/admin/activity', { ...page }),
    adoptionGaps: (page) => get('/v1/admin/adoption-gaps', { ...page }),
    integrityAlerts: (range) => get('/v1/admin/integrity-alerts', { ...range }),
    exportEntries: async (deviceId, page) => {
      const { response, text } = await send(
        'GET',
        `/v1/admin/export/entries${toQueryString({ device: deviceId, ...page })}`,
      );
      const next = response.headers.get('x-ceros-next-after');
      return {
        lines: text.split('\n').filter((line) => line !== ''),
        nextAfter: next === null || next === '' ? null : Number(next),
      };
    },
    logKey: () => get('/v1/admin/log-key'),
    inclusion: (deviceId, seq) => get('/v1/admin/log/inclusion', { device: deviceId, seq }),
    auditExport: async (range) => {
      const path = `/v1/admin/export${toQueryString(range)}`;
      const { response, text } = await send('GET', path);
      return readAuditExport(text, response.headers.get('content-disposition'), path);
    },

    policies: () => items('/v1/admin/policies'),
    policy: (id) => get(`/v1/admin/policies/${seg(id)}`),
    validatePolicy: (source) => json('POST', '/v1/admin/policies/validate', { source }),
    evaluatePolicy: (source, days) => json('POST', '/v1/admin/policies/evaluate', { source, days }),
    createPolicy: (name, source) => json('POST', '/v1/admin/policies', { name, source }),
    addPolicyVersion: (id, source) => json('POST', `/v1/admin/policies/${seg(id)}/versions`, { source }),
    publishPolicy: (id, version) => json('POST', `/v1/admin/policies/${seg(id)}/publish`, { version }),

    org: () => get('/v1/admin/org'),
    updateOrg: (patch) => json('PATCH', '/v1/admin/org', patch),
    installLink: () => get('/v1/admin/install-link'),

    siemSinks: async () => (await get<{ sinks: SinkView[] }>('/v1/admin/siem/sinks')).sinks,
    addSiemSink: (input) => json('POST', '/v1/admin/siem/sinks', input),
    testSiemConfig: (config) => json('POST', '/v1/admin/siem/test', { config }),
    testSiemSink: (id) => json('POST', `/v1/admin/siem/sinks/${seg(id)}/test`),
    removeSiemSink: async (id) => {
      await json('DELETE', `/v1/admin/siem/sinks/${seg(id)}`);
    },

    managedMcp: () => items('/v1/admin/managed-mcp'),
    createManagedMcp: (input) => json('POST', '/v1/admin/managed-mcp', input),
    updateManagedMcp: (id, input) => json('PUT', `/v1/admin/managed-mcp/${seg(id)}`, input),
    deleteManagedMcp: async (id) => {
      await json('DELETE', `/v1/admin/managed-mcp/${seg(id)}`);
    },
  };
}

/** A signed note's signature lines: `— name base64`, after the blank line that ends its text. */
function signatureLines(note: string): number {
  const body = note.split('\n\n').slice(1).join('\n\n');
  return body.split('\n').filter((line) => line.startsWith('\u2014 ')).length;
}

/** Summarises an audit export without trusting it: `ceros verify` is what checks it. */
export function readAuditExport(
  text: string,
  disposition: string | null,
  path = 'the export',
): AuditExportFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ApiError('BAD_RESPONSE', `Cannot read the edge's answer to GET ${path}: not JSON`, 200);
  }
  const d = doc as {
    format?: unknown;
    origin?: unknown;
    period?: { from?: unknown; to?: unknown; fromIndex?: unknown; toIndex?: unknown };
    checkpoints?: { end?: unknown };
    devices?: unknown;
    certificates?: unknown;
    entries?: unknown;
  } | null;
  const p = d?.period;
  if (
    typeof d?.origin !== 'string' ||
    typeof p?.from !== 'string' ||
    typeof p.to !== 'string' ||
    typeof p.fromIndex !== 'number' ||
    typeof p.toIndex !== 'number' ||
    typeof d.checkpoints?.end !== 'string' ||
    !Array.isArray(d.entries) ||
    !Array.isArray(d.devices) ||
    !Array.isArray(d.certificates)
  )
    throw new ApiError('BAD_RESPONSE', `The edge's answer to GET ${path} is not an audit export`, 200);
  const named = disposition?.match(/filename="([^"/\\]+)"/)?.[1];
  return {
    fileName: named ?? `ceros-audit-${p.from.slice(0, 10)}-${p.to.slice(0, 10)}.json`,
    text,
    origin: d.origin,
    period: { from: p.from, to: p.to, fromIndex: p.fromIndex, toIndex: p.toIndex },
    entries: d.entries.length,
    devices: d.devices.length,
    sessions: d.certificates.length,
    cosignatures: Math.max(0, signatureLines(d.checkpoints.end) - 1),
  };
}
