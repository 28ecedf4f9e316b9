/**
 * Parsers for the Windows tools posture reads (reg, tasklist, whoami, one PowerShell script),
 * tested against recorded outputs in tests/fixtures/posture/win32. Unrecognised output gives
 * null or empty results, so a changed format becomes `unknown`, never a wrong `ok`.
 */

export interface RegValue {
  type: string;
  data: string;
}

/**
 * `reg query KEY [/v NAME]`: the key's full path on its own line, then indented
 * "Name    REG_TYPE    data" lines (four-space separated; data may contain spaces), then
 * subkey paths. Returns the values of the first key.
 */
export function parseRegQuery(text: string): Record<string, RegValue> {
  const values: Record<string, RegValue> = {};
  let seenKey = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^HKEY_/.test(line)) {
      if (seenKey) break;
      seenKey = true;
      continue;
    }
    const match = /^\s{2,}(.+?)\s{4}(REG_[A-Z_]+)(?:\s{4}(.*))?$/.exec(line);
    if (match?.[1] && match[2]) values[match[1]] = { type: match[2], data: match[3] ?? '' };
  }
  return values;
}

/** A REG_DWORD as reg prints it ("0x1"), or a REG_SZ number ("600"). */
export function regNumber(value: RegValue | undefined): number | null {
  if (!value) return null;
  const data = value.data.trim();
  if (/^0x[0-9a-f]+$/i.test(data)) return Number.parseInt(data.slice(2), 16);
  return /^\d+$/.test(data) ? Number(data) : null;
}

/** One CSV line with quoted fields ("a","b"), as tasklist and whoami print. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  const pattern = /"((?:[^"]|"")*)"|([^,]+)/g;
  for (const match of line.matchAll(pattern)) fields.push((match[1] ?? match[2] ?? '').replace(/""/g, '"'));
  return fields;
}

/** `tasklist /fo csv /nh`: "Image Name","PID","Session Name","Session#","Mem Usage". */
export function parseTasklistCsv(text: string): { name: string; pid: number }[] {
  const processes: { name: string; pid: number }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [name, pid] = csvFields(line);
    if (name && pid && /^\d+$/.test(pid)) processes.push({ name, pid: Number(pid) });
  }
  return processes;
}

/** `whoami /user /fo csv /nh`: "domain\user","S-1-5-21-...". */
export function parseWhoamiUser(text: string): { name: string; sid: string } | null {
  const [name, sid] = csvFields(text.trim());
  return name && sid?.startsWith('S-') ? { name, sid } : null;
}

/**
 * Windows Security Center productState (undocumented but stable since Vista, decoded as osquery
 * and Microsoft's own samples do): bits 12-15 are the scanner state (1 on, 0 off), bits 4-7 the
 * signature state (0 up to date).
 */
export function decodeProductState(state: number): { enabled: boolean; upToDate: boolean } {
  return { enabled: ((state >> 12) & 0xf) === 1, upToDate: ((state >> 4) & 0xf) === 0 };
}

/**
 * Shell property System.Volume.BitLockerProtection, readable without elevation (the meaning of
 * each value as Explorer shows it): 1 on, 2 off, 3 encrypting, 4 decrypting, 5 suspended,
 * 6 on and locked, 0 or empty not encryptable.
 */
export function bitLockerShellState(value: number | null): { encrypted: boolean; text: string } {
  switch (value) {
    case 1:
      return { encrypted: true, text: 'BitLocker on' };
    case 6:
      return { encrypted: true, text: 'BitLocker on (locked)' };
    case 2:
      return { encrypted: false, text: 'BitLocker off' };
    case 3:
      return { encrypted: false, text: 'BitLocker encryption in progress' };
    case 4:
      return { encrypted: false, text: 'BitLocker decryption in progress' };
    case 5:
      return { encrypted: false, text: 'BitLocker suspended' };
    default:
      return { encrypted: false, text: 'volume cannot be encrypted with BitLocker' };
  }
}

export interface WindowsPostureReport {
  firewall: { name: string; enabled: boolean | null }[];
  bitlockerShell: { drive: string; protection: number | null }[];
  /** Win32_EncryptableVolume: only filled when run elevated. */
  bitlockerWmi: { drive: string; protectionStatus: number | null; conversionStatus: number | null }[];
  antivirus: { displayName: string; productState: number | null }[];
  defender: {
    antivirusEnabled: boolean | null;
    realTimeProtectionEnabled: boolean | null;
    mode: string | null;
  } | null;
}

