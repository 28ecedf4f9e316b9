import { canonicalJson, type JournalEntry, type JsonValue, sha256Hex } from '@ceros/protocol';
import {
  type AbandonedProjection,
  abandonedOf,
  type IntegrityAlertProjection,
  integrityAlertOf,
} from './integrity.ts';
import { claudeVersionOf, failedProbes, postureVerdict, probeText } from './posture.ts';

/**
 * What one journal entry contributes to the query tables. The shapes are the agent's
 * (agent/src/commands/claude.ts, session/session-core.ts, proxy/recorder.ts); the golden session
 * in tests/fixtures/journal/real-session.jsonl holds one of each. Fields are still read
 * defensively: a missing or oddly typed field becomes null, never an error, and the raw entry is
 * always stored next to whatever could be projected.
 */
export type Projection =
  | { kind: 'session.key'; certificate: string; keyProtection: string | null }
  | {
      kind: 'session.start';
      cwd: string | null;
      projectDir: string | null;
      claudeArgs: string | null;
      cerosVersion: string | null;
      claudeVersion: string | null;
      keyProtection: string | null;
      policyHash: string | null;
      /** `{kind, file, hash, version, signed}` as canonical JSON. */
      policy: string | null;
      posture: PostureProjection | null;
      hostname: string | null;
      os: string | null;
      arch: string | null;
    }
  | { kind: 'session.end'; exitCode: number | null; signal: string | null; durationMs: number | null }
  | { kind: 'prompt'; text: string; claudeSessionId: string | null }
  | { kind: 'system.prompt'; hash: string; subagent: boolean; claudeVersion: string | null }
  | {
      kind: 'api.request';
      requestNo: number;
      systemHash: string | null;
      model: string | null;
      /** What Claude Code sent back for earlier tool calls: the text the model read. */
      toolResults: { toolUseId: string; text: string; isError: boolean }[];
    }
  | {
      kind: 'api.response';
      requestNo: number | null;
      model: string | null;
      stopReason: string | null;
      status: number | null;
      inputTokens: number | null;
      outputTokens: number | null;
      toolUses: { id: string; name: string; mcpServer: string | null; input: string }[];
    }
  | {
      kind: 'tool.definition';
      name: string;
      hash: string;
      description: string | null;
      inputSchema: string | null;
      mcpServer: string | null;
    }
  | {
      kind: 'tool.decision';
      toolUseId: string;
      toolName: string;
      mcpServer: string | null;
      agentId: string | null;
      agentType: string | null;
      input: string;
      effect: string | null;
      rule: string | null;
      reason: string | null;
      detail: string | null;
      mode: string | null;
      policyHash: string | null;
      /** A monitor-mode rule that would have decided more strictly, as canonical JSON. */
      monitor: string | null;
      /** Denied and enforced: the call did not run. */
      blocked: boolean;
    }
  | {
      kind: 'tool.result';
      toolUseId: string;
      toolName: string;
      mcpServer: string | null;
      agentId: string | null;
      durationMs: number | null;
      error: string | null;
      response: string;
      /** The subagent an Agent call ran (its result names it). */
      spawnedAgentId: string | null;
    }
  | { kind: 'subagent'; agentId: string | null; agentType: string | null }
  | {
      kind: 'mcp.server';
      name: string;
      /** What the server runs: its command line or URL. */
      identity: string;
      status: string;
      /** Where Claude Code's configuration named it (`mcp-config`, `user`, `local`, `project`). */
      source: string | null;
      rule: string | null;
      reason: string | null;
    }
  | { kind: 'posture.change'; changes: JsonValue; digest: string | null }
  /** An activity row; an alert about the journal's integrity also names it for the device (integrity.ts). */
  | { kind: 'activity'; action: string; details: string; integrity?: IntegrityAlertProjection }
  /** Ends another session of the device, whose wrapper died (integrity.ts). */
  | ({ kind: 'session.abandoned' } & AbandonedProjection)
  | { kind: 'none' };

export interface PostureProjection {
  /** The snapshot as canonical JSON. */
  report: string;
  ok: boolean | null;
  failures: string[];
}

export interface ProjectedEntry {
  seq: number;
  hash: string;
  sessionId: string;
  type: string;
  timeMs: number;
  bytes: string;
  projection: Projection;
}

/** Text columns are capped so one huge tool output cannot bloat the search index. */
export const MAX_PROJECTED_TEXT = 8 * 1024;

