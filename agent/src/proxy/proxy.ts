import { JournalError } from '../journal/journal-error.ts';
import type { SessionCredentials } from './credentials.ts';
import type { ApiRecorder, RequestMeta } from './recorder.ts';
import { createSseAssembler } from './sse.ts';

export interface ProxyOptions {
  upstream: string;
  recorder: ApiRecorder;
  /** Resolves when posture and ancestry are recorded: nothing goes upstream before. */
  ready: Promise<void>;
  /** Work that must finish before the session ends (response recordings in flight). */
  track: (work: Promise<unknown>) => void;
  fetchImpl?: typeof fetch;
  /** See SessionCore.hooksAlive: Messages requests wait for the session's hooks to report in. */
  hooksAlive?: (claudeSessionId: string, timeoutMs: number) => Promise<boolean>;
  /** This session's placeholder credentials: swapped for the real ones, anything else refused. */
  credentials?: SessionCredentials;
}

/** How long a Messages request waits for its session's first hook before it is refused. */
export const HOOKS_ALIVE_TIMEOUT_MS = 10_000;

/** Request headers a hop must not forward; everything else (auth, anthropic-*) passes unchanged. */
const HOP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'accept-encoding',
  'upgrade',
  'proxy-connection',
]);
const HOP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
]);

/**
 * The recording proxy, as a fetch handler (the server adapter binds it to loopback). Streams pass
 * through without buffering: the client gets one branch of a tee, the recorder reads the other.
 */
export function createProxyHandler(options: ProxyOptions): (request: Request) => Promise<Response> {
  const doFetch = options.fetchImpl ?? fetch;
  const upstream = options.upstream.replace(/\/+$/, '');
  let requestNo = 0;

  return async (request) => {
    await options.ready;
    const url = new URL(request.url);
    const target = `${upstream}${url.pathname}${url.search}`;
    const headers = new Headers();
    request.headers.forEach((value, key) => {
      if (!HOP_REQUEST.has(key.toLowerCase())) headers.set(key, value);
    });
    const body =
      request.method === 'GET' || request.method === 'HEAD'
        ? null
        : new Uint8Array(await request.arrayBuffer());
    const isMessages = request.method === 'POST' && /\/v1\/messages\/?$/.test(url.pathname);
    const meta: RequestMeta = {
      requestNo: ++requestNo,
      claudeSessionId: request.headers.get('x-claude-code-session-id'),
      path: url.pathname,
      upstreamRequestId: null,
    };
    const credential = options.credentials?.swap(headers) ?? 'ok';
    if (credential === 'refused' || (credential === 'none' && isMessages)) {
      const reason =
        "ceros refused the request: it does not carry this session's credential (only the agent ceros started may use this proxy)";
      options.track(Promise.resolve().then(() => options.recorder.recordRefusal(meta, reason)));
      return Response.json(
        { type: 'error', error: { type: 'authentication_error', message: reason } },
        { status: 401 },
      );
    }
    if (isMessages && options.hooksAlive) {
      const refusal = await checkHooks(options.hooksAlive, meta.claudeSessionId);
      if (refusal) {
        options.track(Promise.resolve().then(() => options.recorder.recordRefusal(meta, refusal)));
        return Response.json(
          { type: 'error', error: { type: 'permission_error', message: refusal } },
          { status: 403 },
        );
      }
    }
    // Nothing goes to the model that is not on disk first (issue 14.1): a request the journal
    // cannot record is refused, and the next one is tried afresh, so the session resumes by itself.
    if (isMessages) {
      try {
        await recordRequest(options.recorder, meta, body);
      } catch (error) {
        return unrecordedRefusal(error);
      }
    }
    let upstreamResponse: Response;
    try {
      upstreamResponse = await doFetch(target, { method: request.method, headers, body, redirect: 'manual' });
    } catch (error) {
      const message = `ceros proxy cannot reach the upstream API at ${upstream}: ${(error as Error).message}`;
      return Response.json({ type: 'error', error: { type: 'api_error', message } }, { status: 502 });
    }
    meta.upstreamRequestId = upstreamResponse.headers.get('request-id');
    const responseHeaders = new Headers();
    upstreamResponse.headers.forEach((value, key) => {
      if (!HOP_RESPONSE.has(key.toLowerCase())) responseHeaders.set(key, value);
    });
    if (!isMessages || !upstreamResponse.body) {
      return new Response(upstreamResponse.body, {
        status: upstreamResponse.status,
        statusText: upstreamResponse.statusText,
        headers: responseHeaders,
      });
    }
    const [toClient, toRecorder] = upstreamResponse.body.tee();
    // The response is recorded as it streams; should that fail, its content is still journaled
    // with the next request, which carries it in `messages` and is refused unless recorded.
    options.track(recordResponse(options.recorder, meta, upstreamResponse, toRecorder));
    return new Response(toClient, {
      status: upstreamResponse.status,
      statusText: upstreamResponse.statusText,
      headers: responseHeaders,
    });
  };
}

