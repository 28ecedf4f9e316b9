/**
 * A scripted stand-in for the Anthropic Messages API, for running the real Claude Code offline.
 *
 * It speaks the wire protocol Claude Code 2.1.197 expects on ANTHROPIC_BASE_URL: `HEAD /`,
 * `POST /v1/messages?beta=true` (SSE when `stream:true`, a JSON message otherwise) and
 * `POST /v1/messages/count_tokens`. Each *main-loop* request gets the next scripted turn; side
 * requests (session titles and other tool-less calls) get a harmless reply (JSON shaped by their
 * `output_config.format` schema, else text) and never consume a turn. Every request is recorded so
 * tests can assert on what Claude Code sent back.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A text block in a scripted assistant turn. */
export interface ScriptText {
  type: 'text';
  text: string;
}

/** A tool call in a scripted assistant turn; the id is generated when omitted. */
export interface ScriptToolUse {
  type: 'tool_use';
  name: string;
  input: Record<string, unknown>;
  id?: string;
}

export type ScriptBlock = ScriptText | ScriptToolUse;

/** An HTTP error to answer with instead of a message, in the Messages API error shape. */
export interface ScriptError {
  status: number;
  /** Defaults from the status: 529 `overloaded_error`, 401 `authentication_error`, ... */
  type?: string;
  message?: string;
  /** Extra response headers, e.g. `{ 'x-should-retry': 'false' }` or `{ 'retry-after': '0' }`. */
  headers?: Record<string, string>;
}

/** Timing knobs; per turn they override the server-wide defaults. */
export interface ScriptTiming {
  /** Wait this long before sending the response status and headers. */
  delayMs?: number;
  /** Send headers at once, then wait this long before the first body byte (SSE only). */
  firstByteDelayMs?: number;
  /** Wait this long between SSE events. */
  chunkDelayMs?: number;
}

/** The assistant reply to one main-loop request. */
export interface Turn extends ScriptTiming {
  blocks: ScriptBlock[];
  /** Defaults to `tool_use` when the turn has a tool call, `end_turn` otherwise. */
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  /** Answer with this HTTP error instead of a message (the turn is still consumed). */
  error?: ScriptError;
}

/** What a script function returns: a turn, or `undefined` to fall back to the final "done". */
export type ScriptFn = (request: RecordedRequest, turnIndex: number) => Turn | undefined;

/**
 * How the server classified a request:
 * `turn` - a main-loop or subagent request that consumed (or would consume) a scripted turn;
 * `side` - a tool-less helper request (session title, ...) answered with a fixed text;
 * `count_tokens`, `probe` (`HEAD /`), `rejected` (a credential other than `apiKey`, answered 401),
 * `other` (anything else, answered 404).
 */
export type RequestKind = 'turn' | 'side' | 'count_tokens' | 'probe' | 'rejected' | 'other';

export interface RecordedRequest {
  /** 0-based arrival order. */
  seq: number;
  method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** The raw query string without `?`, e.g. `beta=true`. */
  query: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body, or `undefined` when there was none or it was not JSON. */
  body: MessagesRequestBody | undefined;
  kind: RequestKind;
  /** The index of the scripted turn that answered it (kind `turn` only). */
  turnIndex?: number;
  receivedAt: number;
}

/** The parts of a Messages API request body the harness looks at; the rest is kept as-is. */
export interface MessagesRequestBody {
  model?: string;
  stream?: boolean;
  system?: string | Array<{ type: string; text?: string }>;
  tools?: Array<{ name: string; description?: string; input_schema?: unknown }>;
  messages?: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
  [key: string]: unknown;
}

/** A tool call the server sent, in order. */
export interface SentToolUse {
  id: string;
  name: string;
  input: Record<string, unknown>;
  turnIndex: number;
}

/** The `tool_result` Claude Code returned for a tool call. */
export interface ToolResult {
  /** Text content, text blocks joined with newlines. */
  content: string;
  isError: boolean;
  /** The block as received. */
  raw: Record<string, unknown>;
}

