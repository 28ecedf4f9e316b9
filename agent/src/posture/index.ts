/**
 * Device posture: what the machine running Claude Code looks like, captured at session start,
 * reassessed through the session and checked against the policy. The public surface of
 * agent/src/posture; adding an export is an API decision.
 */
export {
  type ClaudeBinaryLocation,
  type FindClaudeOptions,
  findClaudeBinary,
  readClaudeVersion,
} from './binaries.ts';
export {
  type CapturePostureOptions,
  capturePosture,
  DEFAULT_HASH_TIMEOUT_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
} from './capture-posture.ts';
export { captureTrust, type TrustCapture } from './capture-trust.ts';
export { diffPosture, type PostureChange } from './diff.ts';
export { postureContent, postureDigest } from './digest.ts';
export {
  DEFAULT_EDR_CATALOG,
  type EdrProduct,
  type EndpointScan,
  matchEndpointProtection,
  type ObservedProcess,
} from './edr.ts';
export {
  DEFAULT_END_GRACE_MS,
  DEFAULT_ON_UNMET_MID_SESSION,
  decidePostureAction,
  type EndProcessOptions,
  endProcess,
  nodeProcessControl,
  type OnUnmetMidSession,
  type PostureAction,
  type ProcessControl,
} from './enforce.ts';
export {
  type CommandRunner,
  createFakeCommandRunner,
  createNodeCommandRunner,
  type ExecResult,
  type RecordedOutputs,
} from './exec.ts';
export { createFakeSnapshot } from './fake-snapshot.ts';
export { type HostInfo, nodeHostInfo } from './host.ts';
export {
  createPostureMonitor,
  DEFAULT_REASSESS_INTERVAL_MS,
  type PostureMonitor,
  type PostureMonitorOptions,
} from './monitor.ts';
export {
  checkRequirements,
  explainUnmet,
  type PostureRequirements,
  type RequirementName,
  UNKNOWN_MEETS_REQUIREMENT,
  type UnmetRequirement,
} from './requirements.ts';
export {
  type BinaryIdentity,
  type CodeIntegrityInfo,
  type DiskEncryptionInfo,
  type EndpointProtectionInfo,
  type FirewallInfo,
  type KernelInfo,
  type OsInfo,
  type PostureProbes,
  type PostureSnapshot,
  PROBE_NAMES,
  type ProbeName,
  type ProbeResult,
  type ProbeStatus,
  type ScreenLockInfo,
  type SecureBootState,
  type UserInfo,
  type VolumeEncryption,
  type VolumeRole,
} from './types.ts';
