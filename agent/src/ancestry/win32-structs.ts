/**
 * Pure decoders for the Windows structures read through FFI in `win32-ffi-reader.ts`, kept apart so
 * they are tested on every OS. Layouts are for 64-bit Windows.
 */

/** sizeof(PROCESSENTRY32W) on x64: 44 bytes of fields, WCHAR szExeFile[260], padded to 8. */
export const PROCESSENTRY32W_SIZE = 568;

export interface ProcessEntry {
  pid: number;
  ppid: number;
  exeFile: string;
}

function utf16z(bytes: Uint8Array): string {
  let end = 0;
  while (end + 1 < bytes.byteLength && (bytes[end] !== 0 || bytes[end + 1] !== 0)) end += 2;
  return new TextDecoder('utf-16le').decode(bytes.subarray(0, end));
}

/**
 * PROCESSENTRY32W (tlhelp32.h): DWORD dwSize 0, cntUsage 4, th32ProcessID 8, ULONG_PTR
 * th32DefaultHeapID 16, DWORD th32ModuleID 24, cntThreads 28, th32ParentProcessID 32,
 * LONG pcPriClassBase 36, DWORD dwFlags 40, WCHAR szExeFile[260] 44.
 */
export function decodeProcessEntry32W(buffer: Uint8Array): ProcessEntry {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return {
    pid: view.getUint32(8, true),
    ppid: view.getUint32(32, true),
    exeFile: utf16z(buffer.subarray(44, 44 + 520)),
  };
}

/** FILETIME ticks (100 ns since 1601-01-01) at the Unix epoch. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

export function fileTimeToIso(fileTime: bigint): string | null {
  if (fileTime <= FILETIME_UNIX_EPOCH) return null;
  return new Date(Number((fileTime - FILETIME_UNIX_EPOCH) / 10_000n)).toISOString();
}

/** A FILETIME as two little-endian DWORDs (low, high). */
export function decodeFileTime(buffer: Uint8Array): bigint {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return (BigInt(view.getUint32(4, true)) << 32n) | BigInt(view.getUint32(0, true));
}

/**
 * Decodes the answer of NtQueryInformationProcess(ProcessCommandLineInformation): a UNICODE_STRING
 * (USHORT Length, USHORT MaximumLength, 4 bytes padding, PWSTR Buffer) whose Buffer points into the
 * same output buffer, which starts at `bufferAddress`.
 */
export function decodeUnicodeStringResult(buffer: Uint8Array, bufferAddress: bigint): string | null {
  if (buffer.byteLength < 16) return null;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const length = view.getUint16(0, true);
  const pointer = view.getBigUint64(8, true);
  if (length === 0) return '';
  const offset = Number(pointer - bufferAddress);
  if (offset < 16 || offset + length > buffer.byteLength) return null;
  return new TextDecoder('utf-16le').decode(buffer.subarray(offset, offset + length));
}

/**
 * Splits a Windows command line the way CommandLineToArgvW and the MSVC runtime do
 * ("Parsing C++ command-line arguments", Microsoft Learn): the program name ends at the first
 * unquoted space and takes no escapes; afterwards 2n backslashes before a quote give n
 * backslashes and toggle quoting, 2n+1 give n backslashes and a literal quote, `""` inside
 * quotes is a literal quote, and other backslashes are literal.
 */
export function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  // Program name.
  let program = '';
  let quoted = false;
  for (; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) break;
    else program += c;
  }
  args.push(program);
  for (;;) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length) break;
    let arg = '';
    quoted = false;
    while (i < line.length) {
      const c = line[i];
      if (!quoted && (c === ' ' || c === '\t')) break;
      if (c === '\\') {
        let slashes = 0;
        while (line[i] === '\\') {
          slashes++;
          i++;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(slashes / 2));
          if (slashes % 2 === 1) {
            arg += '"';
            i++;
          }
        } else {
          arg += '\\'.repeat(slashes);
        }
        continue;
      }
      if (c === '"') {
        if (quoted && line[i + 1] === '"') {
          arg += '"';
          i += 2;
          continue;
        }
        quoted = !quoted;
        i++;
        continue;
      }
      arg += c;
      i++;
    }
    args.push(arg);
  }
  return args;
}
