import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { baseUrl } from '../http.ts';
import { equalText, hashToken } from './secrets.ts';

export const ADMIN_COOKIE = 'ceros_admin';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state changes a browser sent on behalf of another site: a cross-site `Sec-Fetch-Site`,
 * or an `Origin` that is not this edge. `Origin: null` is refused too: browsers send it from
 * sandboxed frames, data: and file: documents and after cross-origin redirects, none of which is
 * this edge's own page (whose HTML is sent with `Referrer-Policy: same-origin`, so its forms carry
 * their real origin; under `no-referrer` a form's Origin would be "null", Fetch standard,
 * "serializing a request origin"). Requests without either header (curl, the agent) pass; they
 * carry no ambient cookie authority a third-party page could borrow.
 */
export function assertSameOrigin(c: Context<EdgeEnv>, ctx: AppContext): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  if (c.req.header('sec-fetch-site') === 'cross-site')
    throw new EdgeError('CSRF_FAILED', 'Cannot accept a state change sent from another site');
  const origin = c.req.header('origin');
  if (origin === undefined) return;
  if (origin === 'null')
    throw new EdgeError(
      'CSRF_FAILED',
      'Cannot accept a state change from an opaque origin ("null"): send it from this edge\'s own page',
    );
  if (origin !== baseUrl(c, ctx.settings) && origin !== new URL(c.req.url).origin)
    throw new EdgeError('CSRF_FAILED', `Cannot accept a state change sent from origin "${origin}"`);
}

export function isSecure(c: Context<EdgeEnv>, ctx: AppContext): boolean {
  return baseUrl(c, ctx.settings).startsWith('https:');
}

export function setAdminCookie(c: Context<EdgeEnv>, ctx: AppContext, token: string): void {
  setCookie(c, ADMIN_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isSecure(c, ctx),
    path: '/',
    maxAge: Math.floor(ctx.settings.adminSessionTtlMs / 1000),
  });
}

export function clearAdminCookie(c: Context<EdgeEnv>, ctx: AppContext): void {
  deleteCookie(c, ADMIN_COOKIE, { path: '/', secure: isSecure(c, ctx), httpOnly: true, sameSite: 'Strict' });
}

/** POSTs that only compute an answer (a body too large for a query): auditors may send them too. */
const READ_ONLY_POSTS = new Set(['/v1/admin/policies/validate', '/v1/admin/policies/evaluate']);

/**
 * Admin session from the HttpOnly cookie. Every state change also needs the session's CSRF token in
 * `x-csrf-token` (a header a cross-site form cannot set) and the `admin` role; auditors read and
 * export only.
 */
export function adminAuth(ctx: AppContext): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const token = getCookie(c, ADMIN_COOKIE);
    const session = token ? await ctx.store.getAdminSession(hashToken(token), ctx.now()) : undefined;
    if (!session)
      throw new EdgeError('UNAUTHENTICATED', 'Cannot serve admin requests without a session: sign in');
    if (!SAFE_METHODS.has(c.req.method)) {
      assertSameOrigin(c, ctx);
      const sent = c.req.header(CSRF_HEADER);
      if (!sent || !equalText(sent, session.csrfToken))
        throw new EdgeError(
          'CSRF_FAILED',
          `Cannot accept a state change without the session's ${CSRF_HEADER}`,
        );
      if (session.role !== 'admin' && !READ_ONLY_POSTS.has(c.req.path))
        throw new EdgeError(
          'FORBIDDEN_ROLE',
          `Cannot change anything as "${session.email}": the auditor role reads only`,
        );
    }
    c.set('admin', session);
    await next();
  };
}
