import { Hono } from 'hono';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { outboxPage } from '../html/pages.ts';
import type { OutboxMailer } from '../mail/mailer.ts';

function isLoopback(ip: string | undefined): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

/**
 * A name the request was addressed to that only this machine can mean. Anything else (a DNS name
 * that resolves to 127.0.0.1) is how a web page in the developer's browser would read the codes
 * after DNS rebinding, or how a port forwarder's clients address the edge.
 */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/**
 * Headers a proxy adds. A reverse proxy on the edge's own machine connects from loopback, so the
 * peer address alone would show the outbox to anyone the proxy serves: any of these refuses.
 */
const FORWARDING = /^(?:x-forwarded-.+|forwarded|via|x-real-ip|x-client-ip|true-client-ip|cf-connecting-ip)$/;

/** Whether the outbox page exists: development mailer, `--dev-outbox`, and no proxy configured. */
export function devOutboxEnabled(ctx: AppContext): boolean {
  return ctx.mailer.kind === 'outbox' && ctx.settings.devOutbox && ctx.settings.trustProxy === 0;
}

/** GET /dev/outbox: the codes the development mailer "sent", for a browser on this machine only. */
export function devOutboxRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  if (!devOutboxEnabled(ctx)) return app;
  const outbox = ctx.mailer as OutboxMailer;
  app.get('/dev/outbox', (c) => {
    if (!isLoopback(c.env?.ip))
      throw new EdgeError('NOT_FOUND', 'Cannot show the development outbox to a remote client');
    const host = new URL(c.req.url).hostname;
    if (!isLoopbackHost(host))
      throw new EdgeError(
        'NOT_FOUND',
        `Cannot show the development outbox at host "${host}": open it at localhost or 127.0.0.1`,
      );
    const forwarded = [...c.req.raw.headers.keys()].find((name) => FORWARDING.test(name));
    if (forwarded)
      throw new EdgeError(
        'NOT_FOUND',
        `Cannot show the development outbox to a request that came through a proxy ("${forwarded}")`,
      );
    return c.html(outboxPage(outbox.messages));
  });
  return app;
}
