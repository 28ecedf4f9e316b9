import * as os from 'node:os';
import { type HostInfo, nodeHostInfo } from '../posture/host.ts';
import { probeLinuxOs } from '../posture/linux/system.ts';
import { VERSION } from '../version.ts';
import type { DeviceDescription } from './enrollment.ts';

/** What the edge's fields take (edge/src/routes/enroll.ts startSchema). */
const LIMITS = { hostname: 255, os: 64, arch: 64, cerosVersion: 64 } as const;

/** The system's own name for itself: os-release's PRETTY_NAME on Linux, else the kernel's type and release. */
function osName(platform: NodeJS.Platform, host: HostInfo, root: string): string {
  if (platform === 'linux') {
    const found = probeLinuxOs(root);
    if (found.status === 'ok' && found.value) return found.value.name;
  }
  const names: Partial<Record<NodeJS.Platform, string>> = { darwin: 'macOS (Darwin)', win32: 'Windows' };
  return `${names[platform] ?? platform} ${host.release()}`;
}

/**
 * What the enrollment page shows the human so they can tell the device is the one in front of
 * them: its host name, its system and architecture, and this ceros version (the key type the edge
 * reads from the key itself). Sent in the signed enrollment start; each field cut to the edge's limit.
 */
export function describeThisDevice(
  options: { host?: HostInfo; platform?: NodeJS.Platform; root?: string } = {},
): DeviceDescription {
  const host = options.host ?? nodeHostInfo;
  const description = {
    hostname: host.hostname(),
    os: osName(options.platform ?? os.platform(), host, options.root ?? '/'),
    arch: host.machine(),
    cerosVersion: VERSION,
  };
  return Object.fromEntries(
    Object.entries(description)
      .map(([key, value]) => [key, value.trim().slice(0, LIMITS[key as keyof typeof LIMITS])])
      .filter(([, value]) => value !== ''),
  ) as DeviceDescription;
}
