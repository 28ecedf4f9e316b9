import type { EdrProduct } from '../edr.ts';
import { matchEndpointProtection } from '../edr.ts';
import type { CommandRunner, ExecResult } from '../exec.ts';
import type { HostInfo } from '../host.ts';
import { failed, ok, unknown, worstStatus } from '../probe.ts';
import type { PlatformProbes, VolumeEncryption, VolumeRole } from '../types.ts';
import {
  bitLockerShellState,
  decodeProductState,
  POSTURE_SCRIPT,
  parseRegQuery,
  parseTasklistCsv,
  parseWhoamiUser,
  parseWindowsPostureJson,
  regNumber,
  type WindowsPostureReport,
} from './parsers.ts';

export interface Win32ProbeContext {
  exec: CommandRunner;
  timeoutMs: number;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  projectDir: string;
  host: HostInfo;
  pathExists: (path: string) => boolean;
  edrCatalog: readonly EdrProduct[];
}

export const CURRENT_VERSION_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';
export const SECURE_BOOT_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State';
export const HVCI_KEY =
  'HKLM\\SYSTEM\\CurrentControlSet\\Control\\DeviceGuard\\Scenarios\\HypervisorEnforcedCodeIntegrity';
export const DESKTOP_KEY = 'HKCU\\Control Panel\\Desktop';
export const DESKTOP_POLICY_KEY = 'HKCU\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop';
export const SYSTEM_POLICY_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System';
export const POWERSHELL_ARGS = [
  '-NoProfile',
  '-NonInteractive',
  '-ExecutionPolicy',
  'Bypass',
  '-Command',
] as const;
const POSTURE_SCRIPT_ARGS = [...POWERSHELL_ARGS, POSTURE_SCRIPT] as const;

function describe(command: string, result: ExecResult): string {
  if (result.error) return `${command}: ${result.error}`;
  const message = result.stderr.trim().split(/\r?\n/)[0];
  return `${command} exited ${result.exitCode}${message ? `: ${message}` : ''}`;
}

/**
 * Windows posture from the registry (reg.exe), tasklist, whoami and one PowerShell run for WMI:
 * BitLocker (Win32_EncryptableVolume, or the Shell property without elevation), the firewall
 * profiles, Security Center antivirus and Defender status. Runs only on Windows; tested here
 * against recorded outputs.
 */
