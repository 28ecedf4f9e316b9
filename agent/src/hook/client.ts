import {
  failureAnswer,
  HOOK_DEADLINE_MS,
  type HookAnswer,
  isHookEvent,
  MAX_HOOK_INPUT_BYTES,
  OVERSIZED_HEAD_BYTES,
  OVERSIZED_TAIL_BYTES,
} from './events.ts';
import type { SocketPeer } from './socket-peer.ts';

/**
 * What the hook client needs from the runtime. The real one (bun-io.ts) uses Bun's own stdin and
 * socket APIs: importing node:net alone costs a Bun binary ~15 ms of startup, paid on every tool
 * call. No other import may creep into this file for the same reason.
 */
export interface HookIo {
  readInput(): Promise<Uint8Array>;
  /**
   * Connects to the Unix socket, asks `checkPeer` about the process serving it (the kernel's
   * credentials, null where they cannot be read) before anything is sent, then sends `request`
   * and resolves with everything the daemon wrote back. A non-null answer of `checkPeer` ends the
   * exchange with that error.
   */
  exchange(
    socketPath: string,
    request: string,
    checkPeer: (peer: SocketPeer | null) => Promise<string | null>,
  ): Promise<{ ok: true; text: string } | { ok: false; error: string }>;
  /** Start time of process `pid` (field 22 of /proc/<pid>/stat), null when it cannot be read. */
  processStart(pid: number): Promise<string | null>;
  /** Whether the kernel's peer credentials can be read here (Linux). */
  readonly canReadPeers: boolean;
}

/** Where the daemon is, from the hook command line (`--socket S --daemon PID:START`). */
export interface DaemonAddress {
  socket: string;
  /** The wrapper process that serves the socket, as pid and start time (against pid reuse). */
  pid: number | null;
  start: string | null;
}

/**
 * `ceros hook <event> --socket S --daemon PID:START`: the thin client Claude Code runs for a
 * command hook. It reads the payload, checks that the socket is served by the session's own
 * daemon (the wrapper's pid and start time, which the agent cannot take over: a fake socket is
 * refused before the payload leaves), asks it, and reproduces its answer. It decides nothing
 * itself: when the daemon is missing, slow, someone else or incoherent, it fails per ON_HOOK_ERROR.
 * The address is on the command line, not in the environment, so the agent's tools do not inherit it.
 */
export async function runHookClient(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  io: HookIo,
): Promise<HookAnswer> {
  const event = argv[0] ?? '';
  if (event === '--help' || event === '-h' || event === '') {
    return { exitCode: event === '' ? 64 : 0, stdout: HOOK_HELP, stderr: '' };
  }
  if (!isHookEvent(event))
    return { exitCode: 2, stdout: '', stderr: `ceros: Unknown hook event "${event}"\n` };
  const daemon = parseDaemonAddress(argv.slice(1));
  if (typeof daemon === 'string') return failureAnswer(event, daemon);
  let input: Uint8Array;
  try {
    input = await io.readInput();
  } catch (error) {
    return failureAnswer(event, `Cannot read the hook input: ${(error as Error).message}`);
  }
  const deadline =
    Number(env.CEROS_HOOK_DEADLINE_MS) > 0 ? Number(env.CEROS_HOOK_DEADLINE_MS) : HOOK_DEADLINE_MS;
  const request = `${JSON.stringify(hookRequest(event, input))}\n`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<HookAnswer>((resolve) => {
    timer = setTimeout(
      () => resolve(failureAnswer(event, `The ceros session daemon did not answer within ${deadline} ms`)),
      deadline,
    );
  });
  const checkPeer = (peer: SocketPeer | null) => checkDaemon(daemon, peer, io);
  const exchange = io.exchange(daemon.socket, request, checkPeer).then(
    (result): HookAnswer =>
      result.ok
        ? parseAnswer(event, result.text)
        : failureAnswer(event, `Cannot use the ceros session daemon at "${daemon.socket}": ${result.error}`),
    (error: unknown) =>
      failureAnswer(
        event,
        `Cannot reach the ceros session daemon at "${daemon.socket}": ${(error as Error).message}`,
      ),
  );
  const answer = await Promise.race([exchange, timeout]);
  clearTimeout(timer);
  return answer;
}

/** The request line. An input over the limit is not sent whole: its size, head and tail are, so the refusal is journaled. */
function hookRequest(event: string, input: Uint8Array): Record<string, unknown> {
  const decoder = new TextDecoder();
  if (input.length <= MAX_HOOK_INPUT_BYTES)
    return { v: 1, event, pid: process.pid, input: decoder.decode(input) };
  return {
    v: 1,
    event,
    pid: process.pid,
    input: '',
    oversized: {
      bytes: input.length,
      head: decoder.decode(input.subarray(0, OVERSIZED_HEAD_BYTES)),
      tail: decoder.decode(input.subarray(input.length - OVERSIZED_TAIL_BYTES)),
    },
  };
}

export function parseDaemonAddress(args: string[]): DaemonAddress | string {
  let socket: string | undefined;
  let identity: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--socket') socket = args[++i];
    else if (args[i] === '--daemon') identity = args[++i];
  }
  if (!socket)
    return 'This Claude Code session was not launched through `ceros claude` (the hook names no session socket)';
  if (identity === undefined) return { socket, pid: null, start: null };
  const match = /^(\d+):(\d+)$/.exec(identity);
  if (!match) return `The hook names the daemon as "${identity}", not PID:START`;
  return { socket, pid: Number(match[1]), start: match[2] ?? null };
}

async function checkDaemon(
  daemon: DaemonAddress,
  peer: SocketPeer | null,
  io: HookIo,
): Promise<string | null> {
  if (daemon.pid === null) return null;
  if (!peer) {
    return io.canReadPeers
      ? 'the kernel did not say which process serves it, so its answer cannot be trusted'
      : null;
  }
  if (peer.pid !== daemon.pid) {
    return `it is served by process ${peer.pid}, not by this session's daemon (pid ${daemon.pid}): refusing its answer`;
  }
  const start = await io.processStart(peer.pid);
  if (start !== daemon.start) {
    return `process ${peer.pid} is not the daemon that started this session (its start time is ${start ?? 'unreadable'}, expected ${daemon.start}): refusing its answer`;
  }
  return null;
}

function parseAnswer(event: Parameters<typeof failureAnswer>[0], text: string): HookAnswer {
  if (text.trim() === '')
    return failureAnswer(event, 'The ceros session daemon closed the connection without an answer');
  try {
    const answer = JSON.parse(text) as Partial<HookAnswer>;
    if (
      typeof answer.exitCode === 'number' &&
      Number.isInteger(answer.exitCode) &&
      typeof answer.stdout === 'string' &&
      typeof answer.stderr === 'string'
    ) {
      return { exitCode: answer.exitCode, stdout: answer.stdout, stderr: answer.stderr };
    }
  } catch {
    // fall through to the malformed answer below
  }
  return failureAnswer(event, 'The ceros session daemon sent a malformed answer');
}

const HOOK_HELP = `Usage: ceros hook <event> --socket SOCKET --daemon PID:START

Internal: Claude Code runs this for each command hook of a session launched with \`ceros claude\`
(the settings name the session's socket and daemon). It reads the hook payload on stdin, checks
that the socket is served by that daemon, asks it, and prints Claude Code's decision. When the
daemon cannot be reached, is another process or does not answer in time (CEROS_HOOK_DEADLINE_MS,
default ${HOOK_DEADLINE_MS} ms), tool calls and prompts are denied.
`;
