import { type RequestSigner, signRequest } from './signed-request.ts';

/**
 * Why a call to the edge failed. `code` is the edge's error code when it answered (DEVICE_REVOKED,
 * CHAIN_GAP, ...), or UNREACHABLE / TIMEOUT / BAD_RESPONSE when it did not answer usefully.
 */
export class EdgeClientError extends Error {
  readonly code: string;
  readonly status: number | null;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, status: number | null, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'EdgeClientError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** Worth retrying later unchanged: the edge was unreachable, busy, or lost a race. */
  get retryable(): boolean {
    if (this.status === null) return true;
    return (
      this.status >= 500 ||
      this.status === 429 ||
      this.code === 'INGEST_CONFLICT' ||
      this.code === 'STALE_REQUEST' ||
      this.code === 'REPLAYED_REQUEST' ||
      this.code === 'DEVICE_PENDING'
    );
  }

  /** The edge refuses this device for good: stop uploading, end sessions. */
  get refusesDevice(): boolean {
    return this.code === 'DEVICE_REVOKED' || this.code === 'USER_REVOKED' || this.code === 'UNKNOWN_DEVICE';
  }
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface EdgeClientOptions {
  baseUrl: string;
  signer?: RequestSigner;
  fetch?: FetchLike;
  now?: () => number;
  /** Per-request timeout; the revocation watcher relies on it to stay within its budget. */
  timeoutMs?: number;
}

export interface EdgeResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or null for an empty body (304). */
  body: unknown;
}

export interface EdgeClient {
  readonly baseUrl: string;
  readonly deviceId: string | undefined;
  /** Sends a request (signed when the client has a signer); throws EdgeClientError unless 2xx/304. */
  request(
    method: string,
    path: string,
    options?: { json?: unknown; headers?: Record<string, string> },
  ): Promise<EdgeResponse>;
}

export function createEdgeClient(options: EdgeClientOptions): EdgeClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    baseUrl,
    deviceId: options.signer?.deviceId,
    async request(method, path, requestOptions = {}) {
      const url = new URL(path, `${baseUrl}/`);
      const body =
        requestOptions.json === undefined
          ? new Uint8Array(0)
          : Buffer.from(JSON.stringify(requestOptions.json));
      const headers: Record<string, string> = { accept: 'application/json', ...requestOptions.headers };
      if (requestOptions.json !== undefined) headers['content-type'] = 'application/json';
      if (options.signer)
        Object.assign(
          headers,
          await signRequest(
            options.signer,
            { method, pathAndQuery: url.pathname + url.search, body },
            { now: now() },
          ),
        );
      let response: Response;
      try {
        response = await doFetch(url.toString(), {
          method,
          headers,
          ...(body.byteLength > 0 ? { body } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError')
          throw new EdgeClientError(
            'TIMEOUT',
            `Cannot reach the edge at "${baseUrl}": no answer in ${timeoutMs} ms`,
            null,
          );
        throw new EdgeClientError(
          'UNREACHABLE',
          `Cannot reach the edge at "${baseUrl}": ${(error as Error).message}`,
          null,
        );
      }
      const text = await response.text();
      let parsed: unknown = null;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          if (response.ok)
            throw new EdgeClientError(
              'BAD_RESPONSE',
              `Cannot read the edge's answer to ${method} ${path}`,
              response.status,
            );
        }
      }
      if (response.ok || response.status === 304)
        return { status: response.status, headers: response.headers, body: parsed };
      const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
      const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
      const message =
        typeof error?.message === 'string'
          ? error.message
          : `The edge answered ${response.status} to ${method} ${path}`;
      throw new EdgeClientError(code, message, response.status, error ?? {});
    },
  };
}