function asArray(value: unknown): Record<string, unknown>[] {
  const items = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
  return items.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
}

function asBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    if (/^(true|1)$/i.test(value)) return true;
    if (/^(false|0)$/i.test(value)) return false;
  }
  return null;
}

function asNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

/**
 * The JSON POSTURE_SCRIPT prints. PowerShell 5.1 unwraps one-element arrays, prints enums as
 * numbers or names and leaves out what failed, so every field is normalised here.
 */
export function parseWindowsPostureJson(
  text: string,
): { ok: true; value: WindowsPostureReport } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null) return { ok: false, error: 'not a JSON object' };
  const report = raw as Record<string, unknown>;
  const defender =
    typeof report.defender === 'object' && report.defender !== null
      ? (report.defender as Record<string, unknown>)
      : null;
  return {
    ok: true,
    value: {
      firewall: asArray(report.firewall).map((p) => ({
        name: String(p.name ?? ''),
        enabled: asBoolean(p.enabled),
      })),
      bitlockerShell: asArray(report.bitlockerShell).map((d) => ({
        drive: String(d.drive ?? '').toUpperCase(),
        protection: asNumber(d.protection),
      })),
      bitlockerWmi: asArray(report.bitlockerWmi).map((d) => ({
        drive: String(d.drive ?? '').toUpperCase(),
        protectionStatus: asNumber(d.protectionStatus),
        conversionStatus: asNumber(d.conversionStatus),
      })),
      antivirus: asArray(report.antivirus).map((a) => ({
        displayName: String(a.displayName ?? ''),
        productState: asNumber(a.productState),
      })),
      defender:
        defender === null
          ? null
          : {
              antivirusEnabled: asBoolean(defender.antivirusEnabled),
              realTimeProtectionEnabled: asBoolean(defender.realTimeProtectionEnabled),
              mode: typeof defender.amRunningMode === 'string' ? defender.amRunningMode : null,
            },
    },
  };
}

/**
 * One PowerShell run for everything that needs WMI or cmdlets (PowerShell starts in ~300 ms, so
 * once, in parallel with the reg queries). Each query is independent: a failing one leaves its
 * field empty. BitLocker is read both ways: Win32_EncryptableVolume needs elevation, the Shell
 * property does not.
 */
export const POSTURE_SCRIPT = [
  "$ErrorActionPreference = 'SilentlyContinue'",
  '$r = [ordered]@{}',
  '$r.firewall = @(Get-NetFirewallProfile | ForEach-Object { [ordered]@{ name = [string]$_.Name; enabled = [string]$_.Enabled } })',
  '$shell = New-Object -ComObject Shell.Application',
  "$r.bitlockerShell = @(Get-CimInstance Win32_LogicalDisk -Filter 'DriveType=3' | ForEach-Object { [ordered]@{ drive = $_.DeviceID; protection = $shell.NameSpace($_.DeviceID + '\\').Self.ExtendedProperty('System.Volume.BitLockerProtection') } })",
  "$r.bitlockerWmi = @(Get-CimInstance -Namespace 'root\\cimv2\\Security\\MicrosoftVolumeEncryption' -ClassName Win32_EncryptableVolume | ForEach-Object { [ordered]@{ drive = $_.DriveLetter; protectionStatus = $_.ProtectionStatus; conversionStatus = $_.ConversionStatus } })",
  "$r.antivirus = @(Get-CimInstance -Namespace 'root\\SecurityCenter2' -ClassName AntiVirusProduct | ForEach-Object { [ordered]@{ displayName = $_.displayName; productState = $_.productState } })",
  '$mp = Get-MpComputerStatus',
  '$r.defender = if ($mp) { [ordered]@{ antivirusEnabled = $mp.AntivirusEnabled; realTimeProtectionEnabled = $mp.RealTimeProtectionEnabled; amRunningMode = [string]$mp.AMRunningMode } } else { $null }',
  '$r | ConvertTo-Json -Depth 4 -Compress',
].join('\n');
