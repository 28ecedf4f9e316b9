import type { EntryRow, ToolCallRow } from '../store/store.ts';

/** Entry types a conversation view shows; key material, definitions and raw API requests are left out. */
export const TIMELINE_TYPES = [
  'session.start',
  'session.end',
  'prompt',
  'api.response',
  'tool.decision',
  'tool.result',
  'subagent.start',
  'subagent.stop',
  'mcp.server',
  'posture.change',
  'alert',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

export interface ToolCallView {
  toolUseId: string;
  toolName: string;
  mcpServer: string | null;
  agentId: string | null;
  input: unknown;
  decision: { effect: string | null; rule: string | null; reason: string | null; mode: string | null } | null;
  result: {
    durationMs: number | null;
    error: string | null;
    response: string | null;
    seq: number | null;
  } | null;
}

export type TimelineItem = { seq: number; time: string } & (
  | { kind: 'prompt'; text: string }
  | {
      kind: 'assistant';
      text: string;
      toolUses: { id: string; name: string; input: Json }[];
      stopReason: string | null;
      agentId: string | null;
    }
  | ({ kind: 'tool_call' } & ToolCallView)
  | { kind: 'subagent.start' | 'subagent.stop'; agentId: string | null; agentType: string | null }
  | { kind: 'event'; type: string; payload: Json }
);

function parseInput(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toolCallView(call: ToolCallRow): ToolCallView {
  return {
    toolUseId: call.toolUseId,
    toolName: call.toolName,
    mcpServer: call.mcpServer,
    agentId: call.agentId,
    input: parseInput(call.input),
    decision:
      call.decisionSeq === null
        ? null
        : { effect: call.effect, rule: call.rule, reason: call.reason, mode: call.mode },
    result:
      call.resultSeq === null
        ? null
        : { durationMs: call.durationMs, error: call.error, response: call.response, seq: call.resultSeq },
  };
}

/**
 * Turns a page of raw entries into what a human reads: prompts, assistant turns with the tool
 * calls they made, each tool call inline with its policy decision and result (attached from the
 * projected tool-call row, so a result that lands on a later page still shows), and subagent
 * start/stop markers. Never throws on odd payloads: unknown shapes fall back to a raw `event`.
 */
export function toTimeline(
  rows: readonly EntryRow[],
  calls: ReadonlyMap<string, ToolCallRow>,
): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const row of rows) {
    let entry: Obj;
    try {
      entry = JSON.parse(row.bytes) as Obj;
    } catch {
      continue;
    }
    const payload: Obj = isObj(entry.payload) ? entry.payload : {};
    const base = { seq: row.seq, time: new Date(row.timeMs).toISOString() };
    switch (row.type) {
      case 'prompt':
        items.push({ ...base, kind: 'prompt', text: str(payload.text) ?? '' });
        break;
      case 'api.response': {
        const blocks = Array.isArray(payload.content) ? payload.content : [];
        const texts: string[] = [];
        const toolUses: { id: string; name: string; input: Json }[] = [];
        for (const block of blocks) {
          if (!isObj(block)) continue;
          if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
          if (block.type === 'tool_use')
            toolUses.push({
              id: str(block.id) ?? '',
              name: str(block.name) ?? '',
              input: block.input ?? null,
            });
        }
        items.push({
          ...base,
          kind: 'assistant',
          text: texts.join('\n'),
          toolUses,
          stopReason: str(payload.stopReason),
          agentId: str(payload.agentId),
        });
        break;
      }
      case 'tool.decision':
      case 'tool.result': {
        const id = str(payload.toolUseId) ?? `seq:${row.seq}`;
        const call = calls.get(id);
        // A result whose decision is recorded is shown with the decision, not twice.
        if (row.type === 'tool.result' && call?.decisionSeq !== null && call?.decisionSeq !== undefined)
          break;
        if (call) items.push({ ...base, kind: 'tool_call', ...toolCallView(call) });
        else items.push({ ...base, kind: 'event', type: row.type, payload });
        break;
      }
      case 'subagent.start':
      case 'subagent.stop':
        items.push({
          ...base,
          kind: row.type,
          agentId: str(payload.agentId),
          agentType: str(payload.agentType),
        });
        break;
      default:
        items.push({ ...base, kind: 'event', type: row.type, payload });
    }
  }
  return items;
}

/** Tool-use ids referenced by a page of entries, to fetch their projected tool-call rows in one query. */
export function toolUseIdsOf(rows: readonly EntryRow[]): string[] {
  const ids = new Set<string>();
  for (const row of rows) {
    if (row.type !== 'tool.decision' && row.type !== 'tool.result') continue;
    try {
      const entry = JSON.parse(row.bytes) as Obj;
      const payload = isObj(entry.payload) ? entry.payload : {};
      ids.add(str(payload.toolUseId) ?? `seq:${row.seq}`);
    } catch {
      // unreadable rows are skipped by toTimeline too
    }
  }
  return [...ids];
}
