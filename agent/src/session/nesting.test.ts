import { describe, expect, test } from 'bun:test';
import { createFakeProcessReader, type RawProcess } from '../ancestry/process-reader.ts';
import { detectNesting, isAgentProcess, readAncestors } from './nesting.ts';

const proc = (pid: number, ppid: number, name: string, exe: string, argv0 = exe): RawProcess => ({
  pid,
  ppid,
  start: BigInt(pid),
  startedAt: null,
  uid: '0',
  name,
  exe,
  argv: [argv0],
  hashPath: exe,
  notes: [],
});

describe('nesting', () => {
  test('a ceros started from a Bash call of Claude Code is nested even with the markers unset', () => {
    const reader = createFakeProcessReader(
      new Map([
        [40, proc(40, 30, 'ceros', '/usr/local/bin/ceros')],
        [30, proc(30, 20, 'bash', '/usr/bin/bash')],
        [
          20,
          proc(20, 10, 'claude', '/home/u/node_modules/@anthropic-ai/claude-code/bin/claude.exe', 'claude'),
        ],
        [10, proc(10, 1, 'ceros', '/usr/local/bin/ceros')],
        [1, proc(1, 0, 'init', '/sbin/init')],
      ]),
    );
    const ancestors = readAncestors(reader, 40);
    expect(ancestors.map((p) => p.pid)).toEqual([30, 20, 10, 1]);
    const nesting = detectNesting({}, ancestors);
    expect(nesting).toMatchObject({ nested: true, markers: {}, agents: [{ pid: 20 }] });
  });

  test('the environment markers of a session mark it too; a plain terminal is not nested', () => {
    expect(detectNesting({ CEROS_SESSION: 's1', CLAUDECODE: '1' }, []).markers).toEqual({
      CEROS_SESSION: 's1',
      CLAUDECODE: '1',
    });
    expect(
      detectNesting({ PATH: '/bin' }, [{ pid: 2, name: 'bash', exe: '/usr/bin/bash', argv0: 'bash' }]).nested,
    ).toBe(false);
  });

  test('recognises Claude Code by name, npm path or the native installer path', () => {
    const p = (exe: string, name = 'x') => ({ pid: 1, name, exe, argv0: null });
    expect(isAgentProcess(p('/home/u/.local/share/claude/versions/2.1.337'))).toBe(true);
    expect(isAgentProcess(p('/x/node_modules/@anthropic-ai/claude-code-linux-x64/claude'))).toBe(true);
    expect(isAgentProcess(p('/usr/bin/python3', 'claude'))).toBe(true);
    expect(isAgentProcess(p('/usr/bin/claudette'))).toBe(false);
  });
});
