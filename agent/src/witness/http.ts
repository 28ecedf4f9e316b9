import type { Witness, WitnessReply } from './witness.ts';

/**
 * The witness's HTTP interface on web-standard Request/Response (c2sp.org/tlog-witness):
 * `POST /add-checkpoint`, plus `GET /` with the witness's verifier key. serve.ts binds it to a
 * port; tests call it directly.
 */

/** Requests are a size line, at most 63 hashes and a checkpoint: a few kilobytes. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export async function handleWitnessRequest(
  witness: Witness,
  request: Request,
  onReply: (reply: WitnessReply) => void = () => {},
): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === 'GET' && url.pathname === '/')
    return new Response(`${witness.name}\n${witness.verifierKey}\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  if (url.pathname !== '/add-checkpoint') return new Response('Not found\n', { status: 404 });
  if (request.method !== 'POST')
    return new Response('Use POST\n', { status: 405, headers: { allow: 'POST' } });
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_REQUEST_BYTES) return new Response('Request too large\n', { status: 413 });
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > MAX_REQUEST_BYTES) return new Response('Request too large\n', { status: 413 });
  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new Response('The request is not UTF-8\n', { status: 400 });
  }
  const reply = await witness.addCheckpoint(body);
  onReply(reply);
  return new Response(reply.body, { status: reply.status, headers: { 'content-type': reply.contentType } });
}
