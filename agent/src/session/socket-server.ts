import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { MAX_HOOK_INPUT_BYTES } from '../hook/events.ts';
import type { SessionCore } from './session-core.ts';

/** One request a line: `{"v":1,"event":"PreToolUse","pid":123,"input":"<hook stdin>"}`. */
export interface HookRequest {
  v: 1;
  event: string;
  pid: number | null;
  input: string;
}

const MAX_LINE = MAX_HOOK_INPUT_BYTES * 2 + 64 * 1024;

/**
 * Serves the session's hook socket: 0600, in a 0700 folder. A malformed request gets an answer
 * that blocks, never a crash: the daemon outlives every bad client.
 */
export async function serveHookSocket(path: string, core: SessionCore): Promise<Server> {
  if (existsSync(path)) unlinkSync(path);
  const server = createServer((socket) => handleConnection(socket, core));
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return server;
}

function handleConnection(socket: Socket, core: SessionCore): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  socket.on('error', () => {});
  const reply = (answer: { exitCode: number; stdout: string; stderr: string }) => {
    if (done) return;
    done = true;
    socket.end(`${JSON.stringify(answer)}\n`);
  };
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    const newline = chunk.indexOf(0x0a);
    if (newline === -1) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_LINE) reply({ exitCode: 2, stdout: '', stderr: 'ceros: Hook request is too large\n' });
      return;
    }
    chunks.push(chunk.subarray(0, newline));
    done = true;
    const line = Buffer.concat(chunks).toString('utf8');
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
      socket.end(
        `${JSON.stringify({ exitCode: 2, stdout: '', stderr: `ceros: Malformed hook request: ${(error as Error).message}\n` })}\n`,
      );
      return;
    }
    core.handleHook(request.event, request.input, { pid: request.pid }).then(
      (answer) => socket.end(`${JSON.stringify(answer)}\n`),
      (error: unknown) =>
        socket.end(
          `${JSON.stringify({ exitCode: 2, stdout: '', stderr: `ceros: ${(error as Error).message}\n` })}\n`,
        ),
    );
  });
}