export function createWin32Probes(context: Win32ProbeContext): PlatformProbes {
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
  const reg = async (key: string, value?: string) => {
    const result = await run('reg', ['query', key, ...(value === undefined ? [] : ['/v', value])]);
    return { values: result.exitCode === 0 ? parseRegQuery(result.stdout) : {}, result };
  };
  let report: Promise<{ value: WindowsPostureReport | null; evidence: string }> | undefined;
  const powershell = () => {
    report ??= run('powershell.exe', [...POSTURE_SCRIPT_ARGS]).then((result) => {
      if (result.exitCode !== 0) return { value: null, evidence: describe('powershell', result) };
      const parsed = parseWindowsPostureJson(result.stdout);
      return parsed.ok
        ? { value: parsed.value, evidence: '' }
        : { value: null, evidence: `powershell: ${parsed.error}` };
    });
    return report;
  };

  const volume = (role: VolumeRole, path: string, posture: WindowsPostureReport): VolumeEncryption => {
    const base = { role, path };
    const drive = /^([A-Za-z]):/.exec(path)?.[1]?.toUpperCase();
    if (!drive)
      return {
        ...base,
        status: 'unknown',
        device: null,
        mechanism: null,
        evidence: `${role} "${path}" is not on a drive letter (network share?)`,
      };
    const device = `${drive}:`;
    const where = `${role} "${path}" is on ${device}`;
    const wmi = posture.bitlockerWmi.find((v) => v.drive === device);
    if (wmi && wmi.protectionStatus !== null) {
      // Win32_EncryptableVolume: ProtectionStatus 1 = protected; ConversionStatus 1 = fully encrypted.
      if (wmi.protectionStatus === 1)
        return {
          ...base,
          status: 'ok',
          device,
          mechanism: 'BitLocker',
          evidence: `${where}: Win32_EncryptableVolume ProtectionStatus=1`,
        };
      return {
        ...base,
        status: 'failed',
        device,
        mechanism: null,
        evidence: `${where}: Win32_EncryptableVolume ProtectionStatus=${wmi.protectionStatus} ConversionStatus=${wmi.conversionStatus}`,
      };
    }
    const shell = posture.bitlockerShell.find((v) => v.drive === device);
    if (!shell)
      return {
        ...base,
        status: 'unknown',
        device,
        mechanism: null,
        evidence: `${where}: no BitLocker state for ${device}`,
      };
    const state = bitLockerShellState(shell.protection);
    const evidence = `${where}: System.Volume.BitLockerProtection=${shell.protection ?? 'empty'} (${state.text})`;
    return state.encrypted
      ? { ...base, status: 'ok', device, mechanism: 'BitLocker', evidence }
      : { ...base, status: 'failed', device, mechanism: null, evidence };
  };

  return {
    os: async () => {
      const { values, result } = await reg(CURRENT_VERSION_KEY);
      const product = values.ProductName?.data;
      if (!product)
        return unknown(`No ProductName under ${CURRENT_VERSION_KEY} (${describe('reg', result)})`);
      const build = values.CurrentBuild?.data ?? null;
      // Windows 11 still says "Windows 10" in ProductName; build 22000 is the first Windows 11.
      const name =
        build !== null && Number(build) >= 22000 ? product.replace(/^Windows 10/, 'Windows 11') : product;
      const ubr = regNumber(values.UBR);
      return ok(
        {
          name,
          version: values.DisplayVersion?.data ?? null,
          build: build === null ? null : `${build}${ubr === null ? '' : `.${ubr}`}`,
        },
        `${CURRENT_VERSION_KEY}: ProductName="${product}" CurrentBuild=${build ?? '?'} DisplayVersion=${values.DisplayVersion?.data ?? '?'}`,
      );
    },
    kernel: async () => {
      const { values } = await reg(CURRENT_VERSION_KEY);
      const major = regNumber(values.CurrentMajorVersionNumber);
      const minor = regNumber(values.CurrentMinorVersionNumber);
      const build = values.CurrentBuild?.data;
      const ubr = regNumber(values.UBR);
      if (major === null || minor === null || !build) {
        const release = context.host.release();
        return ok({ release, version: context.host.version() }, `GetVersionEx: ${release}`);
      }
      const release = `${major}.${minor}.${build}${ubr === null ? '' : `.${ubr}`}`;
      return ok({ release, version: null }, `${CURRENT_VERSION_KEY}: NT ${release}`);
    },
    arch: async () => {
      // A 32-bit process on 64-bit Windows sees x86 in PROCESSOR_ARCHITECTURE and the truth in ...W6432.
      const arch =
        context.env.PROCESSOR_ARCHITEW6432 ?? context.env.PROCESSOR_ARCHITECTURE ?? context.host.machine();
      return ok(arch, `PROCESSOR_ARCHITECTURE: ${arch}`);
    },
    hostname: async () => {
      const hostname = context.host.hostname();
      return ok(hostname, `gethostname: ${hostname}`);
    },
    user: async () => {
      const result = await run('whoami', ['/user', '/fo', 'csv', '/nh']);
      const user = parseWhoamiUser(result.stdout);
      if (!user) return unknown(`whoami unreadable (${describe('whoami', result)})`);
      return ok({ name: user.name, uid: user.sid }, `whoami: ${user.name} ${user.sid}`);
    },
    diskEncryption: async () => {
      const { value, evidence } = await powershell();
      if (value === null) return unknown(evidence);
      const volumes = [volume('home', context.home, value), volume('project', context.projectDir, value)];
      const status = worstStatus(volumes.map((v) => v.status));
      const text = volumes.map((v) => v.evidence).join('; ');
      return status === 'ok'
        ? ok({ volumes }, text)
        : status === 'failed'
          ? failed(text, { volumes })
          : unknown(text, { volumes });
    },
    secureBoot: async () => {
      const { values, result } = await reg(SECURE_BOOT_KEY, 'UEFISecureBootEnabled');
      const enabled = regNumber(values.UEFISecureBootEnabled);
      if (enabled === 1) return ok('on', `${SECURE_BOOT_KEY} UEFISecureBootEnabled=1`);
      if (enabled === 0)
        return failed(`${SECURE_BOOT_KEY} UEFISecureBootEnabled=0: Secure Boot is off`, 'off');
      // The State key exists only on UEFI systems: its absence means a legacy BIOS boot. reg.exe
      // exits 1 for a missing key (its message is localised, so only the code is read); any
      // user may read this key, so 1 is not a permission problem.
      if (result.exitCode === 1)
        return failed(`${SECURE_BOOT_KEY} is absent: legacy BIOS boot`, 'unsupported');
      return unknown(`UEFISecureBootEnabled unreadable (${describe('reg', result)})`);
    },
    firewall: async () => {
      const { value, evidence } = await powershell();
      if (value === null) return unknown(evidence);
      if (value.firewall.length === 0) return unknown('Get-NetFirewallProfile returned no profiles');
      const text = `Windows Firewall profiles: ${value.firewall.map((p) => `${p.name} ${p.enabled === null ? 'unknown' : p.enabled ? 'on' : 'off'}`).join(', ')}`;
      if (value.firewall.every((p) => p.enabled === true))
        return ok({ enabled: true, source: 'Windows Firewall' }, text);
      if (value.firewall.some((p) => p.enabled === false))
        return failed(text, { enabled: false, source: 'Windows Firewall' });
      return unknown(text);
    },
    screenLock: async () => {
      const [policy, desktop, system] = await Promise.all([
        reg(DESKTOP_POLICY_KEY),
        reg(DESKTOP_KEY),
        reg(SYSTEM_POLICY_KEY, 'InactivityTimeoutSecs'),
      ]);
      const inactivity = regNumber(system.values.InactivityTimeoutSecs);
      if (inactivity !== null && inactivity > 0)
        return ok(
          { enabled: true, delaySeconds: inactivity },
          `Machine inactivity limit (InactivityTimeoutSecs) = ${inactivity} s`,
        );
      // Group Policy values override the user's own.
      const pick = (name: string) => policy.values[name] ?? desktop.values[name];
      const active = regNumber(pick('ScreenSaveActive'));
      const secure = regNumber(pick('ScreenSaverIsSecure'));
      const timeout = regNumber(pick('ScreenSaveTimeOut'));
      const text = `Control Panel\\Desktop: ScreenSaveActive=${active ?? 'unset'} ScreenSaverIsSecure=${secure ?? 'unset'} ScreenSaveTimeOut=${timeout ?? 'unset'}`;
      if (active === 1 && secure === 1 && timeout !== null && timeout > 0)
        return ok({ enabled: true, delaySeconds: timeout }, text);
      // Windows also locks on sleep ("require sign-in"), which lives in power settings not read here.
      return unknown(`${text}; no screen saver lock, and lock on sleep is not read`, {
        enabled: false,
        delaySeconds: null,
      });
    },
    endpointProtection: async () => {
      const [tasklist, posture] = await Promise.all([run('tasklist', ['/fo', 'csv', '/nh']), powershell()]);
      const processes = parseTasklistCsv(tasklist.stdout);
      const securityCenter = (posture.value?.antivirus ?? []).map((a) => ({
        displayName: a.displayName,
        enabled: a.productState !== null && decodeProductState(a.productState).enabled,
      }));
      const limitation =
        processes.length === 0
          ? describe('tasklist', tasklist)
          : posture.value === null
            ? `Security Center not read (${posture.evidence})`
            : undefined;
      const outcome = matchEndpointProtection(
        {
          platform: 'win32',
          processes: processes.map((p) => ({ pid: p.pid, names: [p.name] })),
          pathExists: context.pathExists,
          securityCenter,
          source: 'tasklist and Security Center',
          ...(limitation === undefined ? {} : { limitation }),
        },
        context.edrCatalog,
      );
      const defender = posture.value?.defender;
      if (!defender) return outcome;
      const note = `; Defender: antivirus ${defender.antivirusEnabled ? 'on' : 'off'}, real-time protection ${defender.realTimeProtectionEnabled ? 'on' : 'off'}${defender.mode ? `, mode ${defender.mode}` : ''}`;
      return { ...outcome, evidence: outcome.evidence + note };
    },
    codeIntegrity: async () => {
      const { values, result } = await reg(HVCI_KEY, 'Enabled');
      const enabled = regNumber(values.Enabled);
      if (enabled === 1) return ok({ hvci: true }, 'Memory integrity (HVCI) Enabled=1');
      if (enabled === 0) return failed('Memory integrity (HVCI) Enabled=0', { hvci: false });
      if (result.exitCode === 1) return failed('Memory integrity (HVCI) not configured', { hvci: false });
      return unknown(`HVCI state unreadable (${describe('reg', result)})`);
    },
  };
}
