/**
 * Windows process reader over Win32 through `bun:ffi`. Loaded only on Windows
 * (capture-ancestry.ts imports it dynamically). Written against the documented APIs
 * (CreateToolhelp32Snapshot/Process32FirstW/NextW, OpenProcess with
 * PROCESS_QUERY_LIMITED_INFORMATION, QueryFullProcessImageNameW, GetProcessTimes,
 * NtQueryInformationProcess(ProcessCommandLineInformation, Windows 8.1+), OpenProcessToken +
 * GetTokenInformation(TokenUser) + ConvertSidToStringSidW); it cannot run on the Linux CI.
 *
 * Windows keeps a process's parent id after the parent exits, and pids are reused quickly: a
 * parent whose creation time is after its child's is a different process (checked by the walker).
 */
import { dlopen, FFIType, type Pointer, ptr, read } from 'bun:ffi';
import { AncestryError } from './errors.ts';
import type { ProcessReader, ReadResult } from './process-reader.ts';
import {
  decodeFileTime,
  decodeProcessEntry32W,
  decodeUnicodeStringResult,
  fileTimeToIso,
  PROCESSENTRY32W_SIZE,
  type ProcessEntry,
  splitWindowsCommandLine,
} from './win32-structs.ts';

const TH32CS_SNAPPROCESS = 0x2;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const TOKEN_QUERY = 0x8;
const TOKEN_USER_CLASS = 1;
const PROCESS_COMMAND_LINE_INFORMATION = 60;
const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;
/** UNICODE_STRING header plus the longest command line (32767 UTF-16 units). */
const COMMAND_LINE_BUFFER = 16 + 65_536;
const MAX_PATH_CHARS = 32_768;

