/**
 * ok: the property holds, with evidence. failed: it was determined not to hold. unknown: it could
 * not be determined (timeout, permissions, no source on this OS). Never a silent true.
 */
export type ProbeStatus = 'ok' | 'failed' | 'unknown';

export interface ProbeResult<T> {
  status: ProbeStatus;
  value?: T;
  /** What was read and where, so a reviewer can check the verdict. Never empty. */
  evidence: string;
  /** Time the probe took. Excluded from the digest. */
  ms: number;
}

/** What a probe function returns; `runProbe` adds the timing. */
export type ProbeOutcome<T> = Omit<ProbeResult<T>, 'ms'>;

export interface OsInfo {
  name: string;
  version: string | null;
  build: string | null;
}

export interface KernelInfo {
  release: string;
  version: string | null;
}

export interface UserInfo {
  name: string | null;
  /** Decimal uid on Linux and macOS, SID on Windows. */
  uid: string | null;
}

export type VolumeRole = 'home' | 'project';

export interface VolumeEncryption {
  role: VolumeRole;
  path: string;
  status: ProbeStatus;
  /** The device or volume the path lives on (`/dev/vda (254:0)`, `disk3s5`, `C:`). */
  device: string | null;
  /** `dm-crypt (LUKS2)`, `FileVault`, `BitLocker`, ... when encrypted. */
  mechanism: string | null;
  evidence: string;
}

export interface DiskEncryptionInfo {
  volumes: VolumeEncryption[];
}

/** `unsupported`: legacy BIOS boot, or firmware without Secure Boot. */
export type SecureBootState = 'on' | 'off' | 'unsupported';

export interface FirewallInfo {
  enabled: boolean;
  /** Which firewall: `ufw`, `firewalld`, `nftables`, `Application Firewall`, `Windows Firewall`. */
  source: string;
}

export interface ScreenLockInfo {
  enabled: boolean;
  /** Idle seconds before the lock (0: immediately); null when not readable. */
  delaySeconds: number | null;
}

export interface EndpointProtectionInfo {
  /** Catalog ids of products with a running process (`osquery`, `crowdstrike`, ...). */
  running: string[];
  /** Catalog ids of products found installed (path present), running or not. */
  installed: string[];
}

/** OS code-integrity mechanisms and whether each is enforcing (SIP, Gatekeeper, lockdown, HVCI). */
export type CodeIntegrityInfo = Record<string, boolean>;

export interface BinaryIdentity {
  path: string;
  version: string | null;
  sha256: string;
  size: number;
}

export interface PostureProbes {
  os: ProbeResult<OsInfo>;
  kernel: ProbeResult<KernelInfo>;
  arch: ProbeResult<string>;
  hostname: ProbeResult<string>;
  user: ProbeResult<UserInfo>;
  diskEncryption: ProbeResult<DiskEncryptionInfo>;
  secureBoot: ProbeResult<SecureBootState>;
  firewall: ProbeResult<FirewallInfo>;
  screenLock: ProbeResult<ScreenLockInfo>;
  endpointProtection: ProbeResult<EndpointProtectionInfo>;
  codeIntegrity: ProbeResult<CodeIntegrityInfo>;
  ceros: ProbeResult<BinaryIdentity>;
  claudeCode: ProbeResult<BinaryIdentity>;
}

export type ProbeName = keyof PostureProbes;

export const PROBE_NAMES: readonly ProbeName[] = [
  'os',
  'kernel',
  'arch',
  'hostname',
  'user',
  'diskEncryption',
  'secureBoot',
  'firewall',
  'screenLock',
  'endpointProtection',
  'codeIntegrity',
  'ceros',
  'claudeCode',
];

export interface PostureSnapshot {
  v: 1;
  platform: string;
  /** When the capture started. Excluded from the digest. */
  capturedAt: string;
  /** Wall time of the whole capture. Excluded from the digest. */
  totalMs: number;
  probes: PostureProbes;
}

/**
 * The OS-specific probes; `capturePosture` adds timing, timeouts and the binary identities. A
 * probe that only reads procfs or sysfs is synchronous (and timed exactly); one that spawns a
 * command or may block on a filesystem is asynchronous.
 */
export type PlatformProbes = {
  [K in Exclude<ProbeName, 'ceros' | 'claudeCode'>]: () =>
    | Promise<ProbeOutcome<NonNullable<PostureProbes[K]['value']>>>
    | ProbeOutcome<NonNullable<PostureProbes[K]['value']>>;
};
