import { expect, test } from 'bun:test';
import { decodeBsdInfo, PROC_BSDINFO_SIZE, parseProcArgs2 } from './darwin-structs.ts';
import {
  decodeFileTime,
  decodeProcessEntry32W,
  decodeUnicodeStringResult,
  fileTimeToIso,
  PROCESSENTRY32W_SIZE,
  splitWindowsCommandLine,
} from './win32-structs.ts';

test('decodeBsdInfo() reads pid, ppid, real uid, name and start time from struct proc_bsdinfo', () => {
  const buffer = new Uint8Array(PROC_BSDINFO_SIZE);
  const view = new DataView(buffer.buffer);
  view.setUint32(12, 812, true);
  view.setUint32(16, 1, true);
  view.setUint32(20, 0, true); // effective uid (setuid root)
  view.setUint32(28, 501, true); // real uid
  buffer.set(new TextEncoder().encode('claude'), 48);
  buffer.set(new TextEncoder().encode('claude (2.1.197)'), 64);
  view.setBigUint64(120, 1_732_550_000n, true);
  view.setBigUint64(128, 123_456n, true);
  expect(decodeBsdInfo(buffer)).toEqual({
    pid: 812,
    ppid: 1,
    uid: 501,
    name: 'claude (2.1.197)',
    startMicros: 1_732_550_000_123_456n,
  });
  expect(decodeBsdInfo(buffer.subarray(0, 100))).toBeNull();
});

test('parseProcArgs2() reads the executable path and argc arguments, not the environment', () => {
  const text = '/usr/local/bin/claude\0\0\0\0claude\0--model\0opus\0HOME=/Users/a\0PATH=/bin\0';
  const body = new TextEncoder().encode(text);
  const buffer = new Uint8Array(4 + body.length);
  new DataView(buffer.buffer).setInt32(0, 3, true);
  buffer.set(body, 4);
  expect(parseProcArgs2(buffer)).toEqual({
    execPath: '/usr/local/bin/claude',
    argv: ['claude', '--model', 'opus'],
  });
  expect(parseProcArgs2(new Uint8Array(2))).toBeNull();
});

test('decodeProcessEntry32W() reads pid, parent pid and image name', () => {
  const buffer = new Uint8Array(PROCESSENTRY32W_SIZE);
  const view = new DataView(buffer.buffer);
  view.setUint32(0, PROCESSENTRY32W_SIZE, true);
  view.setUint32(8, 10_244, true);
  view.setUint32(32, 9_120, true);
  const name = 'claude.exe';
  for (let i = 0; i < name.length; i++) view.setUint16(44 + 2 * i, name.charCodeAt(i), true);
  expect(decodeProcessEntry32W(buffer)).toEqual({ pid: 10_244, ppid: 9_120, exeFile: 'claude.exe' });
});

test('decodeFileTime() and fileTimeToIso() convert a creation FILETIME', () => {
  // 2024-11-25T12:00:00Z
  const fileTime = 133_770_096_000_000_000n;
  const buffer = new Uint8Array(8);
  new DataView(buffer.buffer).setUint32(0, Number(fileTime & 0xffff_ffffn), true);
  new DataView(buffer.buffer).setUint32(4, Number(fileTime >> 32n), true);
  expect(decodeFileTime(buffer)).toBe(fileTime);
  expect(fileTimeToIso(fileTime)).toBe('2024-11-25T12:00:00.000Z');
  expect(fileTimeToIso(0n)).toBeNull();
});

test('decodeUnicodeStringResult() follows the Buffer pointer into the same output buffer', () => {
  const line = '"C:\\Program Files\\nodejs\\node.exe" cli.js';
  const buffer = new Uint8Array(16 + line.length * 2);
  const view = new DataView(buffer.buffer);
  const address = 0x1000_0000n;
  view.setUint16(0, line.length * 2, true);
  view.setUint16(2, line.length * 2 + 2, true);
  view.setBigUint64(8, address + 16n, true);
  for (let i = 0; i < line.length; i++) view.setUint16(16 + 2 * i, line.charCodeAt(i), true);
  expect(decodeUnicodeStringResult(buffer, address)).toBe(line);
  view.setBigUint64(8, address + 4096n, true);
  expect(decodeUnicodeStringResult(buffer, address)).toBeNull();
});

// Examples from "Parsing C++ command-line arguments" (Microsoft Learn).
const splitCases: [string, string[]][] = [
  ['test "abc" d e', ['test', 'abc', 'd', 'e']],
  ['test a\\\\\\b d"e f"g h', ['test', 'a\\\\\\b', 'de fg', 'h']],
  ['test a\\\\\\"b c d', ['test', 'a\\"b', 'c', 'd']],
  ['test a\\\\\\\\"b c" d e', ['test', 'a\\\\b c', 'd', 'e']],
  ['test a"b"" c d', ['test', 'ab" c d']],
  ['"C:\\Program Files\\Claude\\claude.exe" --resume', ['C:\\Program Files\\Claude\\claude.exe', '--resume']],
];
for (const [line, expected] of splitCases) {
  test(`splitWindowsCommandLine() splits ${JSON.stringify(line)} like CommandLineToArgvW`, () => {
    expect(splitWindowsCommandLine(line)).toEqual(expected);
  });
}
