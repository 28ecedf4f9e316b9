import type { Decision } from '@ceros/policy';
import type { ApiTurnRow, EntryRow, ToolCallRow } from '../store/store.ts';

/**
 * Entry types a conversation view shows. Key material, definitions, system prompts and raw API
 * requests are left out (the raw entries stay available through the export), and so are the hook
 * entries that only repeat what the tool and prompt entries already say.
 */
export const TIMELINE_TYPES = [
  'session.start',
  'session.end',
  'policy.unsigned',
  'prompt',
  'api.response',
  'api.refused',
  'tool.decision',
  'tool.result',
  'subagent.start',
  'subagent.stop',
  'mcp.server',
  'posture.change',
  'alert',
  'hook.config-change',
  'hook.rejected',
  'hook.error',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);
const num = (v: Json | undefined): number | null => (typeof v === 'number' ? v : null);

/**
 * A journaled decision as the edge stored it: the fields of policy's one `Decision` type (the agent
 * journals that type), each null where an older agent did not write it or the entry lacks it.
 */
export type DecisionView = {
  -readonly [K in keyof Pick<Decision, 'effect' | 'rule' | 'reason' | 'detail' | 'mode' | 'policyHash'>]-?:
    | string
    | null;
} & {
  /** A monitor-mode rule that would have decided more strictly. */
  monitor: unknown;
};

export interface ToolCallView {
  toolUseId: string;
  toolName: string;
  mcpServer: string | null;
  agentId: string | null;
  agentType: string | null;
  input: unknown;
  decision: DecisionView | null;
  result: {
    durationMs: number | null;
    error: string | null;
    response: string | null;
    seq: number | null;
  } | null;
  /** The tool_result Claude Code sent the model for this call (for a denied call: the denial). */
  modelResult: { text: string; isError: boolean } | null;
  /** The subagent an Agent call ran. */
  spawnedAgentId: string | null;
}

export type TimelineItem = { seq: number; time: string } & (
  | { kind: 'prompt'; text: string }
  | {
      kind: 'assistant';
      text: string;
      /** Extended-thinking text, when the model sent any. */
      thinking: string | null;
      /** The calls this turn asked for, in order, each with its decision and result. */
      toolCalls: ToolCallView[];
      stopReason: string | null;
      model: string | null;
      /** The subagent whose turn this is; null for the main conversation. */
      agentId: string | null;
      /** An upstream error instead of (or cutting short) the answer. */
      error: string | null;
      usage: { inputTokens: number | null; outputTokens: number | null } | null;
    }
  | ({ kind: 'tool_call' } & ToolCallView)
  | {
      kind: 'subagent.start' | 'subagent.stop';
      agentId: string | null;
      agentType: string | null;
      /** On stop: the subagent's last message. */
      lastMessage: string | null;
    }
  | { kind: 'event'; type: string; payload: Json }
);

/** A subagent's lifetime in the session, from its start and stop entries. */
export interface SubagentSpan {
  agentId: string;
  agentType: string | null;
  startSeq: number;
  stopSeq: number | null;
}

export interface TimelineContext {
  /** Projected tool-call rows by tool-use id. */
  calls: ReadonlyMap<string, ToolCallRow>;
  /** API round trips by request number. */
  turns: ReadonlyMap<number, ApiTurnRow>;
  /** Every subagent of the session, in start order. */
  spans: readonly SubagentSpan[];
}

export interface ParsedRow {
  row: EntryRow;
  payload: Obj;
}

/** Parses each row once; rows that are not JSON are dropped (the edge stored canonical JSON). */
export function parseRows(rows: readonly EntryRow[]): ParsedRow[] {
  const out: ParsedRow[] = [];
  for (const row of rows) {
    try {
      const entry = JSON.parse(row.bytes) as Obj;
      out.push({ row, payload: isObj(entry.payload) ? entry.payload : {} });
    } catch {
      // unreadable rows are left out of the view; the export still has them
    }
  }
  return out;
}

function toolUsesOf(payload: Obj): { id: string; name: string; input: Json }[] {
  const out: { id: string; name: string; input: Json }[] = [];
  for (const block of Array.isArray(payload.content) ? payload.content : [])
    if (isObj(block) && block.type === 'tool_use' && typeof block.id === 'string')
      out.push({ id: block.id, name: str(block.name) ?? 'unknown', input: block.input ?? null });
  return out;
}

/** What a page of entries refers to: tool-use ids and API request numbers, to fetch in one query each. */
export function timelineRefs(parsed: readonly ParsedRow[]): { toolUseIds: string[]; requestNos: number[] } {
  const ids = new Set<string>();
  const requests = new Set<number>();
  for (const { row, payload } of parsed) {
    if (row.type === 'tool.decision' || row.type === 'tool.result')
      ids.add(str(payload.toolUseId) ?? `seq:${row.seq}`);
    if (row.type === 'api.response') {
      for (const use of toolUsesOf(payload)) ids.add(use.id);
      const requestNo = num(payload.requestNo);
      if (requestNo !== null) requests.add(requestNo);
    }
  }
  return { toolUseIds: [...ids], requestNos: [...requests] };
}

/** Subagent lifetimes from a session's `subagent.start` and `subagent.stop` entries. */
export function subagentSpans(parsed: readonly ParsedRow[]): SubagentSpan[] {
  const spans = new Map<string, SubagentSpan>();
  for (const { row, payload } of parsed) {
    const raw = isObj(payload.raw) ? payload.raw : {};
    const agentId = str(raw.agent_id);
    if (!agentId) continue;
    const span = spans.get(agentId) ?? {
      agentId,
      agentType: str(raw.agent_type),
      startSeq: row.seq,
      stopSeq: null,
    };
    if (row.type === 'subagent.start') span.startSeq = row.seq;
    if (row.type === 'subagent.stop') span.stopSeq = row.seq;
    spans.set(agentId, span);
  }
  return [...spans.values()].sort((a, b) => a.startSeq - b.startSeq);
}

