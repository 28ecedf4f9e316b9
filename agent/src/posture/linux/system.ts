import { readFileSync } from 'node:fs';
import { machine } from 'node:os';
import { join } from 'node:path';
import { ok, unknown } from '../probe.ts';
import type { KernelInfo, OsInfo, ProbeOutcome, UserInfo } from '../types.ts';

/** os-release(5): KEY=value lines, values optionally quoted with shell-style escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match?.[1]) continue;
    let value = match[2] ?? '';
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2)
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    fields[match[1]] = value;
  }
  return fields;
}

function readTrimmed(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

export function probeLinuxOs(root: string): ProbeOutcome<OsInfo> {
  // os-release(5): /etc/os-release, falling back to /usr/lib/os-release.
  for (const path of ['etc/os-release', 'usr/lib/os-release']) {
    let text: string;
    try {
      text = readFileSync(join(root, path), 'utf8');
    } catch {
      continue;
    }
    const fields = parseOsRelease(text);
    const name = fields.PRETTY_NAME ?? fields.NAME;
    if (!name) return unknown(`/${path} has neither PRETTY_NAME nor NAME`);
    return ok(
      { name, version: fields.VERSION_ID ?? null, build: fields.BUILD_ID ?? fields.VERSION_CODENAME ?? null },
      `/${path}: NAME="${fields.NAME ?? ''}" VERSION_ID="${fields.VERSION_ID ?? ''}"`,
    );
  }
  return unknown('Neither /etc/os-release nor /usr/lib/os-release is readable');
}

export function probeLinuxKernel(root: string): ProbeOutcome<KernelInfo> {
  try {
    const release = readTrimmed(join(root, 'proc/sys/kernel/osrelease'));
    let version: string | null = null;
    try {
      version = readTrimmed(join(root, 'proc/sys/kernel/version'));
    } catch {
      version = null;
    }
    return ok({ release, version }, `/proc/sys/kernel/osrelease: ${release}`);
  } catch (error) {
    return unknown(`/proc/sys/kernel/osrelease: ${code(error)}`);
  }
}

export function probeLinuxArch(root: string, fallback: () => string = machine): ProbeOutcome<string> {
  // /proc/sys/kernel/arch exists since Linux 6.1; uname(2) machine otherwise.
  try {
    const arch = readTrimmed(join(root, 'proc/sys/kernel/arch'));
    return ok(arch, `/proc/sys/kernel/arch: ${arch}`);
  } catch {
    const arch = fallback();
    return ok(arch, `uname machine: ${arch}`);
  }
}

export function probeLinuxHostname(root: string): ProbeOutcome<string> {
  try {
    const hostname = readTrimmed(join(root, 'proc/sys/kernel/hostname'));
    return ok(hostname, `/proc/sys/kernel/hostname: ${hostname}`);
  } catch (error) {
    return unknown(`/proc/sys/kernel/hostname: ${code(error)}`);
  }
}

/** passwd(5): name:password:uid:gid:gecos:home:shell. */
export function userNameFromPasswd(text: string, uid: string): string | null {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[2] === uid && fields[0]) return fields[0];
  }
  return null;
}

/** The user the capturing process runs as: the real uid from /proc/self/status, its name from /etc/passwd. */
export function probeLinuxUser(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): ProbeOutcome<UserInfo> {
  let uid: string | null;
  try {
    uid = /^Uid:\s+(\d+)/m.exec(readFileSync(join(root, 'proc/self/status'), 'utf8'))?.[1] ?? null;
  } catch (error) {
    return unknown(`/proc/self/status: ${code(error)}`);
  }
  if (uid === null) return unknown('/proc/self/status has no Uid line');
  let name: string | null = null;
  try {
    name = userNameFromPasswd(readFileSync(join(root, 'etc/passwd'), 'utf8'), uid);
  } catch {
    name = null;
  }
  if (name !== null) return ok({ name, uid }, `uid ${uid} is "${name}" in /etc/passwd`);
  // Directory users (LDAP, sssd) are not in /etc/passwd; $USER is only a claim.
  const claimed = env.USER ?? env.LOGNAME ?? null;
  if (claimed) return ok({ name: claimed, uid }, `uid ${uid} is not in /etc/passwd; name from $USER`);
  return unknown(`uid ${uid} has no name in /etc/passwd and $USER is unset`, { name: null, uid });
}
