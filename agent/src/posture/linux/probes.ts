import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bearsProductName, type EdrProduct, matchEndpointProtection, type ObservedProcess } from '../edr.ts';
import type { CommandRunner } from '../exec.ts';
import type { PlatformProbes } from '../types.ts';
import { probeLinuxCodeIntegrity } from './code-integrity.ts';
import { probeLinuxDiskEncryption } from './disk-encryption.ts';
import { identifyLinuxEdrProcess, readArgv0 } from './edr-identity.ts';
import { probeLinuxFirewall } from './firewall.ts';
import { listLinuxProcesses, type ProcessListing } from './processes.ts';
import { probeLinuxScreenLock } from './screen-lock.ts';
import { probeLinuxSecureBoot } from './secure-boot.ts';
import {
  probeLinuxArch,
  probeLinuxHostname,
  probeLinuxKernel,
  probeLinuxOs,
  probeLinuxUser,
} from './system.ts';

export interface LinuxProbeContext {
  /** Where /proc, /sys and /etc are read from: '/' live, a synthetic tree in tests. */
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  projectDir: string;
  exec: CommandRunner;
  timeoutMs: number;
  edrCatalog: readonly EdrProduct[];
  /** The uid the probe runs as (another user's executables are readable only by root). */
  uid?: number;
}

const currentUid = (): number => process.getuid?.() ?? -1;

/**
 * Linux posture, read in process from procfs, sysfs and /etc (3-8 ms together); only the
 * GNOME-family screen-lock probe spawns a command, and only in a graphical session.
 */
export function createLinuxProbes(context: LinuxProbeContext): PlatformProbes {
  const { root } = context;
  let listing: ProcessListing | undefined;
  const processes = (): ProcessListing => {
    listing ??= listLinuxProcesses(root);
    return listing;
  };
  return {
    os: () => probeLinuxOs(root),
    kernel: () => probeLinuxKernel(root),
    arch: () => probeLinuxArch(root),
    hostname: () => probeLinuxHostname(root),
    user: () => probeLinuxUser(root, context.env),
    diskEncryption: () =>
      probeLinuxDiskEncryption(root, [
        { role: 'home', path: context.home },
        { role: 'project', path: context.projectDir },
      ]),
    secureBoot: () => probeLinuxSecureBoot(root),
    firewall: () => probeLinuxFirewall(root, processes().processes),
    screenLock: () =>
      probeLinuxScreenLock({
        root,
        env: context.env,
        home: context.home,
        exec: context.exec,
        timeoutMs: context.timeoutMs,
      }),
    endpointProtection: async () => {
      const scan = processes();
      const limitation = scan.restricted
        ? 'PID 1 is not visible (procfs hidepid or a PID namespace)'
        : scan.hidden > 0
          ? `${scan.hidden} processes hide their names (procfs hidepid)`
          : undefined;
      const observed: ObservedProcess[] = [];
      for (const p of scan.processes) {
        const seen: ObservedProcess = {
          pid: p.pid,
          names: p.argv0 === null ? [] : [p.argv0],
          truncatedName: p.comm,
        };
        // A name is a claim: check the ones that make it against the vendor's install.
        const product = context.edrCatalog.find((candidate) => bearsProductName(seen, candidate));
        if (product)
          seen.identity = await identifyLinuxEdrProcess(
            { root, exec: context.exec, timeoutMs: context.timeoutMs, uid: context.uid ?? currentUid() },
            p.pid,
            p.argv0 ?? readArgv0(root, p.pid),
            product,
          );
        observed.push(seen);
      }
      return matchEndpointProtection(
        {
          platform: 'linux',
          processes: observed,
          pathExists: (path) => existsSync(join(root, path)),
          source: '/proc',
          ...(limitation === undefined ? {} : { limitation }),
        },
        context.edrCatalog,
      );
    },
    codeIntegrity: () => probeLinuxCodeIntegrity(root),
  };
}
