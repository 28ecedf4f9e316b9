import { timingSafeEqual } from 'node:crypto';
import { HOOK_HTTP_PREFIX, HOOK_TOKEN_HEADER, MAX_HOOK_INPUT_BYTES } from '../hook/events.ts';
import type { SessionCore } from './session-core.ts';

/**
 * HTTP hooks (see HTTP_EVENTS) on the session's loopback server: Claude Code POSTs the hook
 * payload, the session core records it, and the body of the answer is the hook's output. A
 * request without the session's token is refused: other local processes cannot write into the
 * journal through this door. Returns undefined for requests that are not hook calls.
 */
export function createHookHttpHandler(
  core: SessionCore,
  token: string,
): (request: Request) => Promise<Response> | undefined {
  const expected = Buffer.from(token);
  return (request) => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(HOOK_HTTP_PREFIX)) return undefined;
    return (async () => {
      const given = Buffer.from(request.headers.get(HOOK_TOKEN_HEADER) ?? '');
      if (
        request.method !== 'POST' ||
        given.length !== expected.length ||
        !timingSafeEqual(given, expected)
      ) {
        return Response.json({ error: 'Refused: not a hook of this ceros session' }, { status: 403 });
      }
      const length = Number(request.headers.get('content-length') ?? '0');
      if (length > MAX_HOOK_INPUT_BYTES)
        return Response.json({ error: 'Hook payload too large' }, { status: 413 });
      const event = decodeURIComponent(url.pathname.slice(HOOK_HTTP_PREFIX.length));
      const answer = await core.handleHook(event, await request.text(), { pid: null });
      return new Response(answer.stdout || '{}', {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    })();
  };
}
