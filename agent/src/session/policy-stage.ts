import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrustedKey, VerifiedBundle } from '@ceros/policy';
import { EXIT } from '../cli/command.ts';
import type { EdgeConfig, FetchResult } from '../edge-client/index.ts';
import {
  loadPolicyFile,
  policyBanner,
  readLastGoodBundle,
  type SessionPolicy,
  saveLastGoodBundle,
  starterSessionPolicy,
} from './session-policy.ts';
import { type Progress, type StageResult, stageFailure, withTimeout } from './stage.ts';

/** Fetches the organization's current bundle from the edge (device-signed), verified. */
export type FetchPolicyBundle = (options: {
  trustedKeys: readonly TrustedKey[];
  lastVersion?: number;
}) => Promise<FetchResult<VerifiedBundle>>;

export interface PolicyStageInput {
  /** `--policy FILE`, resolved against the working folder. */
  policyFile: string | null;
  allowUnsignedPolicy: boolean;
  noPolicyDev: boolean;
  enrolled: EdgeConfig | null;
}

export interface PolicyStageDeps {
  home: string;
  progress: Progress;
  /** Present when the device is enrolled. */
  fetchBundle?: FetchPolicyBundle;
}

export interface PolicyChoice {
  /** The policy in force; null only with --no-policy-dev. */
  policy: SessionPolicy | null;
  /** Keys that may sign bundles: the organization's and `CEROS_HOME/policy/trusted-keys.json`. */
  trustedKeys: TrustedKey[];
}

/** Edge requests at session start may not hold up the agent for long: the last good copy stands in. */
export const EDGE_START_TIMEOUT_MS = 5_000;

/**
 * Policy stage: `--policy FILE` (a signed bundle, or an unsigned document with the development
 * flag), else the organization's bundle from the edge (or the last good one), else the baseline
 * starter: never nothing, unless --no-policy-dev says so on a device that is not enrolled. Prints
 * the one banner line that says which policy is in force.
 */
export async function runPolicyStage(
  input: PolicyStageInput,
  deps: PolicyStageDeps,
): Promise<StageResult<PolicyChoice>> {
  const { enrolled } = input;
  if (input.noPolicyDev && enrolled)
    return stageFailure(
      `Refusing --no-policy-dev: this device is enrolled with "${enrolled.org.slug}", whose policy applies to every session`,
      EXIT.REFUSED,
    );
  const trustedKeys: TrustedKey[] = enrolled
    ? [{ keyId: enrolled.orgSigningKeyId, publicKey: enrolled.orgSigningKey }]
    : [];
  trustedKeys.push(...readTrustedKeys(deps.home));
  let policy: SessionPolicy | null = null;
  if (input.policyFile) {
    const loaded = loadPolicyFile(input.policyFile, {
      home: deps.home,
      trustedKeys,
      allowUnsigned: input.allowUnsignedPolicy,
    });
    if (!loaded.ok) return stageFailure(loaded.error, EXIT.REFUSED);
    for (const warning of loaded.warnings) deps.progress(`ceros: ${warning}`);
    policy = loaded.value;
  } else if (enrolled && deps.fetchBundle) {
    policy = await edgePolicy(enrolled.edgeUrl, deps.home, trustedKeys, deps.fetchBundle, deps.progress);
  }
  // Open by default is not an option: with no policy configured, the baseline starter applies.
  if (!policy && !input.noPolicyDev)
    policy = starterSessionPolicy(
      enrolled
        ? 'your organization has published no policy yet'
        : 'no policy is configured (pass --policy FILE, or enroll this device with your organization)',
    );
  deps.progress(policyBanner(policy, enrolled?.edgeUrl ?? null));
  return { ok: true, value: { policy, trustedKeys } };
}

/** The organization's current policy from the edge, or the last good bundle when it cannot be had. */
async function edgePolicy(
  edgeUrl: string,
  home: string,
  trustedKeys: TrustedKey[],
  fetchBundle: FetchPolicyBundle,
  progress: Progress,
): Promise<SessionPolicy | null> {
  const lastGood = readLastGoodBundle(home, trustedKeys);
  try {
    const fetched = await withTimeout(
      fetchBundle({
        trustedKeys,
        ...(lastGood?.source.version ? { lastVersion: lastGood.source.version } : {}),
      }),
      EDGE_START_TIMEOUT_MS,
      'the edge',
    );
    if (fetched.status === 'ok') {
      saveLastGoodBundle(home, JSON.parse(fetched.raw));
      return fromEdge(readLastGoodBundle(home, trustedKeys));
    }
    return fetched.status === 'not-modified' ? fromEdge(lastGood) : lastGood;
  } catch (error) {
    if (lastGood)
      progress(
        `ceros: Cannot fetch the policy from ${edgeUrl} (${(error as Error).message}); using the last good bundle`,
      );
    return lastGood;
  }
}

/** A newer signed bundle from the edge, verified (never older than the last good one), or null. */
export async function pollEdgePolicy(
  fetchBundle: FetchPolicyBundle,
  home: string,
  trustedKeys: readonly TrustedKey[],
  lastVersion: number | undefined,
): Promise<SessionPolicy | null> {
  const fetched = await fetchBundle({ trustedKeys, ...(lastVersion ? { lastVersion } : {}) });
  if (fetched.status !== 'ok') return null;
  saveLastGoodBundle(home, JSON.parse(fetched.raw));
  return fromEdge(readLastGoodBundle(home, trustedKeys));
}

/** A bundle the edge just served (or confirmed unchanged): the journal says so, not "last good". */
function fromEdge(policy: SessionPolicy | null): SessionPolicy | null {
  return policy && { ...policy, source: { ...policy.source, kind: 'edge' } };
}

/** Keys that may sign policy bundles besides the organization's: `CEROS_HOME/policy/trusted-keys.json`. */
function readTrustedKeys(home: string): TrustedKey[] {
  const path = join(home, 'policy', 'trusted-keys.json');
  if (!existsSync(path)) return [];
  try {
    const keys = JSON.parse(readFileSync(path, 'utf8')) as TrustedKey[];
    return Array.isArray(keys) ? keys : [];
  } catch {
    return [];
  }
}
