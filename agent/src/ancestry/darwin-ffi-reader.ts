/**
 * macOS process reader over libproc and sysctl through `bun:ffi`. Loaded only on macOS
 * (capture-ancestry.ts imports it dynamically). Written against the documented interfaces
 * (<libproc.h>, <sys/proc_info.h>, sysctl(3) KERN_PROCARGS2); it cannot run on the Linux CI.
 *
 * Unlike Linux there is no handle to the running image: the executable is hashed by the path
 * proc_pidpath reports, so a binary replaced after launch hashes as the new file (its changed
 * identity is still recorded). A code-signing cdhash would be the sturdier identity (issue 4 gap).
 */
import { dlopen, FFIType } from 'bun:ffi';
import { decodeBsdInfo, PROC_BSDINFO_SIZE, parseProcArgs2 } from './darwin-structs.ts';
import { AncestryError } from './errors.ts';
import type { ProcessReader, ReadResult } from './process-reader.ts';

// <sys/proc_info.h>, <sys/sysctl.h>
const PROC_PIDTBSDINFO = 3;
const PROC_PIDPATHINFO_MAXSIZE = 4096;
const CTL_KERN = 1;
const KERN_ARGMAX = 8;
const KERN_PROCARGS2 = 49;

export function createDarwinProcessReader(): ProcessReader {
  let lib: ReturnType<typeof open>;
  try {
    lib = open();
  } catch (error) {
    throw new AncestryError(
      'UNSUPPORTED_PLATFORM',
      `Cannot load libSystem for process ancestry: ${(error as Error).message}`,
    );
  }
  const { proc_pidinfo, proc_pidpath, sysctl } = lib.symbols;

  const bsdInfo = (pid: number) => {
    const buffer = new Uint8Array(PROC_BSDINFO_SIZE);
    const written = proc_pidinfo(pid, PROC_PIDTBSDINFO, 0n, buffer, PROC_BSDINFO_SIZE);
    return written === PROC_BSDINFO_SIZE ? decodeBsdInfo(buffer) : null;
  };

  let argMax: number | undefined;
  const procArgs = (pid: number) => {
    if (argMax === undefined) {
      const value = new Int32Array(1);
      const size = new BigUint64Array([4n]);
      argMax =
        sysctl(new Int32Array([CTL_KERN, KERN_ARGMAX]), 2, value, size, null, 0n) === 0 ? (value[0] ?? 0) : 0;
      if (argMax <= 0) argMax = 1 << 20;
    }
    const buffer = new Uint8Array(argMax);
    const size = new BigUint64Array([BigInt(argMax)]);
    // Fails (EINVAL) for other users' processes unless root: the command line is then unknown.
    if (sysctl(new Int32Array([CTL_KERN, KERN_PROCARGS2, pid]), 3, buffer, size, null, 0n) !== 0) return null;
    return parseProcArgs2(buffer.subarray(0, Number(size[0] ?? 0n)));
  };

  const path = (pid: number): string | null => {
    const buffer = new Uint8Array(PROC_PIDPATHINFO_MAXSIZE);
    const length = proc_pidpath(pid, buffer, PROC_PIDPATHINFO_MAXSIZE);
    return length > 0 ? new TextDecoder().decode(buffer.subarray(0, length)) : null;
  };

  const read = (pid: number): ReadResult => {
    const info = bsdInfo(pid);
    if (info === null) return { found: false, exists: false, reason: 'proc_pidinfo found no such process' };
    const notes: string[] = [];
    const exe = path(pid);
    if (exe === null) notes.push('proc_pidpath failed');
    const args = procArgs(pid);
    if (args === null) notes.push("KERN_PROCARGS2 refused (another user's process)");
    return {
      found: true,
      process: {
        pid,
        // launchd (pid 1) reports ppid 0; so does kernel_task (pid 0).
        ppid: info.ppid,
        start: info.startMicros,
        startedAt: new Date(Number(info.startMicros / 1000n)).toISOString(),
        uid: String(info.uid),
        name: info.name,
        exe,
        argv: args?.argv ?? null,
        hashPath: exe,
        notes,
      },
    };
  };

  return { platform: 'darwin', read, readStart: (pid) => bsdInfo(pid)?.startMicros ?? null };
}

function open() {
  return dlopen('/usr/lib/libSystem.B.dylib', {
    proc_pidinfo: {
      args: [FFIType.i32, FFIType.i32, FFIType.u64, FFIType.ptr, FFIType.i32],
      returns: FFIType.i32,
    },
    proc_pidpath: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    sysctl: {
      args: [FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64],
      returns: FFIType.i32,
    },
  });
}