export interface ScriptedApiOptions extends ScriptTiming {
  /** Answer every turn request with this error (the script is then ignored). */
  error?: ScriptError;
  /** The text of the reply once the script is exhausted. Default `done`. */
  finalText?: string;
  /** The text of side-request replies. Default `Scripted session`. */
  sideText?: string;
  /** Number of pieces a tool's `input` JSON is split into across `input_json_delta` events. Default 3. */
  jsonChunks?: number;
  /** Override the request classification (see {@link classifyRequest}). */
  classify?: (body: MessagesRequestBody, path: string) => 'turn' | 'side';
  /**
   * Accept only this key (`x-api-key`, or `authorization: Bearer`), as the real API does: any
   * other credential gets a 401 `authentication_error` and the request is recorded as `rejected`.
   * Default: every credential is accepted.
   */
  apiKey?: string;
}

export interface ScriptedApi {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Every tool call sent, in order. */
  toolUses: SentToolUse[];
  /** Requests that consumed a turn (main loop and subagents). */
  turnRequests(): RecordedRequest[];
  /** The `tool_result` Claude Code sent back for `toolUseId`, or `undefined` if none arrived yet. */
  toolResultFor(toolUseId: string): ToolResult | undefined;
  /** Number of scripted turns consumed so far. */
  turnsUsed(): number;
  close(): Promise<void>;
}

/** Builds a text block. */
export function textBlock(text: string): ScriptText {
  return { type: 'text', text };
}

/** Builds a tool call block, e.g. `toolUseBlock('Bash', { command: 'ls -la' })`. */
export function toolUseBlock(name: string, input: Record<string, unknown>, id?: string): ScriptToolUse {
  return id === undefined ? { type: 'tool_use', name, input } : { type: 'tool_use', name, input, id };
}

/** Builds a turn from blocks; a string becomes a text block. */
export function turn(...blocks: Array<ScriptBlock | string>): Turn {
  return { blocks: blocks.map((b) => (typeof b === 'string' ? textBlock(b) : b)) };
}

/**
 * A script that loads deferred tools first, as a model does. Claude Code 2.1.337 defers MCP tools
 * and some built-ins (WebFetch, WebSearch...) behind ToolSearch: a request names them only once a
 * ToolSearch call loaded them. When the next turn calls a tool the request does not offer and the
 * request offers ToolSearch, this answers with `ToolSearch {query: "select:<names>"}` first and the
 * scripted turn after. Versions without ToolSearch (2.1.197) get the turns unchanged.
 */
export function loadingDeferredTools(
  turns: readonly (Turn | ((request: RecordedRequest) => Turn))[],
): ScriptFn {
  let next = 0;
  return (request) => {
    const entry = turns[next];
    if (entry === undefined) return undefined;
    const scripted = typeof entry === 'function' ? entry(request) : entry;
    const offered = new Set((request.body?.tools ?? []).map((tool) => tool.name));
    const missing = [
      ...new Set(
        scripted.blocks
          .filter((block): block is ScriptToolUse => block.type === 'tool_use')
          .map((block) => block.name)
          .filter((name) => !offered.has(name)),
      ),
    ];
    if (missing.length > 0 && offered.has('ToolSearch'))
      return turn(
        toolUseBlock('ToolSearch', { query: `select:${missing.join(',')}`, max_results: missing.length }),
      );
    next++;
    return scripted;
  };
}

