/**
 * Adapter: serves the session's hook socket with Bun.listen: 0600, in a 0700 folder. One request
 * a line (`{"v":1,"event":"PreToolUse","pid":123,"input":"<hook stdin>"}`), one answer a line. A
 * malformed request gets an answer that blocks, never a crash: the daemon outlives every bad client.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { MAX_HOOK_INPUT_BYTES } from '../hook/events.ts';
import type { SessionCore } from './session-core.ts';

export interface HookRequest {
  v: 1;
  event: string;
  pid: number | null;
  input: string;
}

export interface HookSocketServer {
  close(): void;
}

const MAX_LINE = MAX_HOOK_INPUT_BYTES * 2 + 64 * 1024;

interface ConnectionState {
  chunks: Uint8Array[];
  size: number;
  done: boolean;
}

const blocked = (reason: string) =>
  `${JSON.stringify({ exitCode: 2, stdout: '', stderr: `ceros: ${reason}\n` })}\n`;

export async function serveHookSocket(path: string, core: SessionCore): Promise<HookSocketServer> {
  if (existsSync(path)) unlinkSync(path);
  const listener = Bun.listen<ConnectionState>({
    unix: path,
    socket: {
      open(socket) {
        socket.data = { chunks: [], size: 0, done: false };
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
        const line = Buffer.concat(state.chunks).toString('utf8');
        let request: HookRequest;
        try {
          const parsed = JSON.parse(line) as Partial<HookRequest>;
          if (typeof parsed.event !== 'string' || typeof parsed.input !== 'string')
            throw new Error('missing event or input');
          request = {
            v: 1,
            event: parsed.event,
            pid: typeof parsed.pid === 'number' ? parsed.pid : null,
            input: parsed.input,
          };
        } catch (error) {
          reply(socket, blocked(`Malformed hook request: ${(error as Error).message}`));
          return;
        }
        core.handleHook(request.event, request.input, { pid: request.pid }).then(
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
  chmodSync(path, 0o600);
  return { close: () => listener.stop(true) };
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
