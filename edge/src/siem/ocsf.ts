import type { JsonValue } from '@ceros/protocol';
import { MAX_PROJECTED_TEXT, mcpIdentityText, mcpServerOfTool, textOf } from '../ingest/project.ts';

/**
 * Journal entries as OCSF 1.8.0 events (https://schema.ocsf.io/1.8.0), one event per entry, so
 * every entry of the ledger has exactly one SIEM record and every record names its entry:
 * - Bash calls and sessions: Process Activity (1007); Read/Write/Edit/Glob/Grep: File System
 *   Activity (1001); model requests, prompts, MCP and other tool calls: API Activity (6003) with
 *   the `ai_operation` profile; enforced denials, refused requests, blocked servers, alerts and
 *   hook tampering: Detection Finding (2004); anything else (session keys, tool definitions...):
 *   Base Event (0), so that the SIEM still holds one record per entry.
 * - The reference to the signed entry: `metadata.uid` is the entry's chain hash, `metadata.sequence`
 *   its seq, `device.uid` the device, `raw_data_hash` the SHA-256 of the canonical bytes that hash
 *   covers, and `unmapped.ceros.entry` all of it in one place with the Merkle log index when the
 *   edge keeps a log (`ceros verify` and the console check an entry by these).
 * Pure and total: an entry whose payload is odd still maps (missing fields are left out), and an
 * entry whose bytes do not parse maps to a Base Event that says so.
 */

export const OCSF_VERSION = '1.8.0';

export type OcsfEvent = { [key: string]: JsonValue };

/** One stored entry with what the edge knows around it. */
export interface ExportRecord {
  orgId: string;
  deviceId: string;
  seq: number;
  /** The entry's chain hash: hex SHA-256 of `bytes`. */
  hash: string;
  /** Its leaf index in the organization's Merkle log, when the edge keeps one. */
  logIndex: number | null;
  /** The canonical bytes the device signed, as stored. */
  bytes: string;
  receivedMs: number;
  hostname: string | null;
  userEmail: string | null;
}

export interface OcsfOptions {
  /**
   * `arguments` (the default): commands, paths, tool arguments, models, decisions and token counts;
   * `full` adds prompt and output text (clipped) and the signed entry itself as `raw_data`.
   */
  detail: 'arguments' | 'full';
  /** The edge's version, as `metadata.product.version`. */
  productVersion: string;
}