/** Builds a turn answered with an HTTP error, e.g. `errorTurn(529)`. */
export function errorTurn(status: number, error: Omit<ScriptError, 'status'> = {}): Turn {
  return { blocks: [], error: { status, ...error } };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/**
 * Tells a main-loop (or subagent) request from a side request. Claude Code 2.1.197 sends its
 * helper calls (session-title generation, ...) with no `tools`; every agent loop request carries
 * the tool list. See tests/src/harness/README.md for the experiment behind this rule.
 */
export function classifyRequest(body: MessagesRequestBody): 'turn' | 'side' {
  return Array.isArray(body.tools) && body.tools.length > 0 ? 'turn' : 'side';
}

/**
 * Starts a scripted Messages API on 127.0.0.1 (random port).
 *
 * `script` is either a list of turns, consumed one per main-loop request, or a function called for
 * each main-loop request. After the script, every turn request gets a final text (`done`).
 *
 * Built on `node:http` rather than `Bun.serve`: Bun.serve holds the status line and headers back
 * until the first body byte, which would make `firstByteDelayMs` indistinguishable from `delayMs`.
 */
export function startScriptedApi(script: Turn[] | ScriptFn, opts: ScriptedApiOptions = {}): ScriptedApi {
  const requests: RecordedRequest[] = [];
  const toolUses: SentToolUse[] = [];
  let turnsUsed = 0;
  let msgCounter = 0;
  const finalText = opts.finalText ?? 'done';
  const sideText = opts.sideText ?? 'Scripted session';
  const classify = opts.classify ?? classifyRequest;

  const nextTurn = (request: RecordedRequest): Turn => {
    const index = turnsUsed++;
    request.turnIndex = index;
    if (opts.error) return { blocks: [], error: opts.error };
    const scripted = typeof script === 'function' ? script(request, index) : script[index];
    const chosen = scripted ?? turn(finalText);
    const blocks = chosen.blocks.map((block, b): ScriptBlock => {
      if (block.type !== 'tool_use') return block;
      const id = block.id ?? `toolu_01${String(index).padStart(2, '0')}${String(b).padStart(2, '0')}scripted`;
      toolUses.push({ id, name: block.name, input: block.input, turnIndex: index });
      return { ...block, id };
    });
    return { ...chosen, blocks };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const text = await readBody(req);
    let body: MessagesRequestBody | undefined;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as MessagesRequestBody);
    } catch {
      body = undefined;
    }
    const record: RecordedRequest = {
      seq: requests.length,
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      headers,
      body,
      kind: 'other',
      receivedAt: Date.now(),
    };
    requests.push(record);
    const requestId = `req_scripted_${String(record.seq).padStart(4, '0')}`;

    if (url.pathname === '/' && (method === 'HEAD' || method === 'GET')) {
      record.kind = 'probe';
      res.writeHead(200, { 'content-type': 'text/plain', 'request-id': requestId });
      res.end(method === 'HEAD' ? undefined : 'ok');
      return;
    }
    if (opts.apiKey !== undefined) {
      const bearer = headers.authorization?.replace(/^Bearer /, '');
      if (headers['x-api-key'] !== opts.apiKey && bearer !== opts.apiKey) {
        record.kind = 'rejected';
        const error = { type: 'authentication_error', message: 'invalid x-api-key' };
        sendJson(res, 401, { type: 'error', error, request_id: requestId }, { 'request-id': requestId });
        return;
      }
    }
    if (method === 'POST' && url.pathname === '/v1/messages/count_tokens') {
      record.kind = 'count_tokens';
      sendJson(res, 200, { input_tokens: estimateTokens(text) }, { 'request-id': requestId });
      return;
    }
    if (method !== 'POST' || url.pathname !== '/v1/messages' || body === undefined) {
      const error = { type: 'not_found_error', message: `Not found: ${method} ${url.pathname}` };
      sendJson(res, 404, { type: 'error', error, request_id: requestId }, { 'request-id': requestId });
      return;
    }

    const kind = classify(body, url.pathname);
    record.kind = kind;
    const reply = kind === 'turn' ? nextTurn(record) : sideReply(body, sideText);
    const timing: Required<ScriptTiming> = {
      delayMs: reply.delayMs ?? opts.delayMs ?? 0,
      firstByteDelayMs: reply.firstByteDelayMs ?? opts.firstByteDelayMs ?? 0,
      chunkDelayMs: reply.chunkDelayMs ?? opts.chunkDelayMs ?? 0,
    };
    if (timing.delayMs > 0) await sleep(timing.delayMs);

    if (reply.error) {
      const type = reply.error.type ?? ERROR_TYPES[reply.error.status] ?? 'api_error';
      const error = { type, message: reply.error.message ?? `Scripted ${type}` };
      sendJson(
        res,
        reply.error.status,
        { type: 'error', error, request_id: requestId },
        { 'request-id': requestId, ...reply.error.headers },
      );
      return;
    }

    const message = buildMessage(reply, body, text, `msg_01scripted${String(msgCounter++).padStart(6, '0')}`);
    if (body.stream !== true) {
      sendJson(res, 200, message, { 'request-id': requestId });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId,
      'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
    });
    res.flushHeaders();
    if (timing.firstByteDelayMs > 0) await sleep(timing.firstByteDelayMs);
    for (const [i, e] of sseEvents(message, opts.jsonChunks ?? 3).entries()) {
      if (i > 0 && timing.chunkDelayMs > 0) await sleep(timing.chunkDelayMs);
      // The client may hang up mid-stream (Ctrl-C, a proxy test cutting the stream): stop quietly.
      if (res.destroyed) return;
      res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
    }
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  // Listening on an IP literal binds synchronously (Node and Bun alike), so the port is known at
  // once and this function can stay synchronous.
  server.listen(0, '127.0.0.1');
  const address = server.address();
  if (typeof address !== 'object' || address === null) {
    server.close();
    throw new Error('Cannot start the scripted API: 127.0.0.1 did not bind synchronously');
  }
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    toolUses,
    turnRequests: () => requests.filter((r) => r.kind === 'turn'),
    toolResultFor: (toolUseId) => findToolResult(requests, toolUseId),
    turnsUsed: () => turnsUsed,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string>,
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/**
 * The reply to a side request. Session-title requests (and `prompt` hooks) ask for structured
 * output through `output_config.format` (`json_schema`); they get a minimal JSON value that fits
 * the schema (`{"title":"Scripted session"}`, `{"ok":true,"reason":"..."}`), everything else text.
 */