type Obj = { [key: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);
const num = (v: JsonValue | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const clip = (text: string): string =>
  text.length > MAX_PROJECTED_TEXT ? text.slice(0, MAX_PROJECTED_TEXT) : text;
const jsonText = (v: JsonValue | undefined): string | null =>
  v === undefined || v === null ? null : canonicalJson(v);

/** Claude Code names MCP tools `mcp__<server>__<tool>`. */
export function mcpServerOfTool(toolName: string): string | null {
  const match = /^mcp__(.+?)__/.exec(toolName);
  return match?.[1] ?? null;
}

/**
 * An MCP server's identity as one line (agent/src/session/mcp-servers.ts): `{command: [exe, ...args]}`
 * becomes the command line, `{url}` the URL; anything else stays JSON, and none is empty.
 */
export function mcpIdentityText(identity: JsonValue | undefined): string {
  if (typeof identity === 'string') return identity;
  if (isObj(identity)) {
    if (Array.isArray(identity.command) && identity.command.every((part) => typeof part === 'string'))
      return identity.command.map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part)).join(' ');
    if (typeof identity.url === 'string') return identity.url;
  }
  return jsonText(identity) ?? '';
}

/** Claude Code's system prompt opens with a billing header naming its version and, in a subagent, saying so. */
const BILLING_HEADER = /x-anthropic-billing-header:[^"]*/;
export function readBillingHeader(system: JsonValue | undefined): {
  version: string | null;
  subagent: boolean;
} {
  const first = Array.isArray(system) ? system[0] : system;
  const text = isObj(first) ? str(first.text) : str(first);
  const header = text ? BILLING_HEADER.exec(text)?.[0] : undefined;
  if (!header) return { version: null, subagent: false };
  const version = /cc_version=(\d+\.\d+\.\d+)/.exec(header)?.[1] ?? null;
  return { version, subagent: /cc_is_subagent=true/.test(header) };
}

/** Text of a tool response or tool_result content: text blocks joined, anything else as JSON. */
export function textOf(value: JsonValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const texts = value.map((block) => (isObj(block) && typeof block.text === 'string' ? block.text : null));
    if (texts.every((t) => t !== null)) return texts.join('\n');
  }
  return canonicalJson(value);
}

