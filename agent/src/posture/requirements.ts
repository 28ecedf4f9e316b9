import { DEFAULT_EDR_CATALOG, type EdrProduct } from './edr.ts';
import type { PostureSnapshot, ProbeName, ProbeResult, ProbeStatus, VolumeEncryption } from './types.ts';

/**
 * What a policy can require of the device. The policy document maps onto this shape; keep it
 * flat so that mapping stays trivial.
 */
export interface PostureRequirements {
  diskEncryption?: 'required';
  secureBoot?: 'required';
  firewall?: 'required';
  screenLock?: 'required';
  codeIntegrity?: 'required';
  /** 'required': any catalog product running. A list: any of these (catalog id or product name) running. */
  endpointProtection?: 'required' | readonly string[];
}

export type RequirementName = keyof PostureRequirements;

export interface UnmetRequirement {
  requirement: RequirementName;
  /** The probe's status: `failed` (determined not to hold) or `unknown` (could not be verified). */
  status: ProbeStatus;
  /** What to fix, action first: `Turn on FileVault for ...: evidence`. */
  message: string;
  evidence: string;
}

/**
 * Fail mode: a requirement the probe could not verify is unmet. A device that hides its state
 * (a timeout, a masked sysfs) must not pass a policy that asks for it.
 */
export const UNKNOWN_MEETS_REQUIREMENT = false;

type Advice = Partial<Record<string, string>> & { default: string };

const ADVICE: Record<Exclude<RequirementName, 'diskEncryption' | 'endpointProtection'>, Advice> = {
  secureBoot: {
    default: 'Turn on Secure Boot in the UEFI firmware settings',
    darwin: 'Restore Full Security in Startup Security Utility (recoveryOS)',
  },
  firewall: {
    default: 'Turn on the firewall',
    linux: 'Turn on a firewall ("sudo ufw enable", or start firewalld)',
    darwin: 'Turn on the firewall in System Settings > Network > Firewall',
    win32: 'Turn on Windows Firewall for the Domain, Private and Public profiles',
  },
  screenLock: {
    default: 'Turn on automatic screen lock',
    linux: 'Turn on automatic screen lock in the desktop settings (Privacy > Screen Lock)',
    darwin: 'Require a password immediately after sleep or the screen saver (Lock Screen settings)',
    win32: 'Turn on a password-protected screen saver or an inactivity lock policy',
  },
  codeIntegrity: {
    default: 'Turn on OS code integrity',
    linux: 'Boot a kernel with lockdown in integrity mode (Secure Boot turns it on in most distributions)',
    darwin:
      'Turn on System Integrity Protection ("csrutil enable" in recoveryOS) and Gatekeeper ("spctl --master-enable")',
    win32: 'Turn on Memory integrity in Windows Security > Device security > Core isolation',
  },
};

const ENCRYPTION_ADVICE: Partial<Record<string, string>> = {
  linux: 'set up LUKS (dm-crypt) for it',
  darwin: 'turn on FileVault in System Settings > Privacy & Security',
  win32: 'turn on BitLocker for it',
};

function advise(requirement: keyof typeof ADVICE, platform: string): string {
  const advice = ADVICE[requirement];
  return advice[platform] ?? advice.default;
}

function unverifiable(what: string, result: ProbeResult<unknown>): string {
  return `Make ${what} verifiable: ceros could not determine it (${result.evidence})`;
}

function diskEncryptionUnmet(snapshot: PostureSnapshot): UnmetRequirement[] {
  const probe = snapshot.probes.diskEncryption;
  if (probe.status === 'ok') return [];
  const volumes = probe.value?.volumes ?? [];
  if (volumes.length === 0)
    return [
      {
        requirement: 'diskEncryption',
        status: probe.status,
        message: unverifiable('disk encryption', probe),
        evidence: probe.evidence,
      },
    ];
  // One message per device: home and project usually share a volume.
  const byDevice = new Map<string, VolumeEncryption[]>();
  for (const volume of volumes) {
    if (volume.status === 'ok') continue;
    const key = volume.device ?? volume.path;
    byDevice.set(key, [...(byDevice.get(key) ?? []), volume]);
  }
  return [...byDevice.values()].map((group) => {
    const first = group[0] as VolumeEncryption;
    const holding = group
      .map((v) => `the ${v.role === 'home' ? 'home folder' : 'project'} "${v.path}"`)
      .join(' and ');
    const volume = `the volume${first.device ? ` ${first.device}` : ''} holding ${holding}`;
    const detail = group.map((v) => v.evidence).join('; ');
    const message =
      first.status === 'failed'
        ? `Encrypt ${volume}: it is not encrypted; ${ENCRYPTION_ADVICE[snapshot.platform] ?? 'turn on full-disk encryption'} (${detail})`
        : `Make disk encryption of ${volume} verifiable: ceros could not determine it (${detail})`;
    return { requirement: 'diskEncryption', status: first.status, message, evidence: detail };
  });
}

