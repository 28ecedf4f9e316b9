import type { SocketPeer } from '../hook/socket-peer.ts';

/**
 * Whether a hook call comes from the Claude Code this session launched (issue 12, item 1). The
 * agent's Bash tool runs as the same user, sees the same loopback ports and can reach any socket,
 * so nothing it can name or write is evidence; what the kernel says about the caller is:
 *
 * - a command hook (`ceros hook` over the session's socket): SO_PEERCRED names the connecting
 *   process; it must run as this user, descend from the Claude Code pid within two generations
 *   (hook, `sh -c` of the hook command, Claude Code), and its stdout must lead back to Claude Code
 *   (a socket Claude Code created, or a pipe it holds). A process the agent starts from Bash has
 *   Claude Code as an ancestor too, but its stdout is the tool's output file: even an `exec` into
 *   the exact hook command line, with the hook's environment, fails here.
 * - an HTTP hook: Claude Code sends it from its own process, so the loopback connection's socket
 *   must be one Claude Code holds; a connection the agent opens is the agent's.
 *
 * What this does not stop: code that can ptrace Claude Code (same user without Yama, or root) can
 * act as Claude Code; the OS sandbox's PID namespace keeps the agent's commands from seeing it.
 */
export type PeerVerdict =
  | { ok: true; pid: number; via: 'socket' | 'http' | 'trusted' }
  | { ok: false; reason: string; evidence: Record<string, unknown> };

/** The facts read from the kernel (hook-peer-linux.ts); tests pass a fake process table. */
export interface PeerFacts {
  process(pid: number): { ppid: number; start: bigint; name: string } | null;
  /** Where fd `fd` of `pid` leads (`socket:[N]`, `pipe:[N]`, a path) and, for a socket, its peer's pid. */
  fdPeer(pid: number, fd: number): { link: string; peerPid: number | null; error?: string } | null;
  /** Whether `pid` holds an fd whose link is exactly `link`. */
  holds(pid: number, link: string): boolean;
  /** The socket inode and owner of the loopback TCP connection from `clientPort` to `serverPort`. */
  tcpConnection(clientPort: number, serverPort: number): { inode: number; uid: number } | null;
}

export interface HookPeerVerifier {
  /** A connection to the hook socket, with the kernel's credentials of its peer (null: unreadable). */
  socket(peer: SocketPeer | null): PeerVerdict;
  /** An HTTP hook request from `client` to the server on `serverPort`. */
  http(client: { address: string; port: number } | null, serverPort: number): PeerVerdict;
}

export interface HookPeerOptions {
  facts: PeerFacts;
  /** This process's uid: every hook runs as the same user. */
  uid: number;
  /** The agent the session launched; null until it is spawned (no hook can be legitimate before). */
  agentPid(): number | null;
}

/** Generations between a hook process and Claude Code: `ceros hook` <- `sh -c` <- Claude Code. */
const MAX_HOOK_DEPTH = 2;

const refuse = (reason: string, evidence: Record<string, unknown>): PeerVerdict => ({
  ok: false,
  reason,
  evidence,
});

export function createHookPeerVerifier(options: HookPeerOptions): HookPeerVerifier {
  const { facts } = options;
  // Loopback connections already seen to be Claude Code's (keep-alive reuses one).
  const agentSockets = new Set<number>();

  const chainOf = (pid: number) => {
    const chain: { pid: number; name: string }[] = [];
    let current = pid;
    for (let i = 0; i <= MAX_HOOK_DEPTH + 1 && current > 1; i++) {
      const proc = facts.process(current);
      if (!proc) break;
      chain.push({ pid: current, name: proc.name });
      current = proc.ppid;
    }
    return chain;
  };

  return {
    socket: (peer) => {
      if (!peer) return refuse('The kernel did not say who opened the hook connection', {});
      const agent = options.agentPid();
      const evidence: Record<string, unknown> = { pid: peer.pid, uid: peer.uid, agentPid: agent };
      if (peer.uid !== options.uid)
        return refuse(`The hook connection comes from uid ${peer.uid}, not ${options.uid}`, evidence);
      if (agent === null) return refuse('A hook connected before Claude Code was started', evidence);
      const chain = chainOf(peer.pid);
      evidence.chain = chain;
      const depth = chain.findIndex((p) => p.pid === agent);
      if (depth < 1 || depth > MAX_HOOK_DEPTH) {
        return refuse(
          `Process ${peer.pid} is not a hook of this session's Claude Code (pid ${agent}): its parent chain is ${describe(chain)}`,
          evidence,
        );
      }
      const out = facts.fdPeer(peer.pid, 1);
      evidence.stdout = out;
      if (!out) return refuse(`Cannot read where the output of process ${peer.pid} goes`, evidence);
      const back =
        (out.link.startsWith('socket:') && out.peerPid === agent) ||
        (out.link.startsWith('pipe:') && facts.holds(agent, out.link));
      if (!back) {
        return refuse(
          `Process ${peer.pid} descends from Claude Code but its output goes to "${out.link}", not back to Claude Code: it was not started as a hook${out.error ? ` (${out.error})` : ''}`,
          evidence,
        );
      }
      return { ok: true, pid: peer.pid, via: 'socket' };
    },
    http: (client, serverPort) => {
      const agent = options.agentPid();
      const evidence: Record<string, unknown> = { client, agentPid: agent };
      if (!client) return refuse('The HTTP hook request has no client address', evidence);
      if (client.address !== '127.0.0.1' && client.address !== '::ffff:127.0.0.1')
        return refuse(`The HTTP hook request comes from "${client.address}", not loopback`, evidence);
      if (agent === null) return refuse('An HTTP hook arrived before Claude Code was started', evidence);
      const connection = facts.tcpConnection(client.port, serverPort);
      evidence.connection = connection;
      if (!connection)
        return refuse(`Cannot find the connection from port ${client.port} in the kernel's table`, evidence);
      if (connection.uid !== options.uid)
        return refuse(
          `The HTTP hook connection belongs to uid ${connection.uid}, not ${options.uid}`,
          evidence,
        );
      if (agentSockets.has(connection.inode)) return { ok: true, pid: agent, via: 'http' };
      if (!facts.holds(agent, `socket:[${connection.inode}]`)) {
        return refuse(
          `The HTTP hook connection from port ${client.port} is not Claude Code's (pid ${agent} does not hold socket ${connection.inode})`,
          evidence,
        );
      }
      agentSockets.add(connection.inode);
      if (agentSockets.size > 256) agentSockets.clear();
      return { ok: true, pid: agent, via: 'http' };
    },
  };
}

/** For tests of other modules and benches that drive the daemon directly: every peer passes. */
export const TRUSTING_VERIFIER: HookPeerVerifier = {
  socket: (peer) => ({ ok: true, pid: peer?.pid ?? 0, via: 'trusted' }),
  http: () => ({ ok: true, pid: 0, via: 'trusted' }),
};

function describe(chain: { pid: number; name: string }[]): string {
  return chain.length === 0 ? 'unreadable' : chain.map((p) => `${p.name} (${p.pid})`).join(' <- ');
}
