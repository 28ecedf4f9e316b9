import type { Context } from 'hono';
import { z } from 'zod';
import type { EdgeEnv, EdgeSettings } from './deps.ts';
import { EdgeError } from './errors.ts';
import type { Keyset } from './store/store.ts';

type Ctx = Context<EdgeEnv>;

/** Formats zod issues as "path: message; path: message" so a client sees every problem at once. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
}

/**
 * Reads the request body up to `maxBytes`, refusing larger bodies before buffering them: a declared
 * Content-Length over the cap is refused at once, and a chunked body is cut off as it crosses it.
 */
export async function readBody(c: Ctx, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): EdgeError {
  return new EdgeError('BODY_TOO_LARGE', `Cannot accept a body over ${maxBytes} bytes`, { maxBytes });
}

/** Parses JSON bytes against a schema: MALFORMED_BODY for bad JSON, INVALID_INPUT for bad shape. */
export function parseJsonBytes<T>(bytes: Uint8Array, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new EdgeError('MALFORMED_BODY', `Cannot parse the body as JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success)
    throw new EdgeError('INVALID_INPUT', `Cannot accept the body: ${describeIssues(result.error.issues)}`);
  return result.data;
}

export async function readJson<T>(c: Ctx, schema: z.ZodType<T>, settings: EdgeSettings): Promise<T> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new EdgeError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Cannot accept content type "${type}": send application/json`,
    );
  return parseJsonBytes(await readBody(c, settings.maxJsonBytes), schema);
}

export async function readForm(c: Ctx, settings: EdgeSettings): Promise<URLSearchParams> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type))
    throw new EdgeError('UNSUPPORTED_MEDIA_TYPE', `Cannot accept content type "${type}": send a form`);
  return new URLSearchParams(Buffer.from(await readBody(c, settings.maxJsonBytes)).toString('utf8'));
}

export function parseQuery<T>(c: Ctx, schema: z.ZodType<T>): T {
  const result = schema.safeParse(c.req.query());
  if (!result.success)
    throw new EdgeError('INVALID_INPUT', `Cannot accept the query: ${describeIssues(result.error.issues)}`);
  return result.data;
}

/** Keyset cursors travel as opaque base64url JSON; clients must not build them. */
export function encodeCursor(keyset: Keyset | null): string | null {
  return keyset === null ? null : Buffer.from(JSON.stringify(keyset)).toString('base64url');
}

const keysetSchema = z
  .array(z.union([z.string().max(512), z.number().finite()]))
  .min(1)
  .max(4);
export const cursorParam = z
  .string()
  .max(2048)
  .transform((text, ctx): Keyset => {
    try {
      const parsed = keysetSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through to the issue below
    }
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this edge issued' });
    return z.NEVER;
  });

export const limitParam = z.coerce.number().int().min(1).max(500).default(50);

/** `?cursor&limit` of every paged list. */
export const pageParams = { cursor: cursorParam.optional(), limit: limitParam };
export const pageQuery = z.strictObject(pageParams);

/** The times a query may name: RFC 3339's years (0000-9999), from the epoch on. */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * An RFC 3339 time or epoch milliseconds, as milliseconds, between 1970 and the end of 9999. The
 * bound keeps every time a route derives from it (a week before, an ISO string) a valid Date: 40
 * digits of milliseconds parsed as a finite number and failed later in toISOString().
 */
export const timeParam = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIME_MS) return ms;
    ctx.addIssue({
      code: 'custom',
      message: 'must be an RFC 3339 time or epoch milliseconds between 1970-01-01 and 9999-12-31',
    });
    return z.NEVER;
  });

/** An IPv4 or IPv6 address as proxies write them; anything else in X-Forwarded-For is not one. */
const ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The client's address. Without trusted proxies it is the socket peer. Behind `trustProxy` = N
 * proxies, each appended the address it received the request from to X-Forwarded-For, so the
 * right-most N entries are theirs and the N-th from the right is the client: everything left of
 * it is whatever the client sent (MDN, X-Forwarded-For, "Selecting an IP address": the trusted
 * proxy count method). With fewer entries than proxies the left-most one is the farthest known hop.
 */
export function clientIp(c: Ctx, settings: EdgeSettings): string {
  const peer = c.env?.ip ?? 'unknown';
  if (settings.trustProxy <= 0) return peer;
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  if (hops.length === 0) return peer;
  const client = hops[Math.max(0, hops.length - settings.trustProxy)] ?? '';
  return ADDRESS.test(client) ? client : peer;
}

/** The edge's own origin as clients see it: the configured public URL, else the request's. */
export function baseUrl(c: Ctx, settings: EdgeSettings): string {
  if (settings.publicUrl) return settings.publicUrl.replace(/\/+$/, '');
  const url = new URL(c.req.url);
  // The proxy nearest the edge says which scheme the client used; it is the right-most value.
  const forwarded =
    settings.trustProxy > 0 ? c.req.header('x-forwarded-proto')?.split(',').at(-1)?.trim() : undefined;
  const proto = forwarded === 'http' || forwarded === 'https' ? forwarded : null;
  return proto ? `${proto}://${url.host}` : url.origin;
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Parses stored JSON text for a response; falls back to the text itself if it is not JSON. */
export function jsonOrText(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