function endpointUnmet(
  snapshot: PostureSnapshot,
  wanted: 'required' | readonly string[],
  catalog: readonly EdrProduct[],
): UnmetRequirement[] {
  const probe = snapshot.probes.endpointProtection;
  const running = probe.value?.running ?? [];
  if (wanted === 'required') {
    if (probe.status === 'ok' && running.length > 0) return [];
    const message =
      probe.status === 'unknown'
        ? unverifiable('endpoint protection', probe)
        : `Start an endpoint protection agent: none is running (${probe.evidence})`;
    return [
      {
        requirement: 'endpointProtection',
        status: probe.status === 'ok' ? 'failed' : probe.status,
        message,
        evidence: probe.evidence,
      },
    ];
  }
  const matches = (name: string) => {
    const lower = name.toLowerCase();
    const product = catalog.find((p) => p.id.toLowerCase() === lower || p.name.toLowerCase() === lower);
    return running.some((id) =>
      product
        ? id === product.id
        : id.toLowerCase() === lower || id.toLowerCase() === `securitycenter:${lower}`,
    );
  };
  if (wanted.some(matches)) return [];
  const list = wanted.map((w) => `"${w}"`).join(', ');
  const status: ProbeStatus = probe.status === 'unknown' ? 'unknown' : 'failed';
  const message =
    status === 'unknown'
      ? `Make endpoint protection verifiable: ceros could not tell whether one of ${list} is running (${probe.evidence})`
      : `Start one of the required endpoint protection agents (${list}): none of them is running (${probe.evidence})`;
  return [{ requirement: 'endpointProtection', status, message, evidence: probe.evidence }];
}

/**
 * The requirements the snapshot does not meet, each with a message saying what to fix. Pure:
 * the same snapshot and requirements give the same answer. `unknown` counts as unmet
 * (UNKNOWN_MEETS_REQUIREMENT).
 */
export function checkRequirements(
  snapshot: PostureSnapshot,
  requirements: PostureRequirements,
  catalog: readonly EdrProduct[] = DEFAULT_EDR_CATALOG,
): UnmetRequirement[] {
  const unmet: UnmetRequirement[] = [];
  const simple = (requirement: keyof typeof ADVICE, probe: ProbeName, what: string) => {
    const result = snapshot.probes[probe];
    if (result.status === 'ok' || (result.status === 'unknown' && UNKNOWN_MEETS_REQUIREMENT)) return;
    const message =
      result.status === 'unknown'
        ? unverifiable(what, result)
        : requirement === 'secureBoot' && result.value === 'unsupported'
          ? `Boot in UEFI mode with Secure Boot on: ${result.evidence}`
          : `${advise(requirement, snapshot.platform)}: ${result.evidence}`;
    unmet.push({ requirement, status: result.status, message, evidence: result.evidence });
  };
  if (requirements.diskEncryption === 'required') unmet.push(...diskEncryptionUnmet(snapshot));
  if (requirements.secureBoot === 'required') simple('secureBoot', 'secureBoot', 'the Secure Boot state');
  if (requirements.firewall === 'required') simple('firewall', 'firewall', 'the firewall state');
  if (requirements.screenLock === 'required') simple('screenLock', 'screenLock', 'the screen lock setting');
  if (requirements.codeIntegrity === 'required')
    simple('codeIntegrity', 'codeIntegrity', 'OS code integrity');
  if (requirements.endpointProtection !== undefined)
    unmet.push(...endpointUnmet(snapshot, requirements.endpointProtection, catalog));
  return unmet;
}

/** The refusal text shown when a session cannot start: one line per thing to fix. */
export function explainUnmet(unmet: readonly UnmetRequirement[]): string {
  if (unmet.length === 0) return 'The device meets the posture policy';
  return [
    `Cannot start Claude Code: this device does not meet ${unmet.length === 1 ? 'a posture requirement' : `${unmet.length} posture requirements`} of the policy`,
    ...unmet.map((u) => `  - ${u.message}`),
  ].join('\n');
}
