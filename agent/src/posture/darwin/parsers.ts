/**
 * Parsers for the macOS tools posture reads, tested against recorded outputs in
 * tests/fixtures/posture/darwin. Each returns null (or an empty result) for output it does not
 * recognise, so a changed format becomes `unknown`, never a wrong `ok`.
 */

/** `Key: value` lines (sw_vers, diskutil info, system_profiler), keys trimmed; the first occurrence wins. */
export function parseKeyValueLines(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([^:]+?):\s*(.*?)\s*$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    if (!(match[1] in fields)) fields[match[1]] = match[2];
  }
  return fields;
}

/** sw_vers: ProductName, ProductVersion, BuildVersion. */
export function parseSwVers(
  text: string,
): { name: string; version: string | null; build: string | null } | null {
  const fields = parseKeyValueLines(text);
  if (!fields.ProductName) return null;
  return {
    name: fields.ProductName,
    version: fields.ProductVersion ?? null,
    build: fields.BuildVersion ?? null,
  };
}

export interface FdesetupStatus {
  on: boolean;
  /** `Encryption in progress: Percent completed = 43.2`, `Decryption in progress...` */
  conversion: string | null;
}

/** `fdesetup status`: "FileVault is On." / "FileVault is Off.", then an optional conversion line. */
export function parseFdesetupStatus(text: string): FdesetupStatus | null {
  const state = /FileVault is (On|Off)/.exec(text)?.[1];
  if (!state) return null;
  const conversion = /^(?:Encryption|Decryption) in progress.*$/m.exec(text)?.[0] ?? null;
  return { on: state === 'On', conversion };
}

/** `df -P <path>`: the mount point is everything after the capacity column ("45%"). */
export function parseDfMountPoint(text: string): { device: string; mountPoint: string } | null {
  const line = text.split('\n')[1];
  if (!line) return null;
  const match = /^(\S+)\s+\d+\s+\d+\s+\d+\s+\d+%\s+(.+)$/.exec(line.trim());
  return match?.[1] && match[2] ? { device: match[1], mountPoint: match[2] } : null;
}

/** `csrutil status`: enabled, disabled, or a custom configuration (reported as `custom`). */
export function parseCsrutilStatus(text: string): 'enabled' | 'disabled' | 'custom' | null {
  const status = /System Integrity Protection status:\s*(enabled|disabled|unknown)/.exec(text)?.[1];
  if (status === 'enabled' || status === 'disabled') return status;
  return status === 'unknown' && /Custom Configuration/.test(text) ? 'custom' : null;
}

/**
 * `system_profiler SPiBridgeDataType` on Intel Macs with a T2 chip: "Secure Boot: Full Security"
 * (or Medium Security, No Security). Empty on Macs without a T2.
 */
export function parseIBridge(text: string): { model: string | null; secureBoot: string | null } {
  const fields = parseKeyValueLines(text);
  return { model: fields['Model Name'] ?? null, secureBoot: fields['Secure Boot'] ?? null };
}

/** `socketfilterfw --getglobalstate`: "Firewall is enabled. (State = 1)"; 2 blocks all incoming. */
export function parseSocketFilterState(text: string): 0 | 1 | 2 | null {
  const state = /State\s*=\s*(\d)/.exec(text)?.[1];
  if (state === '0' || state === '1' || state === '2') return Number(state) as 0 | 1 | 2;
  if (/Firewall is (enabled|on)/i.test(text)) return 1;
  if (/Firewall is (disabled|off)/i.test(text)) return 0;
  return null;
}

/** `spctl --status`: "assessments enabled" / "assessments disabled" (Gatekeeper). */
export function parseSpctlStatus(text: string): boolean | null {
  const state = /assessments (enabled|disabled)/.exec(text)?.[1];
  return state === undefined ? null : state === 'enabled';
}

/**
 * `sysadminctl -screenLock status` (logs to stderr): "screenLock delay is immediate",
 * "screenLock delay is 300 seconds", or "screenLock is off".
 */
export function parseScreenLockStatus(
  text: string,
): { enabled: boolean; delaySeconds: number | null } | null {
  if (/screenLock is off/.test(text)) return { enabled: false, delaySeconds: null };
  const delay = /screenLock delay is (immediate|(\d+) seconds?)/.exec(text);
  if (!delay) return null;
  return { enabled: true, delaySeconds: delay[1] === 'immediate' ? 0 : Number(delay[2]) };
}

/** `ps -axo pid=,comm=`: pid, then the executable path (or `-zsh` for a login shell). */
export function parsePsList(text: string): { pid: number; command: string }[] {
  const processes: { pid: number; command: string }[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+(.+?)\s*$/.exec(line);
    if (match?.[1] && match[2]) processes.push({ pid: Number(match[1]), command: match[2] });
  }
  return processes;
}
