import { canonicalJson, type JournalEntry, type JsonValue, sha256Hex } from '@ceros/protocol';

/**
 * What one journal entry contributes to the query tables. Payload shapes are still settling, so
 * every field is read defensively: a missing or oddly typed field becomes null, never an error,
 * and the raw entry is always stored next to whatever could be projected.
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
      policyHash: string | null;
      posture: string | null;
      postureOk: boolean | null;
    }
  | { kind: 'session.end'; exitCode: number | null }
  | { kind: 'prompt'; text: string }
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
      input: string;
      effect: string | null;
      rule: string | null;
      reason: string | null;
      mode: string | null;
      policyHash: string | null;
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
    }
  | { kind: 'mcp.server'; name: string; identity: string; status: string }
  | { kind: 'posture'; posture: string; ok: boolean | null }
  | { kind: 'alert'; alertKind: string; message: string }
  | { kind: 'none' };

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
const jsonText = (v: JsonValue | undefined): string | null => (v === undefined ? null : canonicalJson(v));

/** Claude Code names MCP tools `mcp__<server>__<tool>`. */
export function mcpServerOfTool(toolName: string): string | null {
  const match = /^mcp__(.+?)__/.exec(toolName);
  return match?.[1] ?? null;
}

/**
 * Reads a pass/fail verdict out of a posture report of unknown shape: `ok`, `passed`, a `status`
 * word, a non-empty `failures` list, or any failing item in `checks`. Null when there is no verdict.
 */
export function postureVerdict(posture: JsonValue | undefined): boolean | null {
  if (!isObj(posture)) return null;
  if (typeof posture.ok === 'boolean') return posture.ok;
  if (typeof posture.passed === 'boolean') return posture.passed;
  const status = str(posture.status)?.toLowerCase();
  if (status === 'pass' || status === 'passed' || status === 'ok') return true;
  if (status === 'fail' || status === 'failed' || status === 'failing') return false;
  if (Array.isArray(posture.failures)) return posture.failures.length === 0;
  if (Array.isArray(posture.checks)) {
    let seen = false;
    for (const check of posture.checks) {
      if (!isObj(check)) continue;
      seen = true;
      const checkStatus = str(check.status)?.toLowerCase();
      if (check.ok === false || check.passed === false || checkStatus === 'fail' || checkStatus === 'failed')
        return false;
    }
    return seen ? true : null;
  }
  return null;
}

function textOf(value: JsonValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  // Content blocks: keep the text parts, which is what a human searches for.
  if (Array.isArray(value)) {
    const texts = value.map((block) => (isObj(block) && typeof block.text === 'string' ? block.text : null));
    if (texts.every((t) => t !== null)) return texts.join('\n');
  }
  return canonicalJson(value);
}

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
      const decision = isObj(p.policy) ? p.policy : {};
      return {
        kind: 'session.start',
        cwd: str(p.cwd),
        projectDir: str(p.projectDir),
        claudeArgs: jsonText(p.claudeArgs),
        cerosVersion: str(p.cerosVersion),
        claudeVersion: str(p.claudeVersion),
        policyHash:
          str(decision.hash) ?? str(p.policyHash) ?? (typeof p.policy === 'string' ? p.policy : null),
        posture: jsonText(p.posture),
        postureOk: postureVerdict(p.posture),
      };
    }
    case 'session.end':
      return { kind: 'session.end', exitCode: num(p.exitCode) };
    case 'prompt':
      return { kind: 'prompt', text: clip(str(p.text) ?? textOf(p.prompt)) };
    case 'tool.definition': {
      const name = str(p.name);
      if (!name) return { kind: 'none' };
      const inputSchema = jsonText(p.inputSchema ?? p.input_schema);
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
      return {
        kind: 'tool.decision',
        toolUseId: str(p.toolUseId) ?? `seq:${entry.seq}`,
        toolName,
        mcpServer: str(p.mcpServer) ?? mcpServerOfTool(toolName),
        agentId: str(p.agentId),
        input: clip(jsonText(p.toolInput) ?? ''),
        effect: str(decision.effect) ?? str(p.effect),
        rule: str(decision.rule),
        reason: str(decision.reason),
        mode: str(decision.mode),
        policyHash: str(decision.policyHash),
      };
    }
    case 'tool.result': {
      const toolName = str(p.toolName) ?? 'unknown';
      const error = p.error;
      return {
        kind: 'tool.result',
        toolUseId: str(p.toolUseId) ?? `seq:${entry.seq}`,
        toolName,
        mcpServer: str(p.mcpServer) ?? mcpServerOfTool(toolName),
        agentId: str(p.agentId),
        durationMs: num(p.durationMs),
        error: error === undefined || error === null || error === false ? null : clip(textOf(error)),
        response: clip(textOf(p.response)),
      };
    }
    case 'mcp.server': {
      const name = str(p.name);
      if (!name) return { kind: 'none' };
      const identity = typeof p.identity === 'string' ? p.identity : (jsonText(p.identity) ?? '');
      return { kind: 'mcp.server', name, identity, status: str(p.status) ?? 'unknown' };
    }
    case 'posture.change':
      return {
        kind: 'posture',
        posture: canonicalJson(p.posture ?? p),
        ok: postureVerdict(p.posture ?? p),
      };
    case 'alert':
      return { kind: 'alert', alertKind: str(p.kind) ?? 'unknown', message: clip(str(p.message) ?? '') };
    default:
      return { kind: 'none' };
  }
}
