import { canonicalJson, toJsonValue } from '@ceros/protocol';

/**
 * Claude Code runs every matching PreToolUse hook in parallel and uses the `updatedInput` one of
 * them returns (claude-code-surface.md 1.3), so a hook of another source can replace the input
 * ceros decided on. ceros refuses to start with such hooks unless the user approved them (the
 * inventory stage); this watch is the evidence for the ones approved: PostToolUse carries the
 * input that ran, and one that differs from the decided input is journaled as an alert.
 */
export interface RewriteWatch {
  decided(toolUseId: string | null, input: unknown): void;
  /** The decided input when the input that ran differs from it; null when they agree or it is unknown. */
  ran(toolUseId: string | null, input: unknown): { decided: unknown } | null;
}

const MAX_TRACKED = 4096;

export function createRewriteWatch(): RewriteWatch {
  const decided = new Map<string, { key: string; input: unknown }>();
  return {
    decided(toolUseId, input) {
      if (!toolUseId) return;
      if (decided.size >= MAX_TRACKED) decided.delete(decided.keys().next().value as string);
      decided.set(toolUseId, { key: canonicalJson(toJsonValue(input)), input });
    },
    ran(toolUseId, input) {
      if (!toolUseId) return null;
      const before = decided.get(toolUseId);
      if (!before) return null;
      decided.delete(toolUseId);
      return before.key === canonicalJson(toJsonValue(input)) ? null : { decided: before.input };
    },
  };
}
