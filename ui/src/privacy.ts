import type { Api } from './api.ts';

/** The privacy tier in force: the organization's published policy's `privacy` section. */
export interface PrivacyInForce {
  tier: 'metadata' | 'arguments' | 'full';
  /** True when the policy does not say (full content is the default). */
  byDefault: boolean;
  retention: { arguments: number | null; content: number | null };
  policy: string | null;
}

const TIERS = new Set(['metadata', 'arguments', 'full']);

/**
 * Reads `privacy.tier` and `privacy.retention` from a policy's source, YAML or JSON, without a
 * YAML parser in the console (the edge validated the source with @ceros/policy at publish).
 */
export function privacyOf(source: string): Omit<PrivacyInForce, 'policy'> {
  const json = /"privacy"\s*:\s*(\{[^{}]*(?:\{[^{}]*\}[^{}]*)?\})/.exec(source);
  let block = json?.[1] ?? '';
  if (!json) {
    const inline = /^privacy:[ \t]*(\{.*\})[ \t]*$/m.exec(source);
    const nested = /^privacy:[ \t]*\n((?:[ \t]+.*(?:\n|$))+)/m.exec(source);
    block = inline?.[1] ?? nested?.[1] ?? '';
  }
  const tier = /["']?tier["']?\s*:\s*["']?([a-z]+)/.exec(block)?.[1] ?? '';
  const days = (name: string) => {
    const value = new RegExp(`["']?${name}["']?\\s*:\\s*(\\d+)`).exec(block)?.[1];
    return value === undefined ? null : Number(value);
  };
  return TIERS.has(tier)
    ? {
        tier: tier as PrivacyInForce['tier'],
        byDefault: false,
        retention: { arguments: days('arguments'), content: days('content') },
      }
    : { tier: 'full', byDefault: true, retention: { arguments: null, content: null } };
}

export async function privacyInForce(api: Pick<Api, 'policies' | 'policy'>): Promise<PrivacyInForce> {
  const published = (await api.policies()).find((p) => p.publishedVersion !== null);
  if (!published) return { ...privacyOf(''), policy: null };
  const detail = await api.policy(published.id);
  const version = detail.versions.find((v) => v.version === published.publishedVersion);
  return { ...privacyOf(version?.source ?? ''), policy: `${published.name} v${published.publishedVersion}` };
}
