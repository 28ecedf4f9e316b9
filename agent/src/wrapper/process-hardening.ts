import { dlopen, FFIType } from 'bun:ffi';

/** prctl(2) options (linux/prctl.h). */
const PR_GET_DUMPABLE = 3;
const PR_SET_DUMPABLE = 4;

/**
 * The model API key stays in ceros's own environment block, which /proc/<pid>/environ shows to
 * every process of the same user, the agent's tools included. Marking the process not dumpable
 * (as ssh-agent does) makes its /proc files and memory unreadable to them; children that exec
 * (Claude Code, which holds only placeholders) are dumpable again. Root still reads everything
 * (threat-model.md: ceros does not defend against code running as root).
 */
export function protectProcessMemory(platform: string = process.platform): string {
  if (platform !== 'linux') return `not protected: no prctl on "${platform}"`;
  try {
    const libc = dlopen('libc.so.6', {
      prctl: {
        args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64],
        returns: FFIType.i32,
      },
    });
    try {
      if (libc.symbols.prctl(PR_SET_DUMPABLE, 0n, 0n, 0n, 0n) !== 0)
        return 'not protected: prctl(PR_SET_DUMPABLE) failed';
      return libc.symbols.prctl(PR_GET_DUMPABLE, 0n, 0n, 0n, 0n) === 0
        ? 'protected (not dumpable: /proc/<pid>/environ is closed to other processes of this user)'
        : 'not protected: the process is still dumpable';
    } finally {
      libc.close();
    }
  } catch (error) {
    return `not protected: ${(error as Error).message}`;
  }
}
