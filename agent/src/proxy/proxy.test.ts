import { afterAll, describe, expect, test } from 'bun:test';
import type { JournalEntry } from '@ceros/protocol';
import { JournalError } from '../journal/journal-error.ts';
import { CLAUDE_CREDENTIALS, createSessionCredentials, type SessionCredentials } from './credentials.ts';
import { createProxyHandler } from './proxy.ts';
import { createApiRecorder } from './recorder.ts';
import { serveProxy } from './server.ts';

/** A real upstream on loopback that records what it got and answers per path. */
const seen: { path: string; headers: Record<string, string>; body: string }[] = [];
const upstream = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    seen.push({
      path: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
    if (url.pathname === '/v1/messages' && request.headers.get('x-fail') === '529') {
      return Response.json(
        { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
        { status: 529, headers: { 'retry-after': '7' } },
      );
    }
    if (url.pathname === '/v1/messages') {
      const events = [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_u","model":"m","usage":{}}}\n\n',
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi there"}}\n\n',
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}\n\n',
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      ];
      return new Response(events.join(''), {
        headers: { 'content-type': 'text/event-stream', 'request-id': 'req_up' },
      });
    }
    return new Response(`other ${url.pathname}`, { status: 404 });
  },
});
afterAll(() => upstream.stop(true));

function setup(hooksAlive?: (id: string, ms: number) => Promise<boolean>, credentials?: SessionCredentials) {
  const entries: { type: string; payload: unknown }[] = [];
  const pending: Promise<unknown>[] = [];
  const recorder = createApiRecorder({
    append: (type, payload) => {
      entries.push({ type, payload });
      return {} as JournalEntry;
    },
  });
  const proxy = serveProxy(
    createProxyHandler({
      upstream: `http://127.0.0.1:${upstream.port}`,
      recorder,
      ready: Promise.resolve(),
      track: (work) => pending.push(work),
      ...(hooksAlive ? { hooksAlive } : {}),
      ...(credentials ? { credentials } : {}),
    }),
  );
  return { proxy, entries, drain: () => Promise.all(pending) };
}

const body = JSON.stringify({
  model: 'm',
  stream: true,
  system: [{ type: 'text', text: 'sys' }],
  tools: [
    {
      name: 'Bash',
      description: 'run',
      input_schema: { type: 'object', properties: { command: { type: 'string' } } },
    },
  ],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }] },
  ],
});

describe('recording proxy with placeholder credentials', () => {
  test('swaps the placeholder for the real key upstream, and refuses and journals any other key', async () => {
    const credentials = createSessionCredentials(
      { ANTHROPIC_API_KEY: 'sk-ant-api03-THE-REAL-KEY-000000000000000000' },
      CLAUDE_CREDENTIALS,
    );
    const { proxy, entries, drain } = setup(undefined, credentials);
    const send = (key: string) =>
      fetch(`${proxy.url}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'x-claude-code-session-id': 'cs1' },
        body,
      });
    const ok = await send(credentials.env.ANTHROPIC_API_KEY as string);
    expect(ok.status).toBe(200);
    await ok.text();
    expect(seen.at(-1)?.headers['x-api-key']).toBe('sk-ant-api03-THE-REAL-KEY-000000000000000000');
    const before = seen.length;
    const refused = await send('sk-ant-api03-THE-REAL-KEY-000000000000000000');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { type: 'authentication_error' } });
    const none = await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body });
    expect(none.status).toBe(401);
    expect(seen.length).toBe(before);
    await drain();
    expect(entries.filter((e) => e.type === 'api.refused')).toHaveLength(2);
    proxy.stop();
  });
});

describe('recording proxy', () => {
  test('passes auth and anthropic headers unchanged, streams the reply, and records request and response', async () => {
    const { proxy, entries, drain } = setup();
    const response = await fetch(`${proxy.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-ant-oat01-secret',
        'anthropic-beta': 'a,b',
        'anthropic-version': '2023-06-01',
        'x-claude-code-session-id': 'cs1',
      },
      body,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toContain('hi there');
    await drain();
    const got = seen.at(-1);
    expect(got?.path).toBe('/v1/messages?beta=true');
    expect(got?.headers).toMatchObject({
      authorization: 'Bearer sk-ant-oat01-secret',
      'anthropic-beta': 'a,b',
      'anthropic-version': '2023-06-01',
    });
    expect(got?.body).toBe(body);
    expect(entries.map((e) => e.type)).toEqual([
      'system.prompt',
      'tool.definition',
      'api.request',
      'api.response',
    ]);
    expect(entries[1]?.payload).toMatchObject({
      name: 'Bash',
      inputSchema: { properties: { command: { type: 'string' } } },
    });
    expect(entries[3]?.payload).toMatchObject({
      status: 200,
      content: [{ type: 'text', text: 'hi there' }],
      stopReason: 'end_turn',
      upstreamRequestId: 'req_up',
      claudeSessionId: 'cs1',
    });
    await proxy.stop();
  });

  test('the same tool definition and messages are recorded once across requests', async () => {
    const { proxy, entries, drain } = setup();
    for (let i = 0; i < 3; i++)
      await (await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body })).text();
    await drain();
    expect(entries.filter((e) => e.type === 'tool.definition')).toHaveLength(1);
    const requests = entries
      .filter((e) => e.type === 'api.request')
      .map((e) => (e.payload as { newMessages: unknown[] }).newMessages.length);
    expect(requests).toEqual([1, 0, 0]);
    await proxy.stop();
  });

  test('upstream errors reach the client unchanged', async () => {
    const { proxy, drain } = setup();
    const response = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-fail': '529' },
      body,
    });
    expect(response.status).toBe(529);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    const other = await fetch(`${proxy.url}/v1/other`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe('other /v1/other');
    await drain();
    await proxy.stop();
  });

  test('an unreachable upstream is a 502 in the API error shape, naming the upstream', async () => {
    const entries: string[] = [];
    const proxy = serveProxy(
      createProxyHandler({
        upstream: 'http://127.0.0.1:9',
        recorder: createApiRecorder({
          append: (type) => {
            entries.push(type);
            return {} as JournalEntry;
          },
        }),
        ready: Promise.resolve(),
        track: () => {},
      }),
    );
    const response = await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'http://127.0.0.1:9',
    );
    await proxy.stop();
  });

  test('a session whose hooks never reported in is refused before anything goes upstream', async () => {
    const { proxy, entries, drain } = setup(async () => false);
    const before = seen.length;
    const response = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-claude-code-session-id': 'ghost' },
      body,
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'never reported in',
    );
    await drain();
    expect(seen.length).toBe(before);
    expect(entries.map((e) => e.type)).toEqual(['api.refused']);
    await proxy.stop();
  });
});

