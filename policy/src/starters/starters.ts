import { PolicyError } from '../errors.ts';
import { BASELINE_POLICY_YAML } from './baseline.ts';
import { STRICT_POLICY_YAML } from './strict.ts';

export const STARTER_NAMES = ['baseline', 'strict'] as const;
export type StarterName = (typeof STARTER_NAMES)[number];

const STARTERS: Record<StarterName, string> = { baseline: BASELINE_POLICY_YAML, strict: STRICT_POLICY_YAML };

export function isStarterName(name: string): name is StarterName {
  return (STARTER_NAMES as readonly string[]).includes(name);
}

/** The YAML text of a shipped starter policy. */
export function starterPolicy(name: string): string {
  if (!isStarterName(name)) {
    throw new PolicyError(
      'UNKNOWN_STARTER',
      `Cannot find starter policy "${name}" (available: ${STARTER_NAMES.join(', ')})`,
    );
  }
  return STARTERS[name];
}