function sideReply(body: MessagesRequestBody, sideText: string): Turn {
  const format = asObject(asObject(body.output_config)?.format);
  if (format?.type === 'json_schema' && format.schema !== undefined) {
    return turn(JSON.stringify(sampleFromSchema(format.schema, sideText)));
  }
  return turn(sideText);
}

/** A minimal value matching a JSON schema: first enum value, `true`, `0`, `[]`, `text` for strings. */
export function sampleFromSchema(schema: unknown, text: string): unknown {
  const s = asObject(schema);
  if (s === undefined) return null;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ('const' in s) return s.const;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(asObject(s.properties) ?? {}))
        out[key] = sampleFromSchema(sub, text);
      return out;
    }
    case 'array':
      return [];
    case 'string':
      return text;
    case 'boolean':
      return true;
    case 'number':
    case 'integer':
      return 0;
    default:
      return null;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

interface ApiMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<Record<string, unknown>>;
  stop_reason: string;
  stop_sequence: null;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens: number;
    cache_read_input_tokens: number;
  };
}

function buildMessage(reply: Turn, body: MessagesRequestBody, rawBody: string, id: string): ApiMessage {
  const content = reply.blocks.map(
    (block): Record<string, unknown> =>
      block.type === 'text'
        ? { type: 'text', text: block.text }
        : { type: 'tool_use', id: block.id, name: block.name, input: block.input },
  );
  const hasTool = reply.blocks.some((b) => b.type === 'tool_use');
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: body.model ?? 'claude-sonnet-4-5',
    content,
    stop_reason: reply.stopReason ?? (hasTool ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      input_tokens: estimateTokens(rawBody),
      output_tokens: Math.max(1, estimateTokens(JSON.stringify(content))),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

/** A rough count (4 bytes a token) that keeps usage numbers plausible and deterministic. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** One server-sent event: the `event:` name and the parsed `data:` JSON. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Parses an SSE body (`event:` / `data:` lines, blank-line separated) into events; for tests of the
 * scripted API itself and of anything that relays its stream.
 */
export function parseSse(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const chunk of body.split(/\r?\n\r?\n/)) {
    let event = 'message';
    const data: string[] = [];
    for (const line of chunk.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
  }
  return events;
}

/** The event sequence of the real streaming API (docs: "Streaming Messages"), ping included. */
function sseEvents(message: ApiMessage, jsonChunks: number): SseEvent[] {
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          ...message,
          content: [],
          stop_reason: null,
          usage: { ...message.usage, output_tokens: 1 },
        },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
  ];
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      });
      for (const piece of splitInto(String(block.text), 2)) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } },
        });
      }
    } else {
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        },
      });
      // The real API opens with an empty partial_json, then streams the input in fragments.
      for (const piece of ['', ...splitInto(JSON.stringify(block.input), jsonChunks)]) {
        events.push({
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          },
        });
      }
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: message.stop_reason, stop_sequence: null },
        usage: { output_tokens: message.usage.output_tokens },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return events;
}

function splitInto(text: string, parts: number): string[] {
  if (text.length === 0) return [];
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, parts)));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function findToolResult(requests: RecordedRequest[], toolUseId: string): ToolResult | undefined {
  // Later requests repeat the whole conversation; the first occurrence is the one Claude sent.
  for (const request of requests) {
    for (const message of request.body?.messages ?? []) {
      if (message.role !== 'user' || typeof message.content === 'string') continue;
      for (const block of message.content) {
        if (block.type !== 'tool_result' || block.tool_use_id !== toolUseId) continue;
        return { content: flattenContent(block.content), isError: block.is_error === true, raw: block };
      }
    }
  }
  return undefined;
}

function flattenContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string'
        ? part.text
        : '',
    )
    .filter((t) => t !== '')
    .join('\n');
}