function toolResultsOf(
  messages: JsonValue | undefined,
): Extract<Projection, { kind: 'api.request' }>['toolResults'] {
  const out: Extract<Projection, { kind: 'api.request' }>['toolResults'] = [];
  for (const message of Array.isArray(messages) ? messages : []) {
    if (!isObj(message) || !Array.isArray(message.content)) continue;
    for (const block of message.content) {
      if (!isObj(block) || block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      out.push({
        toolUseId: block.tool_use_id,
        text: clip(textOf(block.content)),
        isError: block.is_error === true,
      });
    }
  }
  return out;
}

function postureOf(snapshot: JsonValue | undefined): PostureProjection | null {
  if (!isObj(snapshot)) return null;
  return { report: canonicalJson(snapshot), ok: postureVerdict(snapshot), failures: failedProbes(snapshot) };
}

/** Details of an activity row, as JSON without the fields the entry left empty. */
export function activityDetails(details: { [key: string]: JsonValue | undefined }): string {
  const kept: Obj = {};
  for (const [key, value] of Object.entries(details))
    if (value !== undefined && value !== null) kept[key] = value;
  return canonicalJson(kept);
}

const activity = (
  action: string,
  details: { [key: string]: JsonValue | undefined },
): Extract<Projection, { kind: 'activity' }> => ({
  kind: 'activity',
  action,
  details: activityDetails(details),
});

export function projectEntry(entry: JournalEntry): Projection {
  const p: Obj = isObj(entry.payload) ? entry.payload : {};
  switch (entry.type) {
    case 'session.key': {
      const certificate = isObj(p.certificate) ? p.certificate : null;
      if (!certificate) return { kind: 'none' };
      return {
        kind: 'session.key',
        certificate: canonicalJson(certificate),
        keyProtection: str(certificate.keyProtection),
      };
    }
    case 'session.start': {
      const policy = isObj(p.policy) ? p.policy : null;
      return {
        kind: 'session.start',
        cwd: str(p.cwd),
        projectDir: str(p.projectDir),
        claudeArgs: jsonText(p.claudeArgs),
        cerosVersion: str(p.cerosVersion),
        claudeVersion: claudeVersionOf(p.posture),
        keyProtection: str(p.keyProtection),
        policyHash: policy ? str(policy.hash) : null,
        policy: jsonText(policy ?? undefined),
        posture: postureOf(p.posture),
        hostname: probeText(p.posture, 'hostname'),
        os: probeText(p.posture, 'os'),
        arch: probeText(p.posture, 'arch'),
      };
    }
    case 'session.end':
      return {
        kind: 'session.end',
        exitCode: num(p.exitCode),
        signal: str(p.signal),
        durationMs: num(p.durationMs),
      };
    case 'prompt':
      return { kind: 'prompt', text: clip(str(p.text) ?? ''), claudeSessionId: str(p.claudeSessionId) };
    case 'system.prompt': {
      const hash = str(p.hash);
      if (!hash) return { kind: 'none' };
      const header = readBillingHeader(p.system);
      return { kind: 'system.prompt', hash, subagent: header.subagent, claudeVersion: header.version };
    }
    case 'api.request': {
      const requestNo = num(p.requestNo);
      if (requestNo === null) return { kind: 'none' };
      return {
        kind: 'api.request',
        requestNo,
        systemHash: str(p.systemHash),
        model: str(p.model),
        toolResults: toolResultsOf(p.newMessages),
      };
    }
    case 'api.response': {
      const usage = isObj(p.usage) ? p.usage : {};
      const toolUses: Extract<Projection, { kind: 'api.response' }>['toolUses'] = [];
      for (const block of Array.isArray(p.content) ? p.content : []) {
        if (!isObj(block) || block.type !== 'tool_use' || typeof block.id !== 'string') continue;
        const name = str(block.name) ?? 'unknown';
        toolUses.push({
          id: block.id,
          name,
          mcpServer: mcpServerOfTool(name),
          input: clip(jsonText(block.input) ?? ''),
        });
      }
      return {
        kind: 'api.response',
        requestNo: num(p.requestNo),
        model: str(p.model),
        stopReason: str(p.stopReason),
        status: num(p.status),
        inputTokens: num(usage.input_tokens),
        outputTokens: num(usage.output_tokens),
        toolUses,
      };
    }
    case 'api.refused':
      return activity('api.refused', {
        requestNo: p.requestNo,
        path: p.path,
        reason: p.reason,
      });
    case 'tool.definition': {
      const name = str(p.name);
      if (!name) return { kind: 'none' };
      const inputSchema = jsonText(p.inputSchema);
      const description = str(p.description);
      return {
        kind: 'tool.definition',
        name,
        hash: str(p.hash) ?? sha256Hex(canonicalJson({ name, description, inputSchema })),
        description,
        inputSchema,
        mcpServer: str(p.mcpServer) ?? mcpServerOfTool(name),
      };
    }
    case 'tool.decision': {
      const toolName = str(p.toolName) ?? 'unknown';
      const decision = isObj(p.decision) ? p.decision : {};
      const effect = str(decision.effect);
      const mode = str(decision.mode);
      return {
        kind: 'tool.decision',
        toolUseId: str(p.toolUseId) ?? `seq:${entry.seq}`,
        toolName,
        mcpServer: mcpServerOfTool(toolName),
        agentId: str(p.agentId),
        agentType: str(p.agentType),
        input: clip(jsonText(p.toolInput) ?? ''),
        effect,
        rule: str(decision.rule),
        reason: str(decision.reason),
        detail: str(decision.detail),
        mode,
        policyHash: str(decision.policyHash),
        monitor: jsonText(decision.monitor),
        // In monitor mode a deny is journaled as what would have happened; the call ran.
        blocked: effect === 'deny' && mode !== 'monitor',
      };
    }
    case 'tool.result': {
      const toolName = str(p.toolName) ?? 'unknown';
      const error = p.error;
      const response = isObj(p.response) ? p.response : null;
      return {
        kind: 'tool.result',
        toolUseId: str(p.toolUseId) ?? `seq:${entry.seq}`,
        toolName,
        mcpServer: mcpServerOfTool(toolName),
        agentId: str(p.agentId),
        durationMs: num(p.durationMs),
        error: error === undefined || error === null || error === false ? null : clip(textOf(error)),
        response: clip(textOf(p.response)),
        spawnedAgentId: toolName === 'Agent' && response ? str(response.agentId) : null,
      };
    }
    case 'subagent.start':
    case 'subagent.stop': {
      const raw = isObj(p.raw) ? p.raw : {};
      return { kind: 'subagent', agentId: str(raw.agent_id), agentType: str(raw.agent_type) };
    }
    case 'mcp.server': {
      const name = str(p.name);
      if (!name) return { kind: 'none' };
      return {
        kind: 'mcp.server',
        name,
        identity: mcpIdentityText(p.identity),
        status: str(p.status) ?? 'unknown',
        source: str(p.source),
        rule: str(p.rule),
        reason: str(p.reason),
      };
    }
    case 'posture.change':
      return { kind: 'posture.change', changes: p.changes ?? [], digest: str(p.postureDigest) };
    case 'alert': {
      const row = activity(`alert.${str(p.kind) ?? 'unknown'}`, {
        message: clip(str(p.message) ?? ''),
        findings: Array.isArray(p.findings) && p.findings.length === 0 ? undefined : p.findings,
      });
      const integrity = integrityAlertOf(p);
      return integrity ? { ...row, integrity } : row;
    }
    case 'session.abandoned': {
      const abandoned = abandonedOf(p);
      return abandoned ? { kind: 'session.abandoned', ...abandoned } : { kind: 'none' };
    }
    case 'policy.unsigned':
      return activity('policy.unsigned', {
        file: p.file ?? null,
        hash: p.hash ?? null,
        reason: p.reason ?? null,
      });
    case 'hook.rejected':
    case 'hook.error':
      return activity(entry.type, { event: p.event, reason: clip(str(p.reason) ?? '') });
    case 'hook.config-change': {
      const raw = isObj(p.raw) ? p.raw : {};
      return activity('settings.change_blocked', {
        source: raw.source,
        file: raw.file_path,
        blocked: p.blocked,
      });
    }
    default:
      return { kind: 'none' };
  }
}
