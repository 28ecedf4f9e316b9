/** Adapter: binds the proxy handler to a loopback port with Bun.serve. */
export interface ProxyServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The client end of a request's connection (address and port), for checks of who is calling. */
export type ServedHandler = (
  request: Request,
  client: { address: string; port: number } | null,
) => Promise<Response>;

export function serveProxy(handler: ServedHandler): ProxyServer {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    fetch: (request, self) => handler(request, self.requestIP(request)),
    error: (error) =>
      Response.json(
        { type: 'error', error: { type: 'api_error', message: `ceros proxy failed: ${error.message}` } },
        { status: 502 },
      ),
  });
  const port = server.port ?? 0;
  return { url: `http://127.0.0.1:${port}`, port, stop: async () => server.stop(true) };
}