// HANDLE and pointer-sized values are passed as u64 so INVALID_HANDLE_VALUE survives as a bigint.
function open() {
  const kernel32 = dlopen('kernel32.dll', {
    CreateToolhelp32Snapshot: { args: [FFIType.u32, FFIType.u32], returns: FFIType.u64 },
    Process32FirstW: { args: [FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
    Process32NextW: { args: [FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
    OpenProcess: { args: [FFIType.u32, FFIType.i32, FFIType.u32], returns: FFIType.u64 },
    QueryFullProcessImageNameW: {
      args: [FFIType.u64, FFIType.u32, FFIType.ptr, FFIType.ptr],
      returns: FFIType.i32,
    },
    GetProcessTimes: {
      args: [FFIType.u64, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr],
      returns: FFIType.i32,
    },
    CloseHandle: { args: [FFIType.u64], returns: FFIType.i32 },
    LocalFree: { args: [FFIType.u64], returns: FFIType.u64 },
  });
  const ntdll = dlopen('ntdll.dll', {
    NtQueryInformationProcess: {
      args: [FFIType.u64, FFIType.u32, FFIType.ptr, FFIType.u32, FFIType.ptr],
      returns: FFIType.i32,
    },
  });
  const advapi32 = dlopen('advapi32.dll', {
    OpenProcessToken: { args: [FFIType.u64, FFIType.u32, FFIType.ptr], returns: FFIType.i32 },
    GetTokenInformation: {
      args: [FFIType.u64, FFIType.u32, FFIType.ptr, FFIType.u32, FFIType.ptr],
      returns: FFIType.i32,
    },
    ConvertSidToStringSidW: { args: [FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  });
  return { ...kernel32.symbols, ...ntdll.symbols, ...advapi32.symbols };
}

export function createWin32ProcessReader(): ProcessReader {
  let api: ReturnType<typeof open>;
  try {
    api = open();
  } catch (error) {
    throw new AncestryError(
      'UNSUPPORTED_PLATFORM',
      `Cannot load Win32 libraries for process ancestry: ${(error as Error).message}`,
    );
  }

  const snapshot = (): Map<number, ProcessEntry> => {
    const table = new Map<number, ProcessEntry>();
    const handle = BigInt(api.CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0));
    if (handle === INVALID_HANDLE_VALUE) return table;
    try {
      const entry = new Uint8Array(PROCESSENTRY32W_SIZE);
      new DataView(entry.buffer).setUint32(0, PROCESSENTRY32W_SIZE, true);
      for (let ok = api.Process32FirstW(handle, entry); ok !== 0; ok = api.Process32NextW(handle, entry)) {
        const decoded = decodeProcessEntry32W(entry);
        table.set(decoded.pid, decoded);
      }
    } finally {
      api.CloseHandle(handle);
    }
    return table;
  };

  const creationTime = (handle: bigint): bigint | null => {
    const times = [new Uint8Array(8), new Uint8Array(8), new Uint8Array(8), new Uint8Array(8)] as const;
    if (api.GetProcessTimes(handle, times[0], times[1], times[2], times[3]) === 0) return null;
    return decodeFileTime(times[0]);
  };

  const imagePath = (handle: bigint): string | null => {
    const buffer = new Uint8Array(MAX_PATH_CHARS * 2);
    const size = new Uint32Array([MAX_PATH_CHARS]);
    if (api.QueryFullProcessImageNameW(handle, 0, buffer, size) === 0) return null;
    return new TextDecoder('utf-16le').decode(buffer.subarray(0, (size[0] ?? 0) * 2));
  };

  const commandLine = (handle: bigint): string | null => {
    const buffer = new Uint8Array(COMMAND_LINE_BUFFER);
    const returned = new Uint32Array(1);
    const status = api.NtQueryInformationProcess(
      handle,
      PROCESS_COMMAND_LINE_INFORMATION,
      buffer,
      COMMAND_LINE_BUFFER,
      returned,
    );
    if (status < 0) return null;
    return decodeUnicodeStringResult(buffer, BigInt(ptr(buffer)));
  };

  const userSid = (handle: bigint): string | null => {
    const token = new BigUint64Array(1);
    if (api.OpenProcessToken(handle, TOKEN_QUERY, token) === 0) return null;
    const tokenHandle = token[0] ?? 0n;
    try {
      const info = new Uint8Array(256);
      const length = new Uint32Array(1);
      if (api.GetTokenInformation(tokenHandle, TOKEN_USER_CLASS, info, info.byteLength, length) === 0)
        return null;
      // TOKEN_USER starts with SID_AND_ATTRIBUTES { PSID Sid; DWORD Attributes }.
      const sid = new DataView(info.buffer).getBigUint64(0, true);
      const out = new BigUint64Array(1);
      if (api.ConvertSidToStringSidW(sid, out) === 0) return null;
      const text = out[0] ?? 0n;
      try {
        let result = '';
        for (let offset = 0; offset < 512; offset += 2) {
          const unit = read.u16(Number(text) as Pointer, offset);
          if (unit === 0) break;
          result += String.fromCharCode(unit);
        }
        return result;
      } finally {
        api.LocalFree(text);
      }
    } finally {
      api.CloseHandle(tokenHandle);
    }
  };

  const withProcess = <T>(pid: number, use: (handle: bigint) => T): T | null => {
    const handle = BigInt(api.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid));
    if (handle === 0n) return null;
    try {
      return use(handle);
    } finally {
      api.CloseHandle(handle);
    }
  };

  let table: Map<number, ProcessEntry> | undefined;
  const read32 = (pid: number): ReadResult => {
    table ??= snapshot();
    const entry = table.get(pid);
    if (!entry) return { found: false, exists: false, reason: 'not in the process snapshot' };
    const notes: string[] = [];
    const details = withProcess(pid, (handle) => ({
      start: creationTime(handle),
      exe: imagePath(handle),
      line: commandLine(handle),
      sid: userSid(handle),
    }));
    // System, Registry, protected processes (csrss, antimalware) refuse even limited access.
    if (details === null) notes.push('OpenProcess refused');
    if (details !== null && details.line === null) notes.push('command line unreadable');
    return {
      found: true,
      process: {
        pid,
        ppid: entry.ppid,
        start: details?.start ?? 0n,
        startedAt: details?.start ? fileTimeToIso(details.start) : null,
        uid: details?.sid ?? null,
        name: entry.exeFile,
        exe: details?.exe ?? null,
        argv: details?.line ? splitWindowsCommandLine(details.line) : null,
        hashPath: details?.exe ?? null,
        notes,
      },
    };
  };

  return {
    platform: 'win32',
    read: read32,
    readStart: (pid) => withProcess(pid, creationTime) ?? null,
  };
}
