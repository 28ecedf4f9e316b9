/** Adapter: the hook client's I/O on Bun's own APIs (see HookIo for why not node:net). */
import type { HookIo } from './client.ts';

export const bunHookIo: HookIo = {
  readInput: () => Bun.stdin.bytes(),
  exchange: (socketPath, request) =>
    new Promise((resolve) => {
      const chunks: Uint8Array[] = [];
      let pending = new TextEncoder().encode(request);
      let settled = false;
      const settle = (value: { ok: true; text: string } | { ok: false; error: string }) => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      Bun.connect({
        unix: socketPath,
        socket: {
          // A large payload goes out in pieces: write what the socket takes, the rest on drain.
          open(socket) {
            pending = pending.subarray(socket.write(pending));
          },
          drain(socket) {
            if (pending.length > 0) pending = pending.subarray(socket.write(pending));
          },
          // The answer is one line: settle on its newline instead of waiting for the close.
          data(socket, data) {
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
