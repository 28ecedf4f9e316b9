import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failed, ok, unknown } from '../probe.ts';
import type { CodeIntegrityInfo, ProbeOutcome } from '../types.ts';

/**
 * Kernel lockdown (kernel_lockdown(7)): `none [integrity] confidentiality`, the active mode in
 * brackets. integrity or confidentiality stop root from changing the running kernel; distributions
 * turn it on with Secure Boot.
 */
export function probeLinuxCodeIntegrity(root: string): ProbeOutcome<CodeIntegrityInfo> {
  let text: string;
  try {
    text = readFileSync(join(root, 'sys/kernel/security/lockdown'), 'utf8');
  } catch {
    const mounted = existsSync(join(root, 'sys/kernel/security/lsm'));
    return unknown(
      mounted
        ? 'Kernel lockdown is not built in (no /sys/kernel/security/lockdown)'
        : 'securityfs is not mounted at /sys/kernel/security',
    );
  }
  const mode = /\[(\w+)\]/.exec(text)?.[1];
  if (!mode) return unknown(`Unexpected /sys/kernel/security/lockdown: "${text.trim()}"`);
  if (mode === 'none') return failed('Kernel lockdown: none', { lockdown: false });
  return ok({ lockdown: true }, `Kernel lockdown: ${mode}`);
}
