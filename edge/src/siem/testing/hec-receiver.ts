/**
 * A Splunk HTTP Event Collector for tests, strict about the wire format (npm has no maintained
 * HEC server): POST /services/collector/event only, `Authorization: Splunk <token>`, a body of
 * one or more concatenated JSON objects each with an `event` and a numeric epoch-seconds `time`,
 * answered the way Splunk answers (Splunk docs, "Troubleshoot HTTP Event Collector": code 0
 * Success, 2 Token is required, 3 Invalid authorization, 4 Invalid token, 5 No data, 6 Invalid
 * data format). It can be stopped and started again on the same port, like a receiver that goes
 * down and comes back.
 */
export interface HecEvent {
  time: number;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  event: Record<string, unknown>;
  fields?: Record<string, string>;
}

export interface HecReceiver {
  url: string;
  port: number;
  /** Every event accepted, in order of arrival. */
  events: HecEvent[];
  /** Requests answered (any status). */
  requests: number;
  /** Stops listening (connections are refused) until `up()`. */
  down(): Promise<void>;
  up(): void;
  /** Refuse events for which this returns true with code 6, as Splunk does for bad data. */
  refuse(predicate: ((event: HecEvent) => boolean) | null): void;
  close(): Promise<void>;
}

const FIELDS = new Set(['time', 'host', 'source', 'sourcetype', 'index', 'event', 'fields']);

/** Splits concatenated JSON objects (HEC takes `{...}{...}` with or without whitespace between). */
export function splitConcatenatedJson(body: string): unknown[] | null {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth < 0) return null;
      if (depth === 0) {
        try {
          out.push(JSON.parse(body.slice(start, i + 1)));
        } catch {
          return null;
        }
      }
    } else if (depth === 0 && !/\s/.test(c ?? '')) return null;
  }
  return depth === 0 ? out : null;
}

function validEvent(raw: unknown): raw is HecEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const e = raw as Record<string, unknown>;
  if (Object.keys(e).some((k) => !FIELDS.has(k))) return false;
  if (typeof e.time !== 'number' || !Number.isFinite(e.time) || e.time > 1e11) return false;
  if (typeof e.event !== 'object' || e.event === null) return false;
  for (const k of ['host', 'source', 'sourcetype', 'index'] as const)
    if (k in e && typeof e[k] !== 'string') return false;
  if ('fields' in e) {
    if (typeof e.fields !== 'object' || e.fields === null || Array.isArray(e.fields)) return false;
    if (Object.values(e.fields).some((v) => typeof v !== 'string')) return false;
  }
  return true;
}

export function startHecReceiver(options: {
  token: string;
  port?: number;
  tls?: { cert: string; key: string };
}): HecReceiver {
  const events: HecEvent[] = [];
  let refuse: ((event: HecEvent) => boolean) | null = null;
  let requests = 0;
  const answer = (status: number, text: string, code: number, extra: Record<string, unknown> = {}) =>
    Response.json({ text, code, ...extra }, { status });

  const fetch = async (request: Request): Promise<Response> => {
    requests++;
    const path = new URL(request.url).pathname;
    if (request.method !== 'POST' || path !== '/services/collector/event')
      return answer(404, 'The requested URL was not found on this server.', 404);
    const auth = request.headers.get('authorization');
    if (!auth) return answer(401, 'Token is required', 2);
    if (!auth.startsWith('Splunk ')) return answer(401, 'Invalid authorization', 3);
    if (auth.slice('Splunk '.length) !== options.token) return answer(403, 'Invalid token', 4);
    const body = await request.text();
    if (body.trim() === '') return answer(400, 'No data', 5);
    const parsed = splitConcatenatedJson(body);
    if (!parsed) return answer(400, 'Invalid data format', 6, { 'invalid-event-number': 0 });
    for (const [i, raw] of parsed.entries())
      if (!validEvent(raw) || refuse?.(raw))
        return answer(400, 'Invalid data format', 6, { 'invalid-event-number': i });
    // Splunk indexes a request's events all or none.
    events.push(...(parsed as HecEvent[]));
    return answer(200, 'Success', 0);
  };

  let server = Bun.serve({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    fetch,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const port = server.port as number;
  let listening = true;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    events,
    get requests() {
      return requests;
    },
    async down() {
      if (!listening) return;
      listening = false;
      await server.stop(true);
    },
    up() {
      if (listening) return;
      server = Bun.serve({
        port,
        hostname: '127.0.0.1',
        fetch,
        ...(options.tls ? { tls: options.tls } : {}),
      });
      listening = true;
    },
    refuse(predicate) {
      refuse = predicate;
    },
    async close() {
      if (listening) await server.stop(true);
      listening = false;
    },
  };
}
