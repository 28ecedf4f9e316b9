import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failed, ok, unknown } from '../probe.ts';
import type { FirewallInfo, ProbeOutcome } from '../types.ts';
import type { LinuxProcessEntry } from './processes.ts';

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** systemd enables a unit by linking it into a target's `.wants/` folder. */
function unitEnabled(root: string, unit: string): boolean {
  return [
    'sysinit.target.wants',
    'multi-user.target.wants',
    'basic.target.wants',
    'network-pre.target.wants',
  ].some((wants) => existsSync(join(root, 'etc/systemd/system', wants, unit)));
}

/**
 * The firewall as far as a normal user can read it. Live rules are root-only
 * (/proc/net/ip_tables_names is 0440, `nft list ruleset` needs CAP_NET_ADMIN), so this reads
 * the configuration of the usual managers: ufw's ENABLED flag, a running firewalld, and enabled
 * nftables or iptables-persistent units that load a ruleset at boot.
 */
export function probeLinuxFirewall(
  root: string,
  processes: readonly LinuxProcessEntry[],
): ProbeOutcome<FirewallInfo> {
  const on: { source: string; evidence: string }[] = [];
  const off: { source: string; evidence: string }[] = [];
  const ufw = readText(join(root, 'etc/ufw/ufw.conf'));
  const ufwEnabled = ufw === null ? null : /^\s*ENABLED\s*=\s*"?(yes|no)"?/im.exec(ufw)?.[1]?.toLowerCase();
  if (ufwEnabled === 'yes') on.push({ source: 'ufw', evidence: '/etc/ufw/ufw.conf: ENABLED=yes' });
  else if (ufwEnabled === 'no') off.push({ source: 'ufw', evidence: '/etc/ufw/ufw.conf: ENABLED=no' });

  const firewalld = processes.find((p) => p.comm === 'firewalld');
  if (firewalld) on.push({ source: 'firewalld', evidence: `firewalld running (pid ${firewalld.pid})` });
  else if (existsSync(join(root, 'usr/sbin/firewalld')))
    off.push({ source: 'firewalld', evidence: 'firewalld installed but not running' });

  if (unitEnabled(root, 'nftables.service'))
    on.push({ source: 'nftables', evidence: 'nftables.service enabled (loads /etc/nftables.conf at boot)' });
  if (unitEnabled(root, 'netfilter-persistent.service'))
    on.push({
      source: 'iptables-persistent',
      evidence: 'netfilter-persistent.service enabled (loads /etc/iptables at boot)',
    });

  const tables = readText(join(root, 'proc/net/ip_tables_names'));
  const kernel =
    tables === null
      ? ''
      : `; iptables tables loaded: ${tables.trim().split('\n').filter(Boolean).join(', ') || 'none'}`;
  const first = on[0];
  if (first)
    return ok({ enabled: true, source: first.source }, on.map((o) => o.evidence).join('; ') + kernel);
  const firstOff = off[0];
  if (firstOff)
    return failed(off.map((o) => o.evidence).join('; ') + kernel, {
      enabled: false,
      source: firstOff.source,
    });
  return unknown(
    `No ufw, firewalld, nftables or iptables-persistent configuration found; live rules need root${kernel}`,
  );
}
