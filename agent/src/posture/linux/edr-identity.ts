import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { EdrProduct, ProcessIdentity } from '../edr.ts';
import type { CommandRunner } from '../exec.ts';

export interface LinuxIdentityContext {
  /** Where /proc and the install paths are read from: '/' live. */
  root: string;
  exec: CommandRunner;
  timeoutMs: number;
  /** The uid this probe runs as: another user's /proc/<pid>/exe is readable only by root. */
  uid: number;
}

/**
 * Is process `pid`, which bears one of `product`'s names, the vendor's install? In order:
 * - it runs as root (the kernel says so: the owner of /proc/<pid>), as every agent in the catalog
 *   does; a user's look-alike does not;
 * - its executable (/proc/<pid>/exe) lies under one of the vendor's install paths, is owned by
 *   root and writable by no one else;
 * - the package manager claims the file (dpkg -S, rpm -qf), or it sits at the vendor's path;
 * - the running image hashes (SHA-256) to the file installed there: a binary swapped after start,
 *   or a copy run from elsewhere under that name, does not.
 * When the executable cannot be read (a non-root probe looking at a root process), a root-owned
 * process whose argv[0] is the vendor's installed file is taken, and the evidence says how much
 * was checked. Never throws.
 */
export async function identifyLinuxEdrProcess(
  context: LinuxIdentityContext,
  pid: number,
  argv0: string | null,
  product: EdrProduct,
): Promise<ProcessIdentity> {
  const installs = product.paths.linux ?? [];
  const procDir = join(context.root, 'proc', String(pid));
  const owner = processUids(procDir);
  if (owner === null) return { verdict: 'unverified', evidence: 'exited before it could be checked' };
  const notRoot = owner.find((uid) => uid !== 0);
  if (notRoot !== undefined) return { verdict: 'impostor', evidence: `runs as uid ${notRoot}, not root` };

  let exe: string;
  try {
    exe = inRoot(context.root, readlinkSync(join(procDir, 'exe')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM')
      return { verdict: 'unverified', evidence: `its executable cannot be read (${code})` };
    // Not ours to read: argv[0] (settable only by the process, which is root's) must name the install.
    if (!argv0 || !isAbsolute(argv0) || !under(argv0, installs))
      return {
        verdict: 'unverified',
        evidence: `runs as root, but its executable is not readable as uid ${context.uid} and argv[0] does not name the vendor's install`,
      };
    const file = installedFile(context.root, argv0);
    if (!file.ok) return { verdict: 'impostor', evidence: file.why };
    return {
      verdict: 'genuine',
      evidence: `runs as root from ${argv0} (argv[0]; the image itself is not readable as uid ${context.uid}), ${await packageOf(context, argv0)}`,
    };
  }
  if (exe.endsWith(' (deleted)'))
    return {
      verdict: 'unverified',
      evidence: `its executable ${exe.slice(0, -' (deleted)'.length)} was replaced or removed since it started (an upgrade?)`,
    };
  if (!under(exe, installs))
    return {
      verdict: 'impostor',
      evidence: `runs ${exe}, not from the vendor's install (${installs.join(', ') || 'none known for Linux'})`,
    };
  const file = installedFile(context.root, exe);
  if (!file.ok) return { verdict: 'impostor', evidence: file.why };
  let running: string;
  let installed: string;
  try {
    running = sha256File(join(procDir, 'exe'));
    installed = sha256File(join(context.root, exe));
  } catch (error) {
    return {
      verdict: 'unverified',
      evidence: `its executable cannot be hashed (${(error as Error).message})`,
    };
  }
  if (running !== installed)
    return {
      verdict: 'impostor',
      evidence: `runs an image (sha256 ${running.slice(0, 12)}) that is not ${exe} (sha256 ${installed.slice(0, 12)})`,
    };
  return {
    verdict: 'genuine',
    evidence: `runs as root from ${exe} (root-owned, sha256 ${running.slice(0, 12)} as installed), ${await packageOf(context, exe)}`,
  };
}

/** Real and effective uid, as the kernel keeps them (proc(5) status, `Uid:` line). */
function processUids(procDir: string): number[] | null {
  try {
    const line = readFileSync(join(procDir, 'status'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Uid:'));
    const fields = line?.slice(4).trim().split(/\s+/).slice(0, 2).map(Number) ?? [];
    return fields.length === 2 && fields.every(Number.isSafeInteger) ? fields : null;
  } catch {
    return null;
  }
}

/** A synthetic root's /proc links point into the root; the live one's are already in place. */
function inRoot(root: string, target: string): string {
  if (root === '/' || !target.startsWith(root)) return target;
  const rel = relative(root, target);
  return rel.startsWith('..') ? target : `/${rel}`;
}

function under(path: string, installs: readonly string[]): boolean {
  return installs.some((install) => {
    const rel = relative(install, path);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}

/** The installed file must be root's and writable by no one else, or anyone could swap it. */
function installedFile(root: string, path: string): { ok: true } | { ok: false; why: string } {
  try {
    const st = statSync(join(root, path));
    if (st.uid !== 0) return { ok: false, why: `runs ${path}, which belongs to uid ${st.uid}, not root` };
    if ((st.mode & 0o022) !== 0)
      return {
        ok: false,
        why: `runs ${path}, which others can write (mode ${(st.mode & 0o777).toString(8)})`,
      };
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      why: `names ${path}, which is not installed (${(error as NodeJS.ErrnoException).code})`,
    };
  }
}

/** Which package installed `path` (dpkg, else rpm), or that it is at the vendor's path only. */
async function packageOf(context: LinuxIdentityContext, path: string): Promise<string> {
  const dpkg = await context.exec('dpkg', ['-S', path], { timeoutMs: context.timeoutMs });
  if (dpkg.exitCode === 0) {
    const name = dpkg.stdout.split(':')[0]?.trim();
    if (name) return `package ${name} (dpkg)`;
  }
  const rpm = await context.exec('rpm', ['-qf', path], { timeoutMs: context.timeoutMs });
  if (rpm.exitCode === 0 && rpm.stdout.trim() !== '') return `package ${rpm.stdout.trim()} (rpm)`;
  return "no package claims it; it is at the vendor's install path";
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n <= 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** argv[0] of a process, when its cmdline is readable. */
export function readArgv0(root: string, pid: number): string | null {
  try {
    return readFileSync(join(root, 'proc', String(pid), 'cmdline'), 'utf8').split('\0')[0] || null;
  } catch {
    return null;
  }
}
