/** Adapter: the hook client's I/O on Bun's own APIs (see HookIo for why not node:net). */
import type { HookIo } from './client.ts';
import { bunSocketFd, canReadSocketPeers, socketPeer } from './socket-peer.ts';

/** `@name` is a Linux abstract socket (no file anyone could replace); Bun spells it with a NUL. */
export function bunSocketAddress(socket: string): string {
  return socket.startsWith('@') ? `\0${socket.slice(1)}` : socket;
}

export const bunHookIo: HookIo = {
  readInput: () => Bun.stdin.bytes(),
  get canReadPeers() {
    return canReadSocketPeers();
  },
  processStart: async (pid) => {
    try {
      const stat = await Bun.file(`/proc/${pid}/stat`).text();
      // Field 22, counted after the command name (which may hold spaces and parentheses).
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
    } catch {
      return null;
    }
  },
  exchange: (socketPath, request, checkPeer) =>
    new Promise((resolve) => {
      const chunks: Uint8Array[] = [];
      let pending = new TextEncoder().encode(request);
      let settled = false;
      let cleared = false;
      const settle = (value: { ok: true; text: string } | { ok: false; error: string }) => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      Bun.connect({
        unix: bunSocketAddress(socketPath),
        socket: {
          // Nothing is sent before the peer is known to be the session's daemon.
          open(socket) {
            checkPeer(socketPeer(bunSocketFd(socket))).then(
              (problem) => {
                if (problem) {
                  settle({ ok: false, error: problem });
                  socket.end();
                  return;
                }
                cleared = true;
                // A large payload goes out in pieces: write what the socket takes, the rest on drain.
                pending = pending.subarray(socket.write(pending));
              },
              (error: Error) => {
                settle({ ok: false, error: error.message });
                socket.end();
              },
            );
          },
          drain(socket) {
            if (cleared && pending.length > 0) pending = pending.subarray(socket.write(pending));
          },
          // The answer is one line: settle on its newline instead of waiting for the close.
          data(socket, data) {
            if (!cleared) return;
            chunks.push(new Uint8Array(data));
            if (data.includes(0x0a)) {
              settle({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
              socket.end();
            }
          },
          close() {
            settle({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
          },
          error(_socket, error) {
            settle({ ok: false, error: (error as NodeJS.ErrnoException).code ?? error.message });
          },
          connectError(_socket, error) {
            settle({ ok: false, error: (error as NodeJS.ErrnoException).code ?? error.message });
          },
        },
      }).catch((error: NodeJS.ErrnoException) => settle({ ok: false, error: error.code ?? error.message }));
    }),
};
