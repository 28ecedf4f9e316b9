import { readFileSync } from 'node:fs';
import { sha256Hex } from '@ceros/protocol';
import type { Decide, Decision } from './decision.ts';

/**
 * The spine's minimal rule file: deny (or ask) tools by name. The full policy engine (@ceros/policy)
 * plugs into the same `Decide` seam. Format:
 * `{ "version": 1, "rules": [ { "id": "no-bash", "tools": ["Bash"], "effect": "deny", "reason": "..." } ] }`
 */
export interface LoadedPolicy {
  decide: Decide;
  hash: string;
  permissionsDeny: string[];
}

export function loadSimplePolicy(path: string): LoadedPolicy {
  const text = readFileSync(path, 'utf8');
  const hash = sha256Hex(text);
  const doc = JSON.parse(text) as { version?: unknown; rules?: unknown };
  if (doc.version !== 1 || !Array.isArray(doc.rules))
    throw new Error(`Policy "${path}" must have "version": 1 and a "rules" array`);
  const rules = doc.rules.map((rule, index) => {
    const r = rule as { id?: unknown; tools?: unknown; effect?: unknown; reason?: unknown };
    if (typeof r.id !== 'string' || !Array.isArray(r.tools) || (r.effect !== 'deny' && r.effect !== 'ask')) {
      throw new Error(`Policy "${path}": rules[${index}] needs "id", "tools" and an "effect" of deny or ask`);
    }
    return {
      id: r.id,
      tools: new Set(r.tools.map(String)),
      effect: r.effect as 'deny' | 'ask',
      reason: String(r.reason ?? `Denied by rule ${r.id}`),
    };
  });
  const decide: Decide = (call) => {
    for (const rule of rules) {
      if (rule.tools.has(call.toolName)) {
        const decision: Decision = {
          effect: rule.effect,
          rule: rule.id,
          reason: rule.reason,
          policyHash: hash,
          mode: 'enforce',
        };
        return decision;
      }
    }
    return { effect: 'allow', rule: null, reason: 'No rule matched', policyHash: hash, mode: 'enforce' };
  };
  // Whole-tool denies stay in the hook layer: as permissions.deny entries Claude Code would hide the
  // tool, and the model would see "No such tool" instead of the reason (checked with 2.1.197).
  const permissionsDeny: string[] = [];
  return { decide, hash, permissionsDeny };
}
