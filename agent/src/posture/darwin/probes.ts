import type { EdrProduct } from '../edr.ts';
import { matchEndpointProtection } from '../edr.ts';
import type { CommandRunner, ExecResult } from '../exec.ts';
import type { HostInfo } from '../host.ts';
import { failed, ok, unknown, worstStatus } from '../probe.ts';
import type {
  DiskEncryptionInfo,
  PlatformProbes,
  ProbeOutcome,
  VolumeEncryption,
  VolumeRole,
} from '../types.ts';
import {
  type FdesetupStatus,
  parseCsrutilStatus,
  parseDfMountPoint,
  parseFdesetupStatus,
  parseIBridge,
  parseKeyValueLines,
  parsePsList,
  parseScreenLockStatus,
  parseSocketFilterState,
  parseSpctlStatus,
  parseSwVers,
} from './parsers.ts';

export interface DarwinProbeContext {
  exec: CommandRunner;
  timeoutMs: number;
  home: string;
  projectDir: string;
  host: HostInfo;
  pathExists: (path: string) => boolean;
  edrCatalog: readonly EdrProduct[];
}

export const SOCKETFILTERFW = '/usr/libexec/ApplicationFirewall/socketfilterfw';

/** Filesystems macOS cannot encrypt: a volume of these is plainly unencrypted. */
const UNENCRYPTABLE = /^(ExFAT|MS-DOS|FAT|NTFS)/i;

