import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcStat } from '../../ancestry/linux-reader.ts';
import { LINUX_COMM_LENGTH } from '../edr.ts';

export interface LinuxProcessEntry {
  pid: number;
  /** The kernel's name for it (comm): at most 15 characters (TASK_COMM_LEN 16 with its NUL). */
  comm: string;
  /** argv[0], read only when comm may have been cut (exactly 15 characters). */
  argv0: string | null;
}

export interface ProcessListing {
  processes: LinuxProcessEntry[];
  /** Processes whose details were hidden (procfs hidepid=1): a scan may miss them. */
  hidden: number;
  /** True when PID 1 is not visible: procfs is mounted with hidepid=2 or this is a restricted view. */
  restricted: boolean;
}

/**
 * Every live (not zombie) process under `root`/proc with its name. One read per process
 * (/proc/<pid>/stat gives the name and the state; ~85 processes take 1-2 ms warm): argv[0] is
 * read only for names the kernel may have cut, and executable links not at all (they are
 * root-only for other users' processes).
 */
export function listLinuxProcesses(root: string): ProcessListing {
  const proc = join(root, 'proc');
  const processes: LinuxProcessEntry[] = [];
  // One reused buffer and one read per process: a stat line is well under 1 KiB, and procfs
  // files report size 0, which makes readFileSync probe and loop.
  const buffer = Buffer.allocUnsafe(4096);
  let hidden = 0;
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      const fd = openSync(join(proc, name, 'stat'), 'r');
      try {
        text = buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      // ENOENT: it exited since the listing; anything else hides it from us.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') hidden++;
      continue;
    }
    const stat = parseProcStat(text);
    // A zombie runs nothing.
    if (stat === null || stat.state === 'Z' || stat.state === 'X') continue;
    let argv0: string | null = null;
    if (stat.comm.length === LINUX_COMM_LENGTH) {
      try {
        argv0 = readFileSync(join(proc, name, 'cmdline'), 'utf8').split('\0')[0] || null;
      } catch {
        argv0 = null;
      }
    }
    processes.push({ pid: Number(name), comm: stat.comm, argv0 });
  }
  processes.sort((a, b) => a.pid - b.pid);
  return { processes, hidden, restricted: !processes.some((p) => p.pid === 1) };
}
