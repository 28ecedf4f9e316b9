import { createShellParser, parsePolicy, type ShellParser } from '@ceros/policy';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { adminAuth } from './auth/admin-auth.ts';
import {
  type AppContext,
  DEFAULT_SETTINGS,
  type EdgeDeps,
  type EdgeEnv,
  type PolicyValidator,
} from './deps.ts';
import { EdgeError, type ErrorBody, errorBody } from './errors.ts';
import { adminRoutes } from './routes/admin.ts';
import { agentRoutes } from './routes/agent.ts';
import { consoleRoutes } from './routes/console.ts';
import { devOutboxRoutes } from './routes/dev-outbox.ts';
import { enrollRoutes } from './routes/enroll.ts';
import { installRoutes } from './routes/install.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { queryRoutes } from './routes/query.ts';
import { siemRoutes } from './siem/routes.ts';

export const EDGE_VERSION = '0.1.0';

/** The default policy validator: @ceros/policy's parser, every issue with its path and position. */
export const parsePolicyValidator: PolicyValidator = (source) => {
  const result = parsePolicy(source);
  if (result.ok) return { ok: true, document: result.value };
  return {
    ok: false,
    issues: result.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
      ...(issue.line !== undefined ? { line: issue.line } : {}),
      ...(issue.column !== undefined ? { column: issue.column } : {}),
    })),
  };
};

const LOGIN_PATHS = new Set(['/v1/admin/login/start', '/v1/admin/login/verify']);

/** The edge API. Stateless apart from `deps.store`: any number of instances can share one database. */
export function createApp(deps: EdgeDeps): Hono<EdgeEnv> {
  const clock = deps.clock;
  let shell: Promise<ShellParser> | undefined;
  const ctx: AppContext = {
    store: deps.store,
    mailer: deps.mailer,
    now: clock ? () => clock.now() : () => Date.now(),
    ledger: deps.ledger,
    tlog: deps.tlog,
    validatePolicy: deps.validatePolicy ?? parsePolicyValidator,
    shellParser: () => {
      shell ??= createShellParser(deps.shellWasm ?? {}).catch((error: unknown) => {
        shell = undefined;
        throw error;
      });
      return shell;
    },
    binaries: deps.binaries,
    settings: { ...DEFAULT_SETTINGS, ...deps.settings },
    log: deps.log ?? (() => {}),
  };
  const app = new Hono<EdgeEnv>();

  app.onError((error, c) => {
    if (error instanceof EdgeError) return c.json(errorBody(error), error.status);
    if (error instanceof HTTPException) {
      const body: ErrorBody = {
        error: { code: 'INVALID_INPUT', message: error.message || 'Cannot process the request' },
      };
      return c.json(body, error.status === 413 ? 413 : 400);
    }
    ctx.log(`error: ${c.req.method} ${c.req.path}: ${(error as Error).stack ?? String(error)}`);
    const body: ErrorBody = {
      error: { code: 'INTERNAL', message: 'Cannot complete the request: internal error' },
    };
    return c.json(body, 500);
  });
  app.notFound((c) => {
    const body: ErrorBody = {
      error: { code: 'NOT_FOUND', message: `Cannot find ${c.req.method} ${c.req.path}` },
    };
    return c.json(body, 404);
  });

  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    // Pages send their referrer to this edge only, so their forms' Origin is real, not "null".
    const page = c.res.headers.get('content-type')?.startsWith('text/html') === true;
    c.header('referrer-policy', page ? 'same-origin' : 'no-referrer');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
    if (page && !c.res.headers.has('content-security-policy')) {
      // The enrollment pages: no scripts, forms only to this edge, and never inside a frame (a
      // framed page could trick someone into enrolling a device that is not theirs).
      c.header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      );
      c.header('x-frame-options', 'DENY');
    }
  });

  app.get('/healthz', async (c) => {
    await ctx.store.ping();
    return c.json({ ok: true, version: EDGE_VERSION, mail: ctx.mailer.kind });
  });

  app.route('/', devOutboxRoutes(ctx));

  const guard = adminAuth(ctx);
  app.use('/v1/admin/*', async (c, next) => (LOGIN_PATHS.has(c.req.path) ? next() : guard(c, next)));

  app.route('/', enrollRoutes(ctx));
  app.route('/', agentRoutes(ctx));
  app.route('/', adminRoutes(ctx));
  app.route('/', queryRoutes(ctx));
  app.route('/', ledgerRoutes(ctx));
  app.route('/', siemRoutes(ctx));
  app.route('/', installRoutes(ctx));
  app.route('/', consoleRoutes(ctx));
  return app;
}