describe('recording proxy when the journal cannot write', () => {
  /** A journal whose appends fail while `full` is set, as a full disk does (JournalError DISK_FULL). */
  function fillableJournal() {
    const state = { full: false, deferred: false };
    const entries: { type: string; payload: unknown }[] = [];
    const append = (type: string, payload: unknown): JournalEntry => {
      if (state.full)
        throw new JournalError(
          'DISK_FULL',
          `Cannot write entry seq 9 (${type}) to the journal "/h/journal.jsonl": the disk is full (ENOSPC); free some space`,
          'ENOSPC',
        );
      entries.push({ type, payload });
      return {} as JournalEntry;
    };
    const recorder = createApiRecorder({
      // A large payload is recorded later (journal.ts record()): its failure is a rejection.
      append: (type, payload) =>
        state.deferred ? Promise.resolve().then(() => append(type, payload)) : append(type, payload),
    });
    const pending: Promise<unknown>[] = [];
    const proxy = serveProxy(
      createProxyHandler({
        upstream: `http://127.0.0.1:${upstream.port}`,
        recorder,
        ready: Promise.resolve(),
        track: (work) => pending.push(work.catch(() => {})),
      }),
    );
    return { state, entries, proxy, drain: () => Promise.all(pending) };
  }

  for (const deferred of [false, true])
    test(`a request it cannot record (${deferred ? 'a deferred write' : 'a write'} on a full disk) is refused with a 507 naming the full disk, and nothing goes upstream`, async () => {
      const { state, entries, proxy, drain } = fillableJournal();
      state.full = true;
      state.deferred = deferred;
      const before = seen.length;
      const response = await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body });
      expect(response.status).toBe(507);
      const answer = (await response.json()) as { type: string; error: { type: string; message: string } };
      expect(answer.type).toBe('error');
      expect(answer.error.type).toBe('api_error');
      expect(answer.error.message).toContain('ceros did not send this request to the model');
      expect(answer.error.message).toContain('the disk is full (ENOSPC)');
      expect(seen.length).toBe(before);
      expect(entries).toEqual([]);
      await drain();
      await proxy.stop();
    });

  test('once the journal can write again the next request is recorded in full, then forwarded', async () => {
    const { state, entries, proxy, drain } = fillableJournal();
    state.full = true;
    expect((await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body })).status).toBe(507);
    state.full = false;
    const before = seen.length;
    const response = await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('hi there');
    await drain();
    expect(seen.length).toBe(before + 1);
    // What the refused request had marked as seen is recorded now: the prompt, the tool, the message.
    expect(entries.map((e) => e.type)).toEqual([
      'system.prompt',
      'tool.definition',
      'api.request',
      'api.response',
    ]);
    expect(entries[2]?.payload).toMatchObject({ newMessages: [{ role: 'user' }] });
    await proxy.stop();
  });
});
