/** Adapter: binds the proxy handler to a loopback port with Bun.serve. */
export interface ProxyServer {
  url: string;
  stop(): Promise<void>;
}

export function serveProxy(handler: (request: Request) => Promise<Response>): ProxyServer {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    fetch: handler,
    error: (error) =>
      Response.json(
        { type: 'error', error: { type: 'api_error', message: `ceros proxy failed: ${error.message}` } },
        { status: 502 },
      ),
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: async () => server.stop(true) };
}
