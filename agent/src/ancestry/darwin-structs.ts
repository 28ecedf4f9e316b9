/**
 * Pure decoders for the macOS process structures read through FFI in `darwin-ffi-reader.ts`, kept
 * apart so they are tested on every OS.
 */

/** sizeof(struct proc_bsdinfo), <sys/proc_info.h>. */
export const PROC_BSDINFO_SIZE = 136;

export interface BsdInfo {
  pid: number;
  ppid: number;
  /** pbi_ruid: the real uid. */
  uid: number;
  /** pbi_name when set (up to 32 bytes), else pbi_comm (16). */
  name: string;
  /** Microseconds since the epoch: pbi_start_tvsec * 1e6 + pbi_start_tvusec. */
  startMicros: bigint;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Decodes struct proc_bsdinfo (proc_pidinfo flavor PROC_PIDTBSDINFO): u32 flags, status, xstatus,
 * pid, ppid, uid, gid, ruid, rgid, svuid, svgid, rfu_1 at 0..44; comm[16] at 48; name[32] at 64;
 * nfiles, pgid, pjobc, e_tdev, e_tpgid, nice at 96..116; u64 start_tvsec at 120, start_tvusec at 128.
 */
export function decodeBsdInfo(buffer: Uint8Array): BsdInfo | null {
  if (buffer.byteLength < PROC_BSDINFO_SIZE) return null;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const comm = cString(buffer.subarray(48, 64));
  const name = cString(buffer.subarray(64, 96));
  return {
    pid: view.getUint32(12, true),
    ppid: view.getUint32(16, true),
    uid: view.getUint32(28, true),
    name: name || comm,
    startMicros: view.getBigUint64(120, true) * 1_000_000n + view.getBigUint64(128, true),
  };
}

/**
 * Parses the KERN_PROCARGS2 sysctl buffer: a native-endian int argc, the executable path and its
 * NUL, NUL padding, then argc NUL-terminated arguments (the environment follows and is not read).
 */
export function parseProcArgs2(buffer: Uint8Array): { execPath: string; argv: string[] } | null {
  if (buffer.byteLength < 4) return null;
  const argc = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength).getInt32(0, true);
  if (argc < 0 || argc > 65_536) return null;
  let offset = 4;
  const pathEnd = buffer.indexOf(0, offset);
  if (pathEnd < 0) return null;
  const decoder = new TextDecoder();
  const execPath = decoder.decode(buffer.subarray(offset, pathEnd));
  offset = pathEnd;
  while (offset < buffer.byteLength && buffer[offset] === 0) offset++;
  const argv: string[] = [];
  while (argv.length < argc && offset < buffer.byteLength) {
    let end = buffer.indexOf(0, offset);
    if (end < 0) end = buffer.byteLength;
    argv.push(decoder.decode(buffer.subarray(offset, end)));
    offset = end + 1;
  }
  return { execPath, argv };
}
