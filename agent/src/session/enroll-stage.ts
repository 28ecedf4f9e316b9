import type { CommandResult } from '../cli/command.ts';
import { EXIT } from '../cli/command.ts';
import type { EdgeConfig, ReadResult } from '../edge-client/config.ts';
import type { InstallHint } from '../edge-client/index.ts';
import type { DeviceIdentity } from './identity.ts';
import { type Progress, type StageResult, stageFailure } from './stage.ts';

/** Who this device is: its key, and the organization it is enrolled with (null in local mode). */
export interface Enrollment {
  enrolled: EdgeConfig | null;
  device: DeviceIdentity;
  /** Why this keystore holds the device key (journaled in session.start). */
  keystoreReason: string;
}

export interface EnrollStageDeps {
  home: string;
  /** The agent's name for messages (`Claude Code`). */
  product: string;
  /** `CEROS_EDGE_URL`: an edge to enroll with before the first session. */
  edgeUrl: string | undefined;
  progress: Progress;
  readEdgeConfig(home: string): ReadResult<EdgeConfig>;
  readInstallHint(home: string): ReadResult<InstallHint>;
  /** Runs `ceros enroll` (email verification on the edge's page). */
  enroll(): Promise<CommandResult>;
  loadDevice(): Promise<{ device: DeviceIdentity; keystoreReason: string }>;
}

/**
 * Enrollment stage: a device installed from an organization's link (or pointed at an edge)
 * enrolls before its first session; the device key is loaded (created on first use) and must be
 * the one config.json was enrolled with.
 */
export async function runEnrollStage(deps: EnrollStageDeps): Promise<StageResult<Enrollment>> {
  let config = deps.readEdgeConfig(deps.home);
  if (!config.ok) return stageFailure(config.error, EXIT.FAILURE);
  const hint = deps.readInstallHint(deps.home);
  if (!config.value && ((hint.ok && hint.value) || deps.edgeUrl)) {
    deps.progress('ceros: This device is not enrolled yet: starting enrollment with your organization');
    const result = await deps.enroll();
    if (result.stdout) deps.progress(result.stdout);
    if (result.stderr) deps.progress(result.stderr);
    if (result.exitCode !== 0)
      return stageFailure(`Enrollment did not complete, so ${deps.product} was not started`, EXIT.REFUSED);
    config = deps.readEdgeConfig(deps.home);
    if (!config.ok) return stageFailure(config.error, EXIT.FAILURE);
  }
  const enrolled = config.value ?? null;
  let loaded: { device: DeviceIdentity; keystoreReason: string };
  try {
    loaded = await deps.loadDevice();
  } catch (error) {
    return stageFailure((error as Error).message, EXIT.FAILURE);
  }
  if (enrolled && enrolled.deviceId !== loaded.device.record.deviceId) {
    return stageFailure(
      `config.json is for device "${enrolled.deviceId}" but this device is "${loaded.device.record.deviceId}": run \`ceros enroll\` again`,
      EXIT.FAILURE,
    );
  }
  return { ok: true, value: { enrolled, ...loaded } };
}
