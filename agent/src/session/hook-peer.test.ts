import { describe, expect, test } from 'bun:test';
import { createHookPeerVerifier, type PeerFacts } from './hook-peer.ts';

/**
 * A process table as the two Claude Code versions build it (checked on 2.1.197 and 2.1.337): claude
 * (100) spawns `sh -c '<ceros> hook ...'` (200) whose `ceros hook` (201) inherits stdout, a socket
 * pair Claude Code created; a Bash tool call runs `bash` (300) with stdout in a task output file.
 */
function table(overrides: Partial<PeerFacts> = {}): PeerFacts {
  const procs: Record<number, { ppid: number; name: string }> = {
    100: { ppid: 50, name: 'claude.exe' },
    200: { ppid: 100, name: 'sh' },
    201: { ppid: 200, name: 'ceros' },
    300: { ppid: 100, name: 'bash' },
    301: { ppid: 300, name: 'ceros' },
    400: { ppid: 1, name: 'ceros' },
  };
  const stdout: Record<number, { link: string; peerPid: number | null }> = {
    201: { link: 'socket:[11]', peerPid: 100 },
    300: { link: '/tmp/claude-0/tasks/x.output', peerPid: null },
    301: { link: '/tmp/claude-0/tasks/x.output', peerPid: null },
    400: { link: 'socket:[12]', peerPid: 400 },
  };
  return {
    process: (pid) => {
      const p = procs[pid];
      return p ? { ppid: p.ppid, start: 1n, name: p.name } : null;
    },
    fdPeer: (pid) => stdout[pid] ?? null,
    holds: (pid, link) => pid === 100 && (link === 'pipe:[77]' || link === 'socket:[900]'),
    tcpConnection: (clientPort) =>
      clientPort === 5000 ? { inode: 900, uid: 0 } : clientPort === 6000 ? { inode: 901, uid: 0 } : null,
    ...overrides,
  };
}

const verifier = (facts = table(), agent: number | null = 100) =>
  createHookPeerVerifier({ facts, uid: 0, agentPid: () => agent });

describe('createHookPeerVerifier()', () => {
  test('a command hook of Claude Code passes: its chain reaches Claude Code and its output goes back to it', () => {
    expect(verifier().socket({ pid: 201, uid: 0, gid: 0 })).toEqual({ ok: true, pid: 201, via: 'socket' });
  });

  test.each([
    [301, 'its output goes to "/tmp/claude-0/tasks/x.output"'],
    [300, 'its output goes to'],
    [400, 'is not a hook of this session'],
    [100, 'is not a hook of this session'],
  ])('process %d (not a hook) is refused: %s', (pid, reason) => {
    const verdict = verifier().socket({ pid, uid: 0, gid: 0 });
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toContain(reason);
  });

  test('a pipe back to Claude Code counts; another user, no credentials, or no agent yet do not', () => {
    const piped = table({ fdPeer: () => ({ link: 'pipe:[77]', peerPid: null }) });
    expect(verifier(piped).socket({ pid: 201, uid: 0, gid: 0 }).ok).toBe(true);
    const reasons = [
      verifier().socket({ pid: 201, uid: 1000, gid: 0 }),
      verifier().socket(null),
      verifier(table(), null).socket({ pid: 201, uid: 0, gid: 0 }),
    ].map((v) => (v.ok ? 'ok' : v.reason));
    expect(reasons).toEqual([
      'The hook connection comes from uid 1000, not 0',
      'The kernel did not say who opened the hook connection',
      'A hook connected before Claude Code was started',
    ]);
  });

  test('an HTTP hook passes only on a loopback connection Claude Code itself holds', () => {
    const v = verifier();
    expect(v.http({ address: '127.0.0.1', port: 5000 }, 8080)).toEqual({ ok: true, pid: 100, via: 'http' });
    const refused = [
      v.http({ address: '127.0.0.1', port: 6000 }, 8080),
      v.http({ address: '127.0.0.1', port: 7000 }, 8080),
      v.http({ address: '10.0.0.2', port: 5000 }, 8080),
      v.http(null, 8080),
    ].map((r) => (r.ok ? 'ok' : r.reason));
    expect(refused[0]).toContain('is not Claude Code');
    expect(refused[1]).toContain('Cannot find the connection');
    expect(refused[2]).toContain('not loopback');
    expect(refused[3]).toContain('no client address');
  });
});
