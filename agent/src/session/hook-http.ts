import { timingSafeEqual } from 'node:crypto';
import {
  HOOK_HTTP_PREFIX,
  HOOK_TOKEN_HEADER,
  httpAnswerBody,
  isHookEvent,
  MAX_HOOK_INPUT_BYTES,
  OVERSIZED_HEAD_BYTES,
  OVERSIZED_TAIL_BYTES,
} from '../hook/events.ts';
import type { HookPeerVerifier, PeerVerdict } from './hook-peer.ts';
import type { SessionCore } from './session-core.ts';

export interface HookHttpOptions {
  /**
   * A second factor where the settings can carry one unseen (hook-channel plan): null when the
   * settings are a file the agent could read, and then the peer check alone decides.
   */
  token: () => string | null;
  verifier: HookPeerVerifier;
  /** The loopback port this server listens on (the peer check looks the connection up by it). */
  serverPort: () => number;
}

/** The client of a request, as the server adapter saw the connection. */
export interface ClientAddress {
  address: string;
  port: number;
}

/**
 * HTTP hooks on the session's loopback server: Claude Code POSTs the hook payload, the session
 * core decides or records it, and the body of the answer is the hook's output (empty: no opinion).
 * A request is a hook of this session only if its connection is Claude Code's own (the peer
 * check) and, where the session has one, it carries the token; anything else is refused with 403
 * and journaled as an alert by the core. Returns undefined for requests that are not hook calls.
 */
export function createHookHttpHandler(
  core: SessionCore,
  options: HookHttpOptions,
): (request: Request, client: ClientAddress | null) => Promise<Response> | undefined {
  return (request, client) => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(HOOK_HTTP_PREFIX)) return undefined;
    return (async () => {
      const event = decodeURIComponent(url.pathname.slice(HOOK_HTTP_PREFIX.length));
      if (request.method !== 'POST' || !isHookEvent(event))
        return Response.json({ error: `Not a hook: ${request.method} ${url.pathname}` }, { status: 404 });
      let peer: PeerVerdict = options.verifier.http(client, options.serverPort());
      const token = options.token();
      const expected = token === null ? null : Buffer.from(token);
      if (peer.ok && expected) {
        const given = Buffer.from(request.headers.get(HOOK_TOKEN_HEADER) ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          peer = {
            ok: false,
            reason: 'The HTTP hook request does not carry the session token',
            evidence: { client },
          };
      }
      const body = await readBounded(request);
      const answer = await core.handleHook(event, body.text, {
        // Claude Code's own pid (the peer check found its socket): its ancestry is in session.start.
        pid: peer.ok ? peer.pid : null,
        peer,
        ...(body.oversized ? { oversized: body.oversized } : {}),
      });
      if (!peer.ok)
        return Response.json({ error: 'Refused: not a hook of this ceros session' }, { status: 403 });
      return new Response(httpAnswerBody(event, answer), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    })();
  };
}

/**
 * The body, or for one over MAX_HOOK_INPUT_BYTES its size, head and tail: it is read through
 * without being held, so a 17 MB input is refused and journaled rather than dropped at the door.
 */
async function readBounded(
  request: Request,
): Promise<{ text: string; oversized?: { bytes: number; head: string; tail: string } }> {
  if (!request.body) return { text: '' };
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let head: Uint8Array | null = null;
  let tail: Uint8Array = new Uint8Array(0);
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (head === null && bytes <= MAX_HOOK_INPUT_BYTES) {
      chunks.push(chunk);
      continue;
    }
    if (head === null) {
      const all = Buffer.concat([...chunks, chunk]);
      head = all.subarray(0, OVERSIZED_HEAD_BYTES);
      tail = all.subarray(-OVERSIZED_TAIL_BYTES);
      chunks.length = 0;
      continue;
    }
    const joined: Uint8Array = Buffer.concat([tail, chunk]);
    tail = joined.subarray(-OVERSIZED_TAIL_BYTES);
  }
  const decoder = new TextDecoder();
  if (head === null) return { text: Buffer.concat(chunks).toString('utf8') };
  return { text: '', oversized: { bytes, head: decoder.decode(head), tail: decoder.decode(tail) } };
}
