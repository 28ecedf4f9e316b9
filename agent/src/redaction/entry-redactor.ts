import {
  type CompiledPolicy,
  type Detector,
  policyDetector,
  privacyTier,
  type Redaction,
  redactAsync,
  redactSync,
} from '@ceros/policy';
import { type JsonValue, SESSION_KEY_ENTRY } from '@ceros/protocol';
import { applyPrivacyTier } from './privacy-tier.ts';
import { keyedHasher, loadOrCreateRedactionKey } from './redaction-key.ts';

/**
 * What the journal writer does to every payload before it is signed: the privacy tier first
 * (what the tier leaves out is never scanned, signed or sent), then secret redaction with the
 * policy's detector (the vendored rules, the organization's patterns, the entropy check). Counts
 * by type go into the entry as `$redactions`; an incomplete scan (out of budget) is marked
 * `$redactionIncomplete` and has replaced every long string.
 */
export interface EntryRedactor {
  redact(type: string, payload: JsonValue): JsonValue;
  /** The same, pausing between steps so other work (a hook's decision) runs meanwhile. */
  redactLater(type: string, payload: JsonValue): Promise<JsonValue>;
}

export interface EntryRedactorOptions {
  /** CEROS_HOME: where the redaction key is (created 0600 on first use). */
  home: string;
  /** The policy in force, read at each entry (a mid-session policy update takes effect at once). */
  policy?: () => CompiledPolicy | undefined;
  /** The scan's time budget per entry. */
  maxMillis?: number;
}

/** The session's key certificate is ceros's own, and must stay byte-exact to verify. */
const EXEMPT = new Set([SESSION_KEY_ENTRY]);

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createEntryRedactor(options: EntryRedactorOptions): EntryRedactor {
  const keyedHash = keyedHasher(loadOrCreateRedactionKey(options.home));
  const current = (): { detector: Detector; tier: ReturnType<typeof privacyTier> } => {
    const policy = options.policy?.();
    return { detector: policyDetector(policy), tier: privacyTier(policy?.document) };
  };
  const finish = (result: Redaction<unknown>): JsonValue => {
    const value = result.value as JsonValue;
    if (Object.keys(result.counts).length === 0) return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    return {
      ...value,
      $redactions: result.counts,
      ...(result.complete ? {} : { $redactionIncomplete: true }),
    };
  };
  const budget = { keyedHash, ...(options.maxMillis ? { maxMillis: options.maxMillis } : {}) };
  return {
    redact(type, payload) {
      if (EXEMPT.has(type)) return payload;
      const { detector, tier } = current();
      return finish(redactSync(applyPrivacyTier(type, payload, tier), detector, budget));
    },
    async redactLater(type, payload) {
      if (EXEMPT.has(type)) return payload;
      const { detector, tier } = current();
      return finish(await redactAsync(applyPrivacyTier(type, payload, tier), detector, { ...budget, pause }));
    },
  };
}
