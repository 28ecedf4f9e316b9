import { failed, ok, unknown } from './probe.ts';
import type { EndpointProtectionInfo, ProbeOutcome } from './types.ts';

/** One endpoint protection product: how to see it running and where it installs. */
export interface EdrProduct {
  /** Stable id used in snapshots and policies: `crowdstrike`. */
  id: string;
  name: string;
  /** Process image names (without `.exe`), any OS. */
  processes: readonly string[];
  /** Install locations by OS; presence shows it is installed, not that it runs. */
  paths: Readonly<Partial<Record<'linux' | 'darwin' | 'win32', readonly string[]>>>;
  /** Substrings of Windows Security Center display names that mean this product. */
  securityCenterNames?: readonly string[];
}

/**
 * The default catalog (identifiers gathered in trust-foundations.md; vendors rename daemons, so a
 * deployment can pass its own list). Presence is evidence, not proof: root can fake a process.
 */
export const DEFAULT_EDR_CATALOG: readonly EdrProduct[] = [
  {
    id: 'crowdstrike',
    name: 'CrowdStrike Falcon',
    processes: [
      'falcon-sensor',
      'falcond',
      'falcon-sensor-bpf',
      'com.crowdstrike.falcon.Agent',
      'CSFalconService',
    ],
    paths: {
      linux: ['/opt/CrowdStrike'],
      darwin: ['/Applications/Falcon.app', '/Library/CS'],
      win32: ['C:\\Program Files\\CrowdStrike'],
    },
    securityCenterNames: ['CrowdStrike'],
  },
  {
    id: 'sentinelone',
    name: 'SentinelOne',
    processes: [
      's1-agent',
      's1-orchestrator',
      's1-scanner',
      'sentineld',
      'SentinelAgent',
      'SentinelServiceHost',
    ],
    paths: {
      linux: ['/opt/sentinelone'],
      darwin: ['/Library/Sentinel', '/Applications/SentinelOne'],
      win32: ['C:\\Program Files\\SentinelOne'],
    },
    securityCenterNames: ['Sentinel'],
  },
  {
    id: 'defender',
    name: 'Microsoft Defender',
    processes: ['wdavdaemon', 'MsMpEng', 'MsSense'],
    paths: {
      linux: ['/opt/microsoft/mdatp'],
      darwin: ['/Applications/Microsoft Defender.app'],
      win32: ['C:\\Program Files\\Windows Defender'],
    },
    securityCenterNames: ['Windows Defender', 'Microsoft Defender'],
  },
  {
    id: 'elastic',
    name: 'Elastic Defend',
    processes: ['elastic-endpoint', 'elastic-agent'],
    paths: {
      linux: ['/opt/Elastic/Endpoint', '/opt/Elastic/Agent'],
      darwin: ['/Library/Elastic/Endpoint', '/Library/Elastic/Agent'],
      win32: ['C:\\Program Files\\Elastic\\Endpoint', 'C:\\Program Files\\Elastic\\Agent'],
    },
    securityCenterNames: ['Elastic'],
  },
  {
    id: 'osquery',
    name: 'osquery',
    processes: ['osqueryd'],
    paths: {
      linux: ['/opt/osquery', '/usr/bin/osqueryd'],
      darwin: ['/opt/osquery', '/usr/local/bin/osqueryd'],
      win32: ['C:\\Program Files\\osquery'],
    },
  },
  {
    id: 'clamav',
    name: 'ClamAV',
    processes: ['clamd', 'clamonacc'],
    paths: {
      linux: ['/usr/sbin/clamd'],
      darwin: ['/usr/local/sbin/clamd', '/opt/homebrew/sbin/clamd'],
      win32: ['C:\\Program Files\\ClamAV'],
    },
  },
  {
    id: 'sophos',
    name: 'Sophos',
    processes: [
      'sophos_threat_detector',
      'sophos_managementagent',
      'SophosScanD',
      'SavService',
      'SophosHealth',
    ],
    paths: {
      linux: ['/opt/sophos-spl'],
      darwin: ['/Library/Sophos Anti-Virus'],
      win32: ['C:\\Program Files\\Sophos'],
    },
    securityCenterNames: ['Sophos'],
  },
  {
    id: 'carbonblack',
    name: 'VMware Carbon Black',
    processes: ['cbagentd', 'cbdaemon', 'RepMgr', 'CbOsxSensorService'],
    paths: {
      linux: ['/opt/carbonblack'],
      darwin: ['/Applications/VMware Carbon Black Cloud'],
      win32: ['C:\\Program Files\\Confer'],
    },
    securityCenterNames: ['Carbon Black'],
  },
  {
    id: 'wazuh',
    name: 'Wazuh',
    processes: ['wazuh-agentd'],
    paths: {
      linux: ['/var/ossec'],
      darwin: ['/Library/Ossec'],
      win32: ['C:\\Program Files (x86)\\ossec-agent'],
    },
  },
];

/**
 * Whether a process that bears a product's name is the product: its executable's owner, path,
 * package and hash checked against the vendor's install (linux/edr-identity.ts). A name alone is
 * anyone's to take: a copy of /bin/sleep named falcon-sensor is not CrowdStrike (issue 14.13).
 */
export type ProcessIdentity =
  | { verdict: 'genuine'; evidence: string }
  /** Checked, and it is not the vendor's install: never counts as running. */
  | { verdict: 'impostor'; evidence: string }
  /** Could not be checked either way: counts as unknown, never as running. */
  | { verdict: 'unverified'; evidence: string };

