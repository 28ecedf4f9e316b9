import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinuxProcessReader, parseCmdline, parseProcStat, parseStatusUid } from './linux-reader.ts';

// Fields 10 to 21 of proc(5), between flags and starttime.
const STAT_TAIL = '0 0 0 0 0 0 0 0 20 0 1 0';

test('parseProcStat() reads ppid and start time after the last parenthesis', () => {
  const stat = parseProcStat(
    `4242 (a (b) c) S 4000 4242 4000 34816 4242 4194304 ${STAT_TAIL} 987654 10 11 12`,
  );
  expect(stat).toEqual({ comm: 'a (b) c', state: 'S', ppid: 4000, startTicks: 987654n });
});

test('parseProcStat() is not fooled by a name that imitates the fields', () => {
  const hostile = `77 (x) R 1 (y) S 55 77 55 0 -1 4194304 ${STAT_TAIL} 31337 1 2 3`;
  expect(parseProcStat(hostile)).toMatchObject({ comm: 'x) R 1 (y', ppid: 55, startTicks: 31337n });
});

test('parseProcStat() rejects a truncated line', () => {
  expect(parseProcStat('12 (sh) S 1 2 3')).toBeNull();
  expect(parseProcStat('garbage')).toBeNull();
});

test('parseStatusUid() returns the real uid', () => {
  expect(parseStatusUid('Name:\tsh\nUid:\t1000\t0\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n')).toBe('1000');
});

test('parseCmdline() splits on NUL and keeps a rewritten single-string title', () => {
  expect(parseCmdline(Buffer.from('sleep\x0030\x00'))).toEqual(['sleep', '30']);
  expect(parseCmdline(Buffer.from('postgres: checkpointer '))).toEqual(['postgres: checkpointer ']);
  expect(parseCmdline(Buffer.from(''))).toEqual([]);
});

const root = mkdtempSync(join(tmpdir(), 'ceros-procfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeProcess(
  pid: number,
  comm: string,
  ppid: number,
  start: number,
  exeTarget: string | null,
  argv: string[],
) {
  const dir = join(root, 'proc', String(pid));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'stat'),
    `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194304 ${STAT_TAIL} ${start} 1 2\n`,
  );
  writeFileSync(join(dir, 'status'), `Name:\t${comm}\nUid:\t1000\t1000\t1000\t1000\n`);
  writeFileSync(join(dir, 'cmdline'), `${argv.join('\0')}\0`);
  if (exeTarget) symlinkSync(exeTarget, join(dir, 'exe'));
}

test('createLinuxProcessReader() reads a synthetic procfs under a root folder', () => {
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc', 'stat'), 'cpu  1 2 3\nbtime 1700000000\nprocesses 10\n');
  const binary = join(root, 'tool');
  writeFileSync(binary, 'not really elf');
  fakeProcess(300, 'tool (x)', 1, 250, binary, ['tool', '--token', 'secret']);
  const reader = createLinuxProcessReader({ root });
  const result = reader.read(300);
  expect(result.found).toBe(true);
  if (!result.found) return;
  expect(result.process).toMatchObject({
    pid: 300,
    ppid: 1,
    start: 250n,
    uid: '1000',
    name: 'tool (x)',
    exe: binary,
    argv: ['tool', '--token', 'secret'],
    hashPath: join(root, 'proc', '300', 'exe'),
  });
  // btime + 250 ticks of 10 ms.
  expect(result.process.startedAt).toBe(new Date(1_700_000_002_500).toISOString());
  expect(reader.readStart(300)).toBe(250n);
  expect(reader.read(999)).toEqual({ found: false, exists: false, reason: 'no such process' });
});