type Obj = { [key: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: JsonValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
const clip = (text: string): string =>
  text.length > MAX_PROJECTED_TEXT ? text.slice(0, MAX_PROJECTED_TEXT) : text;

/** Drops undefined fields, so that an absent value is an absent attribute (OCSF has no nulls). */
function compact(fields: { [key: string]: JsonValue | undefined }): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}

// OCSF 1.8.0 dictionary enums (severity_id, status_id) and class activity_id values.
const SEVERITY = { informational: 1, low: 2, medium: 3, high: 4 } as const;
const SEVERITY_NAME: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High' };
const STATUS = { success: 1, failure: 2 } as const;

interface ClassDef {
  uid: number;
  categoryUid: number;
  className: string;
  categoryName: string;
  activities: Record<number, string>;
}

const PROCESS_ACTIVITY: ClassDef = {
  uid: 1007,
  categoryUid: 1,
  className: 'Process Activity',
  categoryName: 'System Activity',
  activities: { 1: 'Launch', 2: 'Terminate' },
};
const FILE_ACTIVITY: ClassDef = {
  uid: 1001,
  categoryUid: 1,
  className: 'File System Activity',
  categoryName: 'System Activity',
  activities: { 1: 'Create', 2: 'Read', 3: 'Update' },
};
const API_ACTIVITY: ClassDef = {
  uid: 6003,
  categoryUid: 6,
  className: 'API Activity',
  categoryName: 'Application Activity',
  activities: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete' },
};
const DETECTION_FINDING: ClassDef = {
  uid: 2004,
  categoryUid: 2,
  className: 'Detection Finding',
  categoryName: 'Findings',
  activities: { 1: 'Create' },
};
const BASE_EVENT: ClassDef = {
  uid: 0,
  categoryUid: 0,
  className: 'Base Event',
  categoryName: 'Uncategorized',
  activities: {},
};

/** What a mapper contributes on top of the common attributes. */
interface Mapped {
  cls: ClassDef;
  /** A class activity, or 99 (Other) with `activityName`. */
  activityId: number;
  activityName?: string;
  severityId: number;
  profiles?: string[];
  fields: Obj;
}

const FILE_READS = new Set(['Read', 'Glob', 'Grep', 'NotebookRead', 'LS']);
const FILE_UPDATES = new Set(['Edit', 'MultiEdit', 'NotebookEdit']);

/** Which class a tool's calls belong to. */
export function toolClass(toolName: string): 'process' | 'file' | 'mcp' | 'api' {
  if (toolName === 'Bash') return 'process';
  if (FILE_READS.has(toolName) || FILE_UPDATES.has(toolName) || toolName === 'Write') return 'file';
  if (mcpServerOfTool(toolName) !== null) return 'mcp';
  return 'api';
}

export function toOcsf(record: ExportRecord, options: OcsfOptions): OcsfEvent {
  let entry: Obj | null = null;
  try {
    const parsed = JSON.parse(record.bytes) as JsonValue;
    if (isObj(parsed)) entry = parsed;
  } catch {
    entry = null;
  }
  const type = str(entry?.type) ?? 'unknown';
  const payload: Obj = entry && isObj(entry.payload) ? entry.payload : {};
  const session = str(entry?.session);
  const entryTime = str(entry?.time);
  const parsedTime = entryTime ? Date.parse(entryTime) : Number.NaN;
  const time = Number.isFinite(parsedTime) ? parsedTime : record.receivedMs;
  const ctx: MapContext = { record, options, payload, session, type };

  let mapped: Mapped;
  try {
    mapped = entry ? mapEntry(ctx) : unparsed();
  } catch {
    // Total by construction: a mapper bug costs this entry its detail, never its record.
    mapped = other(ctx);
  }
  const { cls, activityId } = mapped;
  const activityName = cls.activities[activityId] ?? mapped.activityName ?? 'Other';
  // Only system classes define `device` and `actor` themselves; elsewhere they are the host profile's.
  const profiles = [...(cls.categoryUid === 1 ? [] : ['host']), ...(mapped.profiles ?? [])];
  const event: Obj = compact({
    class_uid: cls.uid,
    class_name: cls.className,
    category_uid: cls.categoryUid,
    category_name: cls.categoryName,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: cls.uid * 100 + activityId,
    type_name: `${cls.className}: ${activityName}`,
    time,
    severity_id: mapped.severityId,
    severity: SEVERITY_NAME[mapped.severityId],
    metadata: compact({
      version: OCSF_VERSION,
      product: { name: 'ceros', vendor_name: 'ceros', version: options.productVersion },
      profiles: profiles.length > 0 ? profiles : undefined,
      log_provider: 'ceros',
      log_name: 'journal',
      event_code: type,
      uid: record.hash,
      sequence: record.seq,
      correlation_uid: session,
      original_time: entryTime,
      logged_time: record.receivedMs,
      tenant_uid: record.orgId,
    }),
    device: compact({ uid: record.deviceId, hostname: record.hostname ?? undefined, type_id: 0 }),
    raw_data_hash: { algorithm_id: 3, algorithm: 'SHA-256', value: record.hash },
    raw_data_size: Buffer.byteLength(record.bytes),
    raw_data: options.detail === 'full' ? record.bytes : undefined,
    ...mapped.fields,
    unmapped: {
      ceros: {
        entry: compact({
          hash: record.hash,
          device: record.deviceId,
          seq: record.seq,
          log_index: record.logIndex ?? undefined,
          org: record.orgId,
        }),
        type,
      },
    },
  });
  return event;
}

interface MapContext {
  record: ExportRecord;
  options: OcsfOptions;
  payload: Obj;
  session: string | undefined;
  type: string;
}

const CLAUDE_CODE = 'Claude Code';

function actorOf(ctx: MapContext, extra: Obj = {}): Obj {
  return compact({
    app_name: CLAUDE_CODE,
    user: ctx.record.userEmail ? { email_addr: ctx.record.userEmail, name: ctx.record.userEmail } : undefined,
    session: ctx.session ? { uid: ctx.session } : undefined,
    ...extra,
  });
}

function mapEntry(ctx: MapContext): Mapped {
  const p = ctx.payload;
  switch (ctx.type) {
    case 'tool.decision':
      return toolDecision(ctx);
    case 'tool.result':
      return toolResult(ctx);
    case 'session.start':
      return {
        cls: PROCESS_ACTIVITY,
        activityId: 1,
        severityId: SEVERITY.informational,
        fields: {
          actor: actorOf(ctx),
          process: compact({
            uid: ctx.session ?? `seq:${ctx.record.seq}`,
            name: 'claude',
            cmd_line: Array.isArray(p.claudeArgs)
              ? ['claude', ...p.claudeArgs.map(String)].join(' ')
              : undefined,
            working_directory: str(p.cwd),
          }),
          message: 'Claude Code session started through ceros',
        },
      };
    case 'session.end':
    case 'session.abandoned': {
      const exitCode = int(p.exitCode);
      const failed = ctx.type === 'session.abandoned' || (exitCode !== undefined && exitCode !== 0);
      return {
        cls: PROCESS_ACTIVITY,
        activityId: 2,
        severityId: SEVERITY.informational,
        fields: compact({
          actor: actorOf(ctx),
          process: { uid: ctx.session ?? `seq:${ctx.record.seq}`, name: 'claude' },
          exit_code: exitCode,
          duration: int(p.durationMs),
          status_id: failed ? STATUS.failure : STATUS.success,
          status_detail: str(p.signal) ?? (ctx.type === 'session.abandoned' ? 'abandoned' : undefined),
          message:
            ctx.type === 'session.abandoned'
              ? 'Claude Code session ended without its wrapper (cleaned up by a later session)'
              : 'Claude Code session ended',
        }),
      };
    }
    case 'prompt':
      return aiApi(ctx, {
        activityId: 1,
        role: 1,
        operation: 'prompt.submit',
        message: 'Prompt submitted',
        content: str(p.text),
      });
    case 'api.request': {
      const model = str(p.model);
      return aiApi(ctx, {
        activityId: 1,
        role: 4,
        operation: 'messages.create',
        model,
        requestUid: requestUid(ctx, p.requestNo),
        message: `Model request${model ? ` to "${model}"` : ''}`,
      });
    }
    case 'api.response': {
      const usage = isObj(p.usage) ? p.usage : {};
      const status = int(p.status);
      const input = int(usage.input_tokens);
      const output = int(usage.output_tokens);
      const text = Array.isArray(p.content)
        ? p.content
            .filter((b): b is Obj => isObj(b) && b.type === 'text')
            .map((b) => str(b.text) ?? '')
            .join('\n')
        : undefined;
      return aiApi(ctx, {
        activityId: 1,
        role: 2,
        operation: 'messages.create',
        model: str(p.model),
        requestUid: requestUid(ctx, p.requestNo),
        httpStatus: status,
        ok: status === undefined ? undefined : status < 400 && !str(p.streamError),
        promptTokens: input,
        completionTokens: output,
        message: `Model response${str(p.stopReason) ? ` (${str(p.stopReason)})` : ''}`,
        content: text,
      });
    }
    case 'api.refused':
      return finding(ctx, {
        title: 'Model request refused by the ceros proxy',
        desc: str(p.reason),
        rule: 'proxy',
        severityId: SEVERITY.high,
        denied: true,
      });
    case 'mcp.server': {
      const name = str(p.name) ?? 'unknown';
      if (p.status === 'blocked')
        return finding(ctx, {
          title: `MCP server "${name}" blocked`,
          desc: str(p.reason),
          rule: str(p.rule),
          severityId: SEVERITY.medium,
          denied: true,
        });
      return {
        cls: API_ACTIVITY,
        activityId: 99,
        activityName: 'Register',
        severityId: SEVERITY.informational,
        profiles: ['ai_operation'],
        fields: {
          actor: actorOf(ctx),
          api: { operation: 'mcp.server.register', service: { name, uid: mcpIdentityText(p.identity) } },
          src_endpoint: srcEndpoint(ctx),
          message_context: { ai_role_id: 3, service: { name } },
          message: `MCP server "${name}" ${str(p.status) ?? 'seen'}`,
        },
      };
    }
    case 'alert':
      return finding(ctx, {
        title: `Alert: ${str(p.kind) ?? 'unknown'}`,
        desc: str(p.message),
        rule: str(p.kind),
        severityId: SEVERITY.high,
        denied: false,
      });
    case 'hook.rejected':
    case 'hook.error':
      return finding(ctx, {
        title: ctx.type === 'hook.rejected' ? 'Hook call rejected' : 'Hook error',
        desc: str(p.reason),
        rule: str(p.event),
        severityId: ctx.type === 'hook.rejected' ? SEVERITY.high : SEVERITY.medium,
        denied: ctx.type === 'hook.rejected',
      });
    case 'hook.config-change':
      return finding(ctx, {
        title: 'Settings change during a session',
        desc: isObj(p.raw) ? str(p.raw.file_path) : undefined,
        rule: 'config-change',
        severityId: p.blocked === true ? SEVERITY.high : SEVERITY.medium,
        denied: p.blocked === true,
      });
    case 'policy.unsigned':
      return finding(ctx, {
        title: 'Session started with an unsigned policy',
        desc: str(p.reason),
        rule: 'policy.unsigned',
        severityId: SEVERITY.low,
        denied: false,
      });
    case 'posture.change':
      return finding(ctx, {
        title: 'Device posture changed during a session',
        desc: undefined,
        rule: 'posture',
        severityId: SEVERITY.low,
        denied: false,
      });
    default:
      return other(ctx);
  }
}

function requestUid(ctx: MapContext, requestNo: JsonValue | undefined): string {
  const n = int(requestNo);
  return `${ctx.session ?? ctx.record.deviceId}:${n === undefined ? `seq:${ctx.record.seq}` : n}`;
}

function srcEndpoint(ctx: MapContext): Obj {
  return compact({ uid: ctx.record.deviceId, hostname: ctx.record.hostname ?? undefined });
}

function aiApi(
  ctx: MapContext,
  a: {
    activityId: number;
    role: number;
    operation: string;
    model?: string | undefined;
    requestUid?: string;
    httpStatus?: number | undefined;
    ok?: boolean | undefined;
    promptTokens?: number | undefined;
    completionTokens?: number | undefined;
    message: string;
    content?: string | undefined;
  },
): Mapped {
  const full = ctx.options.detail === 'full';
  const total =
    a.promptTokens !== undefined && a.completionTokens !== undefined
      ? a.promptTokens + a.completionTokens
      : undefined;
  return {
    cls: API_ACTIVITY,
    activityId: a.activityId,
    severityId: SEVERITY.informational,
    profiles: ['ai_operation'],
    fields: compact({
      actor: actorOf(ctx),
      api: compact({
        operation: a.operation,
        service: { name: a.operation === 'prompt.submit' ? CLAUDE_CODE : 'Anthropic Messages API' },
        request: a.requestUid ? { uid: a.requestUid } : undefined,
        response: a.httpStatus !== undefined ? { code: a.httpStatus } : undefined,
      }),
      src_endpoint: srcEndpoint(ctx),
      http_response: a.httpStatus !== undefined ? { code: a.httpStatus } : undefined,
      ai_model: a.model ? { name: a.model, ai_provider: 'Anthropic' } : undefined,
      message_context: compact({
        ai_role_id: a.role,
        application: { name: CLAUDE_CODE },
        prompt_tokens: a.promptTokens,
        completion_tokens: a.completionTokens,
        total_tokens: total,
      }),
      status_id: a.ok === undefined ? undefined : a.ok ? STATUS.success : STATUS.failure,
      status_code: a.httpStatus !== undefined ? String(a.httpStatus) : undefined,
      message: full && a.content ? clip(a.content) : a.message,
    }),
  };
}

interface ToolCall {
  toolName: string;
  toolUseId: string;
  input: Obj;
}

function toolCallOf(ctx: MapContext): ToolCall {
  const p = ctx.payload;
  return {
    toolName: str(p.toolName) ?? 'unknown',
    toolUseId: str(p.toolUseId) ?? `seq:${ctx.record.seq}`,
    input: isObj(p.toolInput) ? p.toolInput : {},
  };
}

function toolDecision(ctx: MapContext): Mapped {
  const call = toolCallOf(ctx);
  const decision = isObj(ctx.payload.decision) ? ctx.payload.decision : {};
  const effect = str(decision.effect);
  const mode = str(decision.mode);
  if (effect === 'deny')
    // Enforced, the call did not run; in monitor mode it ran, and the finding says what would have.
    return finding(ctx, {
      title: `${mode === 'monitor' ? 'Would deny' : 'Denied'} ${call.toolName} call`,
      desc: str(decision.reason),
      rule: str(decision.rule),
      severityId: mode === 'monitor' ? SEVERITY.low : SEVERITY.medium,
      denied: mode !== 'monitor',
      evidence: evidenceOf(call),
    });
  const mapped = toolActivity(ctx, call, 'decision');
  mapped.profiles = [...(mapped.profiles ?? []), 'security_control'];
  Object.assign(
    mapped.fields,
    compact({
      action_id: effect === 'allow' ? 1 : 99,
      action: effect === 'allow' ? 'Allowed' : effect === 'ask' ? 'Ask' : effect,
      policy: decisionPolicy(decision),
    }),
  );
  return mapped;
}

function decisionPolicy(decision: Obj): JsonValue | undefined {
  const rule = str(decision.rule);
  if (!rule) return undefined;
  return compact({ uid: str(decision.policyHash), name: rule, desc: str(decision.reason) });
}

function toolResult(ctx: MapContext): Mapped {
  const call = toolCallOf(ctx);
  const mapped = toolActivity(ctx, call, 'result');
  const error = ctx.payload.error;
  const failed = !(error === undefined || error === null || error === false);
  Object.assign(
    mapped.fields,
    compact({
      status_id: failed ? STATUS.failure : STATUS.success,
      status_detail: failed ? clip(textOf(error)) : undefined,
      duration: int(ctx.payload.durationMs),
    }),
  );
  if (ctx.options.detail === 'full') {
    const output = clip(textOf(ctx.payload.response));
    if (output) mapped.fields.message = output;
  }
  return mapped;
}

function fileOf(call: ToolCall): Obj {
  const path = str(call.input.file_path) ?? str(call.input.notebook_path) ?? str(call.input.path);
  const pattern = str(call.input.pattern);
  if (call.toolName === 'Glob' || call.toolName === 'Grep' || call.toolName === 'LS')
    return compact({
      name: pattern ?? path ?? '.',
      path,
      type_id: 2,
      type: 'Folder',
    });
  const name = path ? (path.split('/').filter(Boolean).at(-1) ?? path) : 'unknown';
  return compact({ name, path, type_id: 1, type: 'Regular File' });
}

function toolActivity(ctx: MapContext, call: ToolCall, phase: 'decision' | 'result'): Mapped {
  const verb = phase === 'decision' ? 'requested' : 'finished';
  const agent = str(ctx.payload.agentId);
  const actor = actorOf(ctx, agent ? { invoked_by: `subagent:${agent}` } : {});
  switch (toolClass(call.toolName)) {
    case 'process': {
      const command = str(call.input.command);
      return {
        cls: PROCESS_ACTIVITY,
        activityId: phase === 'decision' ? 1 : 2,
        severityId: SEVERITY.informational,
        fields: compact({
          actor,
          process: compact({ uid: call.toolUseId, name: 'bash', cmd_line: command }),
          message: `Bash call ${verb}`,
        }),
      };
    }
    case 'file': {
      const written = isObj(ctx.payload.response) ? str(ctx.payload.response.type) : undefined;
      const activityId = FILE_READS.has(call.toolName)
        ? 2
        : call.toolName === 'Write' && written !== 'update'
          ? 1
          : 3;
      return {
        cls: FILE_ACTIVITY,
        activityId,
        severityId: SEVERITY.informational,
        fields: { actor, file: fileOf(call), message: `${call.toolName} call ${verb}` },
      };
    }
    case 'mcp':
    case 'api': {
      const server = mcpServerOfTool(call.toolName);
      return {
        cls: API_ACTIVITY,
        activityId: 99,
        activityName: server ? 'Call Tool' : 'Use Tool',
        severityId: SEVERITY.informational,
        profiles: ['ai_operation'],
        fields: {
          actor,
          api: compact({
            operation: server ? call.toolName.slice(`mcp__${server}__`.length) : call.toolName,
            service: { name: server ?? CLAUDE_CODE },
            request: { uid: call.toolUseId },
          }),
          src_endpoint: srcEndpoint(ctx),
          message_context: { ai_role_id: 3, service: { name: server ?? CLAUDE_CODE } },
          message: `${server ? `MCP tool "${call.toolName}"` : `${call.toolName} call`} ${verb}`,
        },
      };
    }
  }
}

/** What a denied call would have done, as the finding's evidence. */
function evidenceOf(call: ToolCall): Obj {
  switch (toolClass(call.toolName)) {
    case 'process':
      return {
        process: compact({ uid: call.toolUseId, name: 'bash', cmd_line: str(call.input.command) }),
      };
    case 'file':
      return { file: fileOf(call) };
    default: {
      const server = mcpServerOfTool(call.toolName);
      return {
        api: {
          operation: call.toolName,
          service: { name: server ?? CLAUDE_CODE },
          request: { uid: call.toolUseId },
        },
      };
    }
  }
}

function finding(
  ctx: MapContext,
  f: {
    title: string;
    desc: string | undefined;
    rule: string | undefined;
    severityId: number;
    denied: boolean;
    evidence?: Obj;
  },
): Mapped {
  return {
    cls: DETECTION_FINDING,
    activityId: 1,
    severityId: f.severityId,
    profiles: ['security_control'],
    fields: compact({
      finding_info: compact({
        uid: ctx.record.hash,
        title: f.title,
        desc: f.desc ? clip(f.desc) : undefined,
        types: [ctx.type],
        analytic: f.rule ? { name: f.rule, type_id: 1, type: 'Rule' } : undefined,
      }),
      is_alert: true,
      action_id: f.denied ? 2 : 1,
      action: f.denied ? 'Denied' : 'Allowed',
      disposition_id: f.denied ? 2 : 17,
      disposition: f.denied ? 'Blocked' : 'Logged',
      status_id: 1,
      actor: actorOf(ctx),
      evidences: f.evidence ? [f.evidence] : undefined,
      message: f.title,
    }),
  };
}

function other(ctx: MapContext): Mapped {
  return {
    cls: BASE_EVENT,
    activityId: 99,
    activityName: ctx.type,
    severityId: SEVERITY.informational,
    fields: { message: `Journal entry "${ctx.type}"` },
  };
}

function unparsed(): Mapped {
  return {
    cls: BASE_EVENT,
    activityId: 0,
    severityId: SEVERITY.informational,
    fields: { message: 'Journal entry whose stored bytes do not parse' },
  };
}
