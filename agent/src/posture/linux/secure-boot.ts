import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failed, ok, unknown } from '../probe.ts';
import type { ProbeOutcome, SecureBootState } from '../types.ts';

/** EFI_GLOBAL_VARIABLE (UEFI 2.x, 3.3): the vendor GUID of SecureBoot and SetupMode. */
export const EFI_GLOBAL_GUID = '8be4df61-93ca-11d2-aa0d-00e098032b8c';

/**
 * The value byte of a UEFI variable: efivarfs files start with 4 bytes of attributes
 * (Documentation/filesystems/efivarfs.rst); the old sysfs `vars/<name>/data` holds the value alone.
 */
function readVariable(root: string, name: string): { value: number } | { missing: true } | { error: string } {
  const efivarfs = join(root, 'sys/firmware/efi/efivars', `${name}-${EFI_GLOBAL_GUID}`);
  try {
    const bytes = readFileSync(efivarfs);
    if (bytes.length >= 5) return { value: bytes[4] as number };
    return { error: `${name} variable is ${bytes.length} bytes` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return { error: `${name}: ${code}` };
  }
  try {
    const bytes = readFileSync(join(root, 'sys/firmware/efi/vars', `${name}-${EFI_GLOBAL_GUID}`, 'data'));
    if (bytes.length >= 1) return { value: bytes[0] as number };
  } catch {
    // Neither interface has it.
  }
  return { missing: true };
}

function hasEntries(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/**
 * Secure Boot from sysfs: no /sys/firmware/efi means a legacy BIOS boot (`unsupported`); the
 * SecureBoot variable's byte is 1 when the firmware enforces signatures (`on`) and 0 when not
 * (`off`); UEFI firmware without the variable does not support Secure Boot (`unsupported`).
 */
export function probeLinuxSecureBoot(root: string): ProbeOutcome<SecureBootState> {
  const firmware = join(root, 'sys/firmware');
  if (!existsSync(join(firmware, 'efi'))) {
    if (existsSync(firmware)) return failed('Legacy BIOS boot: /sys/firmware/efi is absent', 'unsupported');
    return unknown('/sys/firmware is not visible (sysfs masked, as in some containers)');
  }
  const secureBoot = readVariable(root, 'SecureBoot');
  if ('error' in secureBoot)
    return unknown(`UEFI boot, but the SecureBoot variable is unreadable (${secureBoot.error})`);
  if ('missing' in secureBoot) {
    const varsPresent =
      hasEntries(join(root, 'sys/firmware/efi/efivars')) || hasEntries(join(root, 'sys/firmware/efi/vars'));
    if (varsPresent)
      return failed(
        'UEFI firmware without a SecureBoot variable: Secure Boot is not supported',
        'unsupported',
      );
    return unknown('UEFI boot, but efivarfs is not mounted at /sys/firmware/efi/efivars');
  }
  const setup = readVariable(root, 'SetupMode');
  const setupNote = 'value' in setup && setup.value === 1 ? '; SetupMode=1 (no platform key enrolled)' : '';
  const source = `SecureBoot-${EFI_GLOBAL_GUID}`;
  if (secureBoot.value === 1) return ok('on', `${source} = 1${setupNote}`);
  if (secureBoot.value === 0) return failed(`${source} = 0: Secure Boot is off${setupNote}`, 'off');
  return unknown(`${source} has unexpected value ${secureBoot.value}`);
}