function output(result: ExecResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

function describe(command: string, result: ExecResult): string {
  return result.error ? `${command}: ${result.error}` : `${command} exited ${result.exitCode}`;
}

/**
 * macOS posture from its own tools (fdesetup, diskutil, csrutil, system_profiler,
 * socketfilterfw, spctl, sysadminctl, ps), as osquery's disk_encryption, secureboot, alf and
 * processes tables do. Runs only on macOS; tested here against recorded outputs.
 */
export function createDarwinProbes(context: DarwinProbeContext): PlatformProbes {
  const cache = new Map<string, Promise<ExecResult>>();
  const run = (file: string, args: readonly string[]): Promise<ExecResult> => {
    const key = [file, ...args].join('\0');
    let pending = cache.get(key);
    if (!pending) {
      pending = context.exec(file, args, { timeoutMs: context.timeoutMs });
      cache.set(key, pending);
    }
    return pending;
  };
  const sip = async () => {
    const result = await run('csrutil', ['status']);
    return { state: parseCsrutilStatus(output(result)), result };
  };

  const volume = async (
    role: VolumeRole,
    path: string,
    fde: FdesetupStatus | null,
  ): Promise<VolumeEncryption> => {
    const base = { role, path };
    const dfResult = await run('df', ['-P', path]);
    const df = parseDfMountPoint(dfResult.stdout);
    if (!df)
      return {
        ...base,
        status: 'unknown',
        device: null,
        mechanism: null,
        evidence: `${role} "${path}": ${describe('df', dfResult)}`,
      };
    const infoResult = await run('diskutil', ['info', df.mountPoint]);
    const info = parseKeyValueLines(infoResult.stdout);
    const device = info['Device Identifier'] ?? df.device;
    const where = `${role} "${path}" is on ${device} mounted at "${df.mountPoint}"`;
    const personality = info['File System Personality'] ?? '';
    if (info.FileVault === 'Yes' || (info.FileVault === undefined && info.Encrypted === 'Yes')) {
      const mechanism = info.FileVault === 'Yes' ? 'FileVault' : 'APFS encryption';
      const progress = fde?.conversion && info.FileVault === 'Yes' ? `; ${fde.conversion}` : '';
      if (progress)
        return {
          ...base,
          status: 'failed',
          device,
          mechanism: null,
          evidence: `${where}: FileVault is still converting${progress}`,
        };
      return {
        ...base,
        status: 'ok',
        device,
        mechanism,
        evidence: `${where}: diskutil says ${mechanism === 'FileVault' ? 'FileVault: Yes' : 'Encrypted: Yes'}`,
      };
    }
    if (info.FileVault === 'No' || info.Encrypted === 'No') {
      // Apple silicon encrypts every internal volume with a hardware key, but without FileVault
      // that key is released at boot without the user's password.
      const note =
        info.Encrypted === 'Yes'
          ? ' (hardware encrypted, but not bound to a password without FileVault)'
          : '';
      return {
        ...base,
        status: 'failed',
        device,
        mechanism: null,
        evidence: `${where}: diskutil says FileVault: ${info.FileVault ?? 'No'}${note}`,
      };
    }
    if (UNENCRYPTABLE.test(personality))
      return {
        ...base,
        status: 'failed',
        device,
        mechanism: null,
        evidence: `${where}: ${personality} volumes are not encrypted`,
      };
    return {
      ...base,
      status: 'unknown',
      device,
      mechanism: null,
      evidence: `${where}: diskutil shows no encryption state (${describe('diskutil', infoResult)})`,
    };
  };

  return {
    os: async () => {
      const result = await run('sw_vers', []);
      const parsed = parseSwVers(result.stdout);
      if (!parsed) return unknown(`sw_vers gave no ProductName (${describe('sw_vers', result)})`);
      return ok(parsed, `sw_vers: ${parsed.name} ${parsed.version ?? '?'} (${parsed.build ?? '?'})`);
    },
    kernel: async () => {
      const release = context.host.release();
      return ok({ release, version: context.host.version() }, `uname: Darwin ${release}`);
    },
    arch: async () => {
      const arch = context.host.machine();
      return ok(arch, `uname machine: ${arch}`);
    },
    hostname: async () => {
      const hostname = context.host.hostname();
      return ok(hostname, `gethostname: ${hostname}`);
    },
    user: async () => {
      const user = context.host.user();
      return ok({ name: user.name, uid: String(user.uid) }, `getpwuid(${user.uid}): ${user.name}`);
    },
    diskEncryption: async (): Promise<ProbeOutcome<DiskEncryptionInfo>> => {
      const fdeResult = await run('fdesetup', ['status']);
      const fde = parseFdesetupStatus(fdeResult.stdout);
      const volumes = await Promise.all([
        volume('home', context.home, fde),
        volume('project', context.projectDir, fde),
      ]);
      const status = worstStatus(volumes.map((v) => v.status));
      const boot = fde
        ? `fdesetup: FileVault is ${fde.on ? 'On' : 'Off'}`
        : describe('fdesetup status', fdeResult);
      const evidence = `${boot}; ${volumes.map((v) => v.evidence).join('; ')}`;
      const value = { volumes };
      return status === 'ok'
        ? ok(value, evidence)
        : status === 'failed'
          ? failed(evidence, value)
          : unknown(evidence, value);
    },
    secureBoot: async () => {
      if (context.host.machine() === 'arm64') {
        const { state, result } = await sip();
        if (state === 'enabled')
          return ok(
            'on',
            'Apple silicon verifies every boot stage; SIP enabled (Full or Reduced Security; the exact level needs root: bputil -d)',
          );
        if (state === 'disabled' || state === 'custom')
          return failed(`Apple silicon with SIP ${state}: boot security lowered to Permissive`, 'off');
        return unknown(`csrutil status unreadable (${describe('csrutil', result)})`);
      }
      const result = await run('system_profiler', ['SPiBridgeDataType']);
      const bridge = parseIBridge(result.stdout);
      if (bridge.secureBoot === 'Full Security' || bridge.secureBoot === 'Medium Security')
        return ok('on', `${bridge.model ?? 'T2'}: Secure Boot: ${bridge.secureBoot}`);
      if (bridge.secureBoot === 'No Security')
        return failed(`${bridge.model ?? 'T2'}: Secure Boot: No Security`, 'off');
      if (bridge.model === null && result.exitCode === 0)
        return failed('Intel Mac without a T2 chip: no Secure Boot', 'unsupported');
      return unknown(
        `system_profiler SPiBridgeDataType shows no Secure Boot policy (${describe('system_profiler', result)})`,
      );
    },
    firewall: async () => {
      const result = await run(SOCKETFILTERFW, ['--getglobalstate']);
      const state = parseSocketFilterState(result.stdout);
      if (state === null) return unknown(`socketfilterfw unreadable (${describe('socketfilterfw', result)})`);
      const evidence = `socketfilterfw --getglobalstate: ${result.stdout.trim()}`;
      const info = { enabled: state > 0, source: 'Application Firewall' };
      return state > 0 ? ok(info, evidence) : failed(evidence, info);
    },
    screenLock: async () => {
      const result = await run('sysadminctl', ['-screenLock', 'status']);
      const lock = parseScreenLockStatus(output(result));
      if (lock === null)
        return unknown(`sysadminctl -screenLock status unreadable (${describe('sysadminctl', result)})`);
      const evidence = `sysadminctl: ${lock.enabled ? `screenLock delay is ${lock.delaySeconds === 0 ? 'immediate' : `${lock.delaySeconds} seconds`}` : 'screenLock is off'}`;
      return lock.enabled ? ok(lock, evidence) : failed(evidence, lock);
    },
    endpointProtection: async () => {
      const result = await run('ps', ['-axo', 'pid=,comm=']);
      const processes = parsePsList(result.stdout);
      return matchEndpointProtection(
        {
          platform: 'darwin',
          processes: processes.map((p) => ({ pid: p.pid, names: [p.command] })),
          pathExists: context.pathExists,
          source: 'ps',
          ...(processes.length === 0 ? { limitation: describe('ps', result) } : {}),
        },
        context.edrCatalog,
      );
    },
    codeIntegrity: async () => {
      const [{ state, result }, gatekeeperResult] = await Promise.all([sip(), run('spctl', ['--status'])]);
      const gatekeeper = parseSpctlStatus(gatekeeperResult.stdout);
      const evidence = `csrutil: SIP ${state ?? describe('csrutil', result)}; spctl: Gatekeeper ${
        gatekeeper === null ? describe('spctl', gatekeeperResult) : gatekeeper ? 'enabled' : 'disabled'
      }`;
      if (state === null || gatekeeper === null) return unknown(evidence);
      const value = { sip: state === 'enabled', gatekeeper };
      return value.sip && value.gatekeeper ? ok(value, evidence) : failed(evidence, value);
    },
  };
}
