import { describe, expect, test } from 'bun:test';
import { type HookIo, parseDaemonAddress, runHookClient } from './client.ts';
import { MAX_HOOK_INPUT_BYTES } from './events.ts';
import type { SocketPeer } from './socket-peer.ts';

/** An in-memory daemon: `serverPid` serves the socket; `answer` is what it writes back. */
function fakeIo(options: { serverPid?: number; start?: string; answer?: string; input?: Uint8Array } = {}) {
  const sent: string[] = [];
  const io: HookIo = {
    readInput: async () => options.input ?? new TextEncoder().encode('{"session_id":"s","cwd":"/p"}'),
    canReadPeers: true,
    processStart: async () => options.start ?? '555',
    exchange: async (_socket, request, checkPeer) => {
      const peer: SocketPeer | null =
        options.serverPid === undefined ? null : { pid: options.serverPid, uid: 0, gid: 0 };
      const problem = await checkPeer(peer);
      if (problem) return { ok: false, error: problem };
      sent.push(request);
      return { ok: true, text: options.answer ?? '{"exitCode":0,"stdout":"","stderr":""}\n' };
    },
  };
  return { io, sent };
}

const args = ['PreToolUse', '--socket', '@ceros-x', '--daemon', '42:555'];

describe('runHookClient()', () => {
  test('asks the daemon named on the command line and reproduces its answer', async () => {
    const { io, sent } = fakeIo({ serverPid: 42 });
    expect(await runHookClient(args, {}, io)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(JSON.parse(sent[0] as string)).toMatchObject({ v: 1, event: 'PreToolUse' });
  });

  test('refuses an answer from a socket another process serves, before the payload leaves', async () => {
    const { io, sent } = fakeIo({ serverPid: 666 });
    const answer = await runHookClient(args, {}, io);
    expect(answer.exitCode).toBe(2);
    expect(JSON.parse(answer.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
    expect(answer.stderr).toContain('served by process 666, not by this session');
    expect(sent).toEqual([]);
  });

  test('refuses a process that reuses the daemon pid but started later', async () => {
    const { io } = fakeIo({ serverPid: 42, start: '999' });
    expect((await runHookClient(args, {}, io)).stderr).toContain(
      'is not the daemon that started this session',
    );
  });

  test('denies when the kernel cannot say who serves the socket', async () => {
    const { io } = fakeIo({});
    expect((await runHookClient(args, {}, io)).stderr).toContain('the kernel did not say');
  });

  test('without a socket on the command line it fails closed for blocking events and open for the others', async () => {
    const { io } = fakeIo({ serverPid: 42 });
    expect((await runHookClient(['PreToolUse'], { CEROS_SOCKET: '/old' }, io)).exitCode).toBe(2);
    expect((await runHookClient(['Stop'], {}, io)).exitCode).toBe(0);
  });

  test('an input over the limit is sent as size, head and tail, for the daemon to journal the refusal', async () => {
    const input = new Uint8Array(MAX_HOOK_INPUT_BYTES + 10).fill(0x61);
    const { io, sent } = fakeIo({ serverPid: 42, input });
    await runHookClient(args, {}, io);
    const request = JSON.parse(sent[0] as string) as {
      input: string;
      oversized: { bytes: number; head: string };
    };
    expect(request.input).toBe('');
    expect(request.oversized.bytes).toBe(MAX_HOOK_INPUT_BYTES + 10);
    expect(request.oversized.head.length).toBe(4096);
  });

  test('a malformed or missing answer is a deny', async () => {
    const { io } = fakeIo({ serverPid: 42, answer: 'garbage' });
    expect((await runHookClient(args, {}, io)).stderr).toContain('malformed answer');
  });
});

describe('parseDaemonAddress()', () => {
  test('reads --socket and --daemon, and names a bad identity', () => {
    expect(parseDaemonAddress(['--socket', '/s', '--daemon', '1:2'])).toEqual({
      socket: '/s',
      pid: 1,
      start: '2',
    });
    expect(parseDaemonAddress(['--socket', '/s'])).toEqual({ socket: '/s', pid: null, start: null });
    expect(parseDaemonAddress(['--socket', '/s', '--daemon', 'x'])).toBe(
      'The hook names the daemon as "x", not PID:START',
    );
  });
});