/**
 * Which thread an API response belongs to. The hooks name the subagent of every tool call they
 * see, so a response that asked for a call belongs to that call's agent. A response without
 * tool calls belongs to the main conversation unless its request carried a subagent's system
 * prompt; then it belongs to the subagent running at the time (the latest started of those
 * running, when several run at once: an approximation, since the request itself names none).
 */
function threadOf(
  seq: number,
  uses: readonly { id: string }[],
  turn: ApiTurnRow | undefined,
  ctx: TimelineContext,
) {
  for (const use of uses) {
    const call = ctx.calls.get(use.id);
    if (call?.agentId) return call.agentId;
    if (call && call.decisionSeq !== null) return null;
  }
  if (!turn?.subagent) return null;
  const running = ctx.spans.filter((s) => s.startSeq < seq && (s.stopSeq === null || s.stopSeq > seq));
  return running.at(-1)?.agentId ?? null;
}

function parseInput(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function toolCallView(call: ToolCallRow): ToolCallView {
  return {
    toolUseId: call.toolUseId,
    toolName: call.toolName,
    mcpServer: call.mcpServer,
    agentId: call.agentId,
    agentType: call.agentType,
    input: parseInput(call.input),
    decision:
      call.decisionSeq === null
        ? null
        : {
            effect: call.effect,
            rule: call.rule,
            reason: call.reason,
            detail: call.detail,
            mode: call.mode,
            policyHash: call.policyHash,
            monitor: parseInput(call.monitor),
          },
    result:
      call.resultSeq === null
        ? null
        : { durationMs: call.durationMs, error: call.error, response: call.response, seq: call.resultSeq },
    modelResult:
      call.modelResult === null ? null : { text: call.modelResult, isError: call.modelResultError === true },
    spawnedAgentId: call.spawnedAgentId,
  };
}

function responseError(payload: Obj): string | null {
  const status = num(payload.status);
  const stream = payload.streamError;
  if (stream !== undefined && stream !== null)
    return typeof stream === 'string' ? stream : JSON.stringify(stream);
  if (status !== null && status !== 200)
    return `HTTP ${status}${typeof payload.errorBody === 'string' ? `: ${payload.errorBody}` : ''}`;
  return null;
}

/**
 * Turns a page of raw entries into what a human reads: prompts; assistant turns, each with the
 * tool calls it asked for inline (joined by tool-use id with the call's policy decision, its
 * result, and what the model was told), attributed to the main conversation or a subagent; and
 * subagent start/stop markers. A decision or result whose tool_use no recorded response carries
 * stands on its own. Never throws on odd payloads: unknown shapes fall back to a raw `event`.
 */
export function toTimeline(parsed: readonly ParsedRow[], ctx: TimelineContext): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const { row, payload } of parsed) {
    const base = { seq: row.seq, time: new Date(row.timeMs).toISOString() };
    switch (row.type) {
      case 'prompt':
        items.push({ ...base, kind: 'prompt', text: str(payload.text) ?? '' });
        break;
      case 'api.response': {
        const blocks = Array.isArray(payload.content) ? payload.content : [];
        const texts: string[] = [];
        const thinking: string[] = [];
        for (const block of blocks) {
          if (!isObj(block)) continue;
          if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
          if (block.type === 'thinking' && typeof block.thinking === 'string') thinking.push(block.thinking);
          if (block.type === 'redacted_thinking') thinking.push('(redacted thinking)');
        }
        const uses = toolUsesOf(payload);
        const requestNo = num(payload.requestNo);
        const usage = isObj(payload.usage) ? payload.usage : null;
        items.push({
          ...base,
          kind: 'assistant',
          text: texts.join('\n'),
          thinking: thinking.length > 0 ? thinking.join('\n\n') : null,
          toolCalls: uses.map((use) => {
            const call = ctx.calls.get(use.id);
            if (call) return toolCallView(call);
            return {
              toolUseId: use.id,
              toolName: use.name,
              mcpServer: /^mcp__(.+?)__/.exec(use.name)?.[1] ?? null,
              agentId: null,
              agentType: null,
              input: use.input,
              decision: null,
              result: null,
              modelResult: null,
              spawnedAgentId: null,
            };
          }),
          stopReason: str(payload.stopReason),
          model: str(payload.model),
          agentId: threadOf(row.seq, uses, requestNo === null ? undefined : ctx.turns.get(requestNo), ctx),
          error: responseError(payload),
          usage: usage
            ? { inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens) }
            : null,
        });
        break;
      }
      case 'tool.decision':
      case 'tool.result': {
        const call = ctx.calls.get(str(payload.toolUseId) ?? `seq:${row.seq}`);
        // Shown inline with the response that asked for it; a result shows with its decision.
        if (call && call.requestedSeq !== null) break;
        if (row.type === 'tool.result' && call && call.decisionSeq !== null) break;
        if (call) items.push({ ...base, kind: 'tool_call', ...toolCallView(call) });
        else items.push({ ...base, kind: 'event', type: row.type, payload });
        break;
      }
      case 'subagent.start':
      case 'subagent.stop': {
        const raw = isObj(payload.raw) ? payload.raw : {};
        items.push({
          ...base,
          kind: row.type,
          agentId: str(raw.agent_id),
          agentType: str(raw.agent_type),
          lastMessage: str(raw.last_assistant_message),
        });
        break;
      }
      default:
        items.push({ ...base, kind: 'event', type: row.type, payload });
    }
  }
  return items;
}
