import type { PolicyDocument, PrivacyTier } from '../document/schema.ts';
import { createDetector, type Detector, type DetectorOptions } from './detect.ts';
import { DEFAULT_ENTROPY } from './entropy.ts';

/** Without a policy (or a `redaction` section) every vendored rule and the entropy check run. */
export function detectorOptions(doc: PolicyDocument | undefined): DetectorOptions {
  const section = doc?.redaction;
  const entropy = section?.entropy;
  return {
    patterns: (section?.patterns ?? []).map((p) => ({
      id: p.id,
      regex: p.regex,
      keywords: p.keywords,
      entropy: p.entropy,
      secretGroup: p.secretGroup,
    })),
    disable: section?.disable ?? [],
    entropy:
      entropy === false
        ? false
        : {
            threshold: entropy?.threshold ?? DEFAULT_ENTROPY.threshold,
            minLength: entropy?.minLength ?? DEFAULT_ENTROPY.minLength,
            maxLength: DEFAULT_ENTROPY.maxLength,
          },
  };
}

const detectors = new WeakMap<object, Detector>();
let defaultDetector: Detector | undefined;

/** The detector a policy configures, built once per compiled policy (or once for no policy). */
export function policyDetector(policy: { document: PolicyDocument } | undefined): Detector {
  if (!policy) {
    defaultDetector ??= createDetector(detectorOptions(undefined));
    return defaultDetector;
  }
  let detector = detectors.get(policy);
  if (!detector) {
    detector = createDetector(detectorOptions(policy.document));
    detectors.set(policy, detector);
  }
  return detector;
}

/** The privacy tier in force: `full` unless the policy says otherwise. */
export function privacyTier(doc: PolicyDocument | undefined): PrivacyTier {
  return doc?.privacy?.tier ?? 'full';
}
