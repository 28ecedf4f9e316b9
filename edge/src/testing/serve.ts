import type { Hono } from 'hono';
import type { EdgeEnv } from '../deps.ts';

/** Test adapter: serves an app on a loopback port (Bun.serve), like main.ts does. */
export interface ServedApp {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function serveForTest(app: Hono<EdgeEnv>, port = 0): ServedApp {
  const server = Bun.serve({
    port,
    hostname: '127.0.0.1',
    fetch: (request, srv) => app.fetch(request, { ip: srv.requestIP(request)?.address }),
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port ?? 0,
    stop: async () => {
      await server.stop(true);
    },
  };
}
