/**
 * Adapter: serves the session's hook socket with Bun.listen. On Linux it is an abstract socket
 * (`@name`): there is no file the agent could unlink and replace with its own, and while the
 * daemon lives nobody else can bind the name. Elsewhere it is a 0600 file in a 0700 folder. One
 * request a line (`{"v":1,"event":"PreToolUse","input":"<hook stdin>"}`), one answer a line.
 * Who connected is the kernel's answer (SO_PEERCRED), checked by the session's HookPeerVerifier;
 * the pid a request claims is ignored. A malformed request gets an answer that blocks, never a
 * crash: the daemon outlives every bad client.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { bunSocketAddress } from '../hook/bun-io.ts';
import { MAX_HOOK_INPUT_BYTES, OVERSIZED_HEAD_BYTES, OVERSIZED_TAIL_BYTES } from '../hook/events.ts';
import { bunSocketFd, type SocketPeer, socketPeer } from '../hook/socket-peer.ts';
import type { HookPeerVerifier } from './hook-peer.ts';
import type { HookRequestMeta, SessionCore } from './session-core.ts';

export interface HookSocketServer {
  close(): void;
}

const MAX_LINE = MAX_HOOK_INPUT_BYTES * 2 + 64 * 1024;

interface ConnectionState {
  chunks: Uint8Array[];
  size: number;
  done: boolean;
  peer: SocketPeer | null;
}

const blocked = (reason: string) =>
  `${JSON.stringify({ exitCode: 2, stdout: '', stderr: `ceros: ${reason}\n` })}\n`;

export async function serveHookSocket(
  path: string,
  core: SessionCore,
  verifier: HookPeerVerifier,
): Promise<HookSocketServer> {
  const abstract = path.startsWith('@');
  if (!abstract && existsSync(path)) unlinkSync(path);
  const listener = Bun.listen<ConnectionState>({
    unix: bunSocketAddress(path),
    socket: {
      open(socket) {
        // The peer is read at once: the credentials are the connecting process's, whatever it later does.
        socket.data = { chunks: [], size: 0, done: false, peer: socketPeer(bunSocketFd(socket)) };
      },
      data(socket, data) {
        const state = socket.data;
        if (state.done) return;
        const newline = data.indexOf(0x0a);
        if (newline === -1) {
          state.chunks.push(new Uint8Array(data));
          state.size += data.length;
          if (state.size > MAX_LINE) {
            state.done = true;
            reply(socket, blocked('Hook request is too large'));
          }
          return;
        }
        state.chunks.push(new Uint8Array(data.subarray(0, newline)));
        state.done = true;
        const request = parseRequest(Buffer.concat(state.chunks).toString('utf8'));
        if (typeof request === 'string') {
          reply(socket, blocked(`Malformed hook request: ${request}`));
          return;
        }
        const meta: HookRequestMeta = {
          pid: state.peer?.pid ?? null,
          peer: verifier.socket(state.peer),
          ...(request.oversized ? { oversized: request.oversized } : {}),
        };
        core.handleHook(request.event, request.input, meta).then(
          (answer) => reply(socket, `${JSON.stringify(answer)}\n`),
          (error: unknown) => reply(socket, blocked((error as Error).message)),
        );
      },
      drain(socket) {
        flushPending(socket);
      },
      error() {},
    },
  });
  if (!abstract) chmodSync(path, 0o600);
  return { close: () => listener.stop(true) };
}

interface HookRequest {
  event: string;
  input: string;
  oversized?: { bytes: number; head: string; tail: string };
}

function parseRequest(line: string): HookRequest | string {
  try {
    const parsed = JSON.parse(line) as Partial<HookRequest>;
    if (typeof parsed.event !== 'string' || typeof parsed.input !== 'string') return 'missing event or input';
    const o = parsed.oversized;
    const oversized =
      o && typeof o.bytes === 'number' && typeof o.head === 'string' && typeof o.tail === 'string'
        ? {
            bytes: o.bytes,
            head: o.head.slice(0, OVERSIZED_HEAD_BYTES),
            tail: o.tail.slice(-OVERSIZED_TAIL_BYTES),
          }
        : undefined;
    return { event: parsed.event, input: parsed.input, ...(oversized ? { oversized } : {}) };
  } catch (error) {
    return (error as Error).message;
  }
}

const pendingWrites = new WeakMap<object, Uint8Array>();

function reply(socket: Bun.Socket<ConnectionState>, text: string): void {
  const bytes = new TextEncoder().encode(text);
  const written = socket.write(bytes);
  if (written < bytes.length) pendingWrites.set(socket, bytes.subarray(Math.max(0, written)));
  else socket.end();
}

function flushPending(socket: Bun.Socket<ConnectionState>): void {
  const rest = pendingWrites.get(socket);
  if (!rest) return;
  const written = socket.write(rest);
  if (written < rest.length) pendingWrites.set(socket, rest.subarray(Math.max(0, written)));
  else {
    pendingWrites.delete(socket);
    socket.end();
  }
}