async function checkHooks(
  hooksAlive: NonNullable<ProxyOptions['hooksAlive']>,
  claudeSessionId: string | null,
): Promise<string | null> {
  if (!claudeSessionId)
    return 'ceros refused the request: it carries no x-claude-code-session-id, so its hooks cannot be checked';
  if (await hooksAlive(claudeSessionId, HOOKS_ALIVE_TIMEOUT_MS)) return null;
  return `ceros refused the request: the hooks of Claude Code session ${claudeSessionId} never reported in, so its tool calls could not be recorded or enforced (were ceros's settings rejected, or hooks disabled?)`;
}

function recordRequest(recorder: ApiRecorder, meta: RequestMeta, body: Uint8Array | null): Promise<void> {
  let parsed: unknown = null;
  try {
    parsed = body ? JSON.parse(new TextDecoder().decode(body)) : null;
  } catch {
    parsed = null;
  }
  return recorder.recordRequest(meta, parsed);
}

/**
 * The answer to a Messages request the journal could not record, in the API's error shape, so
 * Claude Code shows it ("API Error: 507 ceros did not send ..."). 507 Insufficient Storage
 * (RFC 4918 11.5) for a full disk, 500 for any other failure: both are 5xx, which Claude Code
 * retries with back-off, so a session resumes once the journal can write again.
 */
export function unrecordedRefusal(error: unknown): Response {
  const diskFull = error instanceof JournalError && error.code === 'DISK_FULL';
  const why = error instanceof Error ? error.message : String(error);
  const message = `ceros did not send this request to the model: the journal cannot record it (${why}). It is sent once the journal can write again`;
  return Response.json(
    { type: 'error', error: { type: 'api_error', message } },
    { status: diskFull ? 507 : 500 },
  );
}

async function recordResponse(
  recorder: ApiRecorder,
  meta: RequestMeta,
  response: Response,
  stream: ReadableStream<Uint8Array>,
): Promise<void> {
  const decoder = new TextDecoder();
  const isStream = (response.headers.get('content-type') ?? '').includes('text/event-stream');
  const assembler = createSseAssembler();
  let text = '';
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = decoder.decode(value, { stream: true });
      if (isStream) {
        assembler.push(chunk);
        // Some servers keep the connection open after message_stop; the message is complete.
        if (assembler.stopped) {
          void reader.cancel().catch(() => {});
          break;
        }
      } else text += chunk;
    }
  } catch (error) {
    text += `\n[stream interrupted: ${(error as Error).message}]`;
  }
  if (isStream) {
    recorder.recordResponse(meta, response.status, assembler.finish(), response.ok ? null : text || null);
    return;
  }
  let message = null;
  if (response.ok) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      message = {
        id: (json.id as string) ?? null,
        model: (json.model as string) ?? null,
        content: (json.content as Record<string, unknown>[]) ?? [],
        stopReason: (json.stop_reason as string) ?? null,
        usage: (json.usage as Record<string, unknown>) ?? null,
        error: null,
      };
    } catch {
      message = null;
    }
  }
  recorder.recordResponse(meta, response.status, message, response.ok ? null : text.slice(0, 64 * 1024));
}
