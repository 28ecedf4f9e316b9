import type { PrivacyTier } from '@ceros/policy';

/**
 * What each privacy tier keeps of an entry, applied on the device before the entry is signed, so
 * what a tier leaves out never reaches the journal, the edge or its search index, and nothing
 * signed ever has to be removed to honour the tier (docs/privacy.md).
 * - `metadata`: who, when, which tool, the decision and its rule, sizes; no arguments, no content.
 * - `arguments`: also the tool inputs (commands, paths, URLs) and the model's tool calls.
 * - `full`: also prompts, tool outputs, model text, system prompts and messages.
 */
type FieldClass = 'arguments' | 'content';

/** Payload fields by entry type and the class of what they hold. */
const FIELDS: Readonly<Record<string, Readonly<Record<string, FieldClass>>>> = {
  prompt: { text: 'content' },
  'tool.decision': { toolInput: 'arguments' },
  'tool.result': { toolInput: 'arguments', response: 'content', error: 'content' },
  'api.request': { newMessages: 'content' },
  'api.response': { content: 'content', errorBody: 'content', streamError: 'content' },
  'system.prompt': { system: 'content' },
  'session.start': { claudeArgs: 'content' },
  'hook.permission-request': { raw: 'arguments' },
  'hook.config-change': { raw: 'content' },
  'hook.session-start': { raw: 'content' },
  'hook.post-tool-batch': { raw: 'content' },
  'hook.stop': { raw: 'content' },
  'hook.session-end': { raw: 'content' },
  'subagent.start': { raw: 'content' },
  'subagent.stop': { raw: 'content' },
  'hook.rejected': { head: 'content' },
};

const KEEPS: Readonly<Record<PrivacyTier, ReadonlySet<FieldClass>>> = {
  metadata: new Set(),
  arguments: new Set(['arguments']),
  full: new Set(['arguments', 'content']),
};

/** The model's tool calls are arguments: under `arguments` they stay, with their text dropped. */
function toolUsesOnly(content: unknown): unknown {
  if (!Array.isArray(content)) return null;
  return content
    .filter((block) => (block as { type?: unknown } | null)?.type === 'tool_use')
    .map((block) => {
      const { type, id, name, input } = block as Record<string, unknown>;
      return { type, id, name, input };
    });
}

function size(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * The payload as the tier keeps it. Fields left out become null and are listed, with their size,
 * in `$privacy`, so a reader sees that something was there and why it is not.
 */
export function applyPrivacyTier(type: string, payload: unknown, tier: PrivacyTier): unknown {
  if (tier === 'full') return payload;
  const fields = FIELDS[type];
  if (!fields || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const keeps = KEEPS[tier];
  const out: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  const omitted: Record<string, number> = {};
  for (const [field, kind] of Object.entries(fields)) {
    if (!(field in out) || out[field] === null || keeps.has(kind)) continue;
    omitted[field] = size(out[field]);
    out[field] =
      type === 'api.response' && field === 'content' && tier === 'arguments'
        ? toolUsesOnly(out[field])
        : null;
  }
  if (Object.keys(omitted).length > 0) out.$privacy = { tier, omitted };
  return out;
}