/** A running process as a platform scan saw it. */
export interface ObservedProcess {
  pid: number | null;
  /** Full names to compare: argv[0] or image path basenames, image names. */
  names: readonly string[];
  /** Linux comm, cut at 15 characters: matches a longer name it is a prefix of. */
  truncatedName?: string | null;
  /**
   * The identity check for the product its name matched, where the platform does one (Linux);
   * absent elsewhere, where a name match is all the scan has (its evidence says so).
   */
  identity?: ProcessIdentity;
}

/** A Windows Security Center antivirus registration. */
export interface SecurityCenterProduct {
  displayName: string;
  enabled: boolean;
}

export interface EndpointScan {
  platform: 'linux' | 'darwin' | 'win32';
  processes: readonly ObservedProcess[];
  /** Whether an install path exists. */
  pathExists: (path: string) => boolean;
  securityCenter?: readonly SecurityCenterProduct[];
  /** Why the scan may have missed processes (hidepid, a failed `ps`); turns "none found" into unknown. */
  limitation?: string;
  /** How the processes were listed, for the evidence: `/proc`, `ps`. */
  source: string;
}

/** Lower case, directory and `.exe` stripped: `C:\...\MsMpEng.exe` and `msmpeng` compare equal. */
export function normalizeProcessName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? name;
  return base.toLowerCase().replace(/\.exe$/, '');
}

/** Linux keeps 15 characters of a process name (TASK_COMM_LEN 16, with the NUL). */
export const LINUX_COMM_LENGTH = 15;

/** Whether `process` bears one of `product`'s process names. */
export function bearsProductName(process: ObservedProcess, product: EdrProduct): boolean {
  return matchesProduct(process, product.processes.map(normalizeProcessName));
}

function matchesProduct(process: ObservedProcess, wanted: readonly string[]): boolean {
  if (process.names.some((name) => wanted.includes(normalizeProcessName(name)))) return true;
  const short = process.truncatedName?.toLowerCase();
  if (!short) return false;
  if (wanted.includes(short)) return true;
  // A cut name matches a longer one it begins, unless a full name says otherwise.
  return (
    short.length === LINUX_COMM_LENGTH &&
    process.names.length === 0 &&
    wanted.some((w) => w.startsWith(short))
  );
}

function label(process: ObservedProcess): string {
  const name = process.names[0] ?? process.truncatedName ?? '?';
  return `${normalizeProcessName(name)}${process.pid === null ? '' : ` (pid ${process.pid})`}`;
}

/**
 * Which catalog products are running and installed. ok: at least one runs. failed: none runs,
 * and the scan saw every process. unknown: none found, but the scan was limited.
 */
export function matchEndpointProtection(
  scan: EndpointScan,
  catalog: readonly EdrProduct[] = DEFAULT_EDR_CATALOG,
): ProbeOutcome<EndpointProtectionInfo> {
  const running: string[] = [];
  const installed: string[] = [];
  const notes: string[] = [];
  let unverified = false;
  for (const product of catalog) {
    const wanted = product.processes.map(normalizeProcessName);
    const named = scan.processes.filter((process) => matchesProduct(process, wanted));
    const hits = named.filter((p) => p.identity === undefined || p.identity.verdict === 'genuine');
    for (const p of named) {
      if (p.identity?.verdict === 'impostor')
        notes.push(`${product.name} look-alike, not counted: ${label(p)} ${p.identity.evidence}`);
      else if (p.identity?.verdict === 'unverified') {
        unverified = true;
        notes.push(`${product.name} unverified, not counted: ${label(p)} ${p.identity.evidence}`);
      }
    }
    const center = (scan.securityCenter ?? []).filter((entry) =>
      (product.securityCenterNames ?? []).some((n) =>
        entry.displayName.toLowerCase().includes(n.toLowerCase()),
      ),
    );
    const paths = (product.paths[scan.platform] ?? []).filter(scan.pathExists);
    const centerRunning = center.filter((c) => c.enabled);
    if (hits.length > 0 || centerRunning.length > 0) {
      running.push(product.id);
      const parts = [
        ...(hits.length > 0
          ? [
              `process ${hits.map((p) => `${label(p)}${p.identity ? ` ${p.identity.evidence}` : ', by name only'}`).join(', ')}`,
            ]
          : []),
        ...(centerRunning.length > 0 ? [`Security Center "${centerRunning[0]?.displayName}" enabled`] : []),
      ];
      notes.push(`${product.name} running: ${parts.join('; ')}`);
    } else if (center.length > 0) {
      notes.push(`${product.name} registered with Security Center but disabled`);
    }
    if (paths.length > 0 || center.length > 0) {
      installed.push(product.id);
      if (hits.length === 0 && centerRunning.length === 0 && paths.length > 0)
        notes.push(`${product.name} installed at "${paths[0]}" but not running`);
    }
  }
  // Security Center products the catalog does not know still count as running protection.
  for (const entry of scan.securityCenter ?? []) {
    const known = catalog.some((p) =>
      (p.securityCenterNames ?? []).some((n) => entry.displayName.toLowerCase().includes(n.toLowerCase())),
    );
    if (known) continue;
    const id = `securitycenter:${entry.displayName}`;
    installed.push(id);
    if (entry.enabled) {
      running.push(id);
      notes.push(`Security Center "${entry.displayName}" enabled`);
    }
  }
  const value = { running, installed };
  const scanned = `scanned ${scan.source} for ${catalog.length} products`;
  if (running.length > 0) return ok(value, `${notes.join('; ')} (${scanned})`);
  const absent = `No endpoint protection running${notes.length > 0 ? `: ${notes.join('; ')}` : ''} (${scanned})`;
  if (scan.limitation) return unknown(`${absent}; the scan may be incomplete: ${scan.limitation}`, value);
  if (unverified) return unknown(absent, value);
  return failed(absent, value);
}
