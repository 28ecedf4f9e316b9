import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sha256Hex } from '@ceros/protocol';
import { type Context, Hono } from 'hono';
import type { AppContext, EdgeEnv } from '../deps.ts';

/** The console page ui/ builds (ui/src/build/build-console.ts): one self-contained HTML file, gzipped. */
export const CONSOLE_ASSET = 'ceros-console.html.gz';

/** Client-side routes of the console; each answers with the page, which routes itself. */
export const CONSOLE_PATHS = [
  '/',
  '/sign-in',
  '/conversations',
  '/conversations/:device/:session',
  '/tools',
  '/mcp',
  '/policies',
  '/policies/:id',
  '/devices',
  '/devices/:id',
  '/activity',
  '/settings',
] as const;

interface ConsolePage {
  gzip: Uint8Array;
  html: Uint8Array;
  etag: string;
  /** The page's own policy (hashes of its inline script and style), plus the framing ban. */
  csp: string;
}

/** The policy the build wrote into the page's meta tag; without one, nothing may run. */
export function consolePolicy(html: string): string {
  const meta =
    /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "default-src 'none'";
  return `${meta}; frame-ancestors 'none'`;
}

/** Where the page comes from: embedded in the compiled edge, or ui/dist beside the source. */
export interface ConsoleSource {
  load(): Promise<Uint8Array | null>;
  /** Changes when the page on disk changes (source runs rebuild the console without a restart). */
  version(): string;
}

/** Paths of the API and the server-rendered pages, whose misses keep the JSON error. */
const NOT_CONSOLE = /^\/(?:v1|dev|enroll|download|install\.sh|healthz)(?:\/|$)/;

/** A browser navigation to a path the console could have had: it asks for HTML first. */
export function isPageRequest(path: string, accept: string | undefined): boolean {
  return !NOT_CONSOLE.test(path) && /^\s*text\/html\b/i.test(accept ?? '');
}

const EMBEDDED_NAME = /^ceros-console\.html(?:-[a-z0-9]+)?\.gz$/;
const SOURCE_PATH = join(import.meta.dir, '..', '..', '..', 'ui', 'dist', CONSOLE_ASSET);

/**
 * The one runtime-specific lookup here: `bun build --compile` embeds extra entrypoints as files
 * (scripts/build.ts passes the console page) and lists them in `Bun.embeddedFiles`, named
 * `<name>-<hash>.<ext>`. From source, the page is read from ui/dist.
 */
export function defaultConsoleSource(): ConsoleSource {
  const bun = (globalThis as { Bun?: { embeddedFiles?: readonly Blob[] } }).Bun;
  const embedded = bun?.embeddedFiles?.find((file) =>
    EMBEDDED_NAME.test((file as Blob & { name?: string }).name ?? ''),
  );
  if (embedded)
    return { load: async () => new Uint8Array(await embedded.arrayBuffer()), version: () => 'embedded' };
  return {
    load: async () => (existsSync(SOURCE_PATH) ? new Uint8Array(readFileSync(SOURCE_PATH)) : null),
    version: () => (existsSync(SOURCE_PATH) ? String(statSync(SOURCE_PATH).mtimeMs) : 'missing'),
  };
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ceros edge</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.4rem">The console is not built</h1>
<p>This edge was started from source without <code>ui/dist/${CONSOLE_ASSET}</code>. Run <code>npm run build</code>
(or <code>bun run scripts/build.ts</code>) and reload. Device enrollment works without it: <a href="/enroll">/enroll</a>.</p>
</body></html>`;

/**
 * Serves the Preact console at `/` and at its client-side routes. The page is gzipped once at
 * build time and sent as is to every browser that accepts gzip (all of them). Its
 * Content-Security-Policy allows exactly its own inline script and style (by hash) and API calls
 * to this origin; the header repeats the page's meta policy and adds the framing ban a meta tag
 * cannot express.
 */
export function consoleRoutes(
  ctx: AppContext,
  source: ConsoleSource = defaultConsoleSource(),
): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  let cached: { version: string; page: Promise<ConsolePage | null> } | undefined;

  const page = (): Promise<ConsolePage | null> => {
    const version = source.version();
    if (cached?.version !== version) {
      const loading = source.load().then((gzip) => {
        if (!gzip) {
          ctx.log(`console: ${CONSOLE_ASSET} is not built; serving a notice at /`);
          return null;
        }
        const html = new Uint8Array(gunzipSync(gzip));
        const found: ConsolePage = {
          gzip,
          html,
          etag: `"${sha256Hex(Buffer.from(gzip)).slice(0, 32)}"`,
          csp: consolePolicy(Buffer.from(html).toString('utf8')),
        };
        return found;
      });
      cached = { version, page: loading };
      loading.catch(() => {
        cached = undefined;
      });
    }
    return (cached as { page: Promise<ConsolePage | null> }).page;
  };

  const send = async (c: Context<EdgeEnv>, status: 200 | 404) => {
    const found = await page();
    c.header('x-frame-options', 'DENY');
    c.header(
      'content-security-policy',
      found ? found.csp : "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    if (!found) return c.html(NOT_BUILT, 503);
    c.header('cache-control', 'no-cache');
    c.header('etag', found.etag);
    c.header('vary', 'accept, accept-encoding');
    if (status === 200 && c.req.header('if-none-match') === found.etag) return c.body(null, 304);
    c.header('content-type', 'text/html; charset=utf-8');
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      c.header('content-encoding', 'gzip');
      return c.body(found.gzip as Uint8Array<ArrayBuffer>, status);
    }
    return c.body(found.html as Uint8Array<ArrayBuffer>, status);
  };

  for (const path of CONSOLE_PATHS) app.get(path, (c) => send(c, 200));
  // A browser opening a path nobody serves gets the console's own "Page not found" (with a 404),
  // not the API's JSON error; API clients (no text/html in Accept) and the API's paths still do.
  app.get('*', async (c, next) => {
    if (!isPageRequest(c.req.path, c.req.header('accept'))) return next();
    return send(c, 404);
  });
  return app;
}
