import { expect, test } from 'bun:test';
import { ApiError, createApi, readAuditExport, toQueryString } from './api.ts';

function fakeFetch(
  answers: Record<string, { status: number; body: unknown; headers?: Record<string, string> }>,
) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init: init ?? {} });
    const path = url.replace(/\?.*$/, '');
    const answer = answers[`${init?.method ?? 'GET'} ${path}`] ?? {
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no' } },
    };
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(text, { status: answer.status, headers: answer.headers ?? {} });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const SESSION = {
  email: 'a@acme.test',
  role: 'admin',
  org: { id: 'o', slug: 'acme', name: 'Acme' },
  csrfToken: 'tok',
  expiresAt: '',
};

test('state changes carry the CSRF token the session handed out; reads do not', async () => {
  const { fetch, calls } = fakeFetch({
    'GET /v1/admin/session': { status: 200, body: SESSION },
    'POST /v1/admin/devices/d1/revoke': { status: 200, body: { id: 'd1', status: 'revoked' } },
  });
  const api = createApi({ fetch });
  await api.session();
  await api.revokeDevice('d1', 'stolen');
  const headers = (i: number) => calls[i]?.init.headers as Record<string, string>;
  expect(headers(0)['x-csrf-token']).toBeUndefined();
  expect(headers(1)['x-csrf-token']).toBe('tok');
  expect(JSON.parse(String(calls[1]?.init.body))).toEqual({ reason: 'stolen' });
});

test("an edge error becomes an ApiError with the edge's code, and UNAUTHENTICATED signs the console out", async () => {
  let signedOut = 0;
  const { fetch } = fakeFetch({
    'GET /v1/admin/dashboard': {
      status: 401,
      body: {
        error: { code: 'UNAUTHENTICATED', message: 'Cannot serve admin requests without a session: sign in' },
      },
    },
  });
  const api = createApi({ fetch, onUnauthenticated: () => signedOut++ });
  const error = await api.dashboard({ from: 'a', to: 'b' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe('UNAUTHENTICATED');
  expect(signedOut).toBe(1);
});

test('exportEntries() returns the stored lines and the cursor header', async () => {
  const { fetch } = fakeFetch({
    'GET /v1/admin/export/entries': {
      status: 200,
      body: '{"seq":0}\n{"seq":1}\n',
      headers: { 'x-ceros-next-after': '1' },
    },
  });
  expect(await createApi({ fetch }).exportEntries('d', { after: -1, limit: 2 })).toEqual({
    lines: ['{"seq":0}', '{"seq":1}'],
    nextAfter: 1,
  });
});

test('a network failure is a NETWORK ApiError', async () => {
  const api = createApi({
    fetch: (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch,
  });
  expect(((await api.policies().catch((e: unknown) => e)) as ApiError).code).toBe('NETWORK');
});

test('toQueryString() drops empty values', () => {
  expect(toQueryString({ user: '', device: 'd1', limit: 50, cursor: undefined })).toBe('?device=d1&limit=50');
  expect(toQueryString({})).toBe('');
});

test('auditExport() keeps the exact bytes the edge served and summarises the real recorded export', async () => {
  const text = await Bun.file(
    new URL('../../tests/fixtures/export/real-session-export.json', import.meta.url),
  ).text();
  const doc = JSON.parse(text) as { entries: unknown[]; devices: unknown[]; certificates: unknown[] };
  const { fetch, calls } = fakeFetch({
    'GET /v1/admin/export': {
      status: 200,
      body: text,
      headers: { 'content-disposition': 'attachment; filename="ceros-audit-2026-11-01-2026-11-02.json"' },
    },
  });
  const file = await createApi({ fetch }).auditExport({
    from: '2026-11-01T00:00:00Z',
    to: '2026-11-02T00:00:00Z',
  });
  expect(calls[0]?.url).toBe('/v1/admin/export?from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z');
  expect(file.text).toBe(text);
  expect(file.fileName).toBe('ceros-audit-2026-11-01-2026-11-02.json');
  expect(file.entries).toBe(doc.entries.length);
  expect(file.devices).toBe(doc.devices.length);
  expect(file.sessions).toBe(doc.certificates.length);
  expect(file.period.toIndex - file.period.fromIndex).toBe(doc.entries.length);
});

test('readAuditExport() refuses what is not an export, and a file name that leaves the folder', () => {
  expect(() => readAuditExport('{"entries":[]}', null)).toThrow(/not an audit export/);
  expect(() => readAuditExport('<html>', null)).toThrow(/not JSON/);
  const end = 'log/acme\n3\nAAAA\n\n\u2014 log/acme sig1\n\u2014 witness/w1 sig2\n';
  const summary = readAuditExport(
    JSON.stringify({
      origin: 'log/acme',
      period: { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z', fromIndex: 1, toIndex: 3 },
      checkpoints: { start: '', end },
      devices: [],
      certificates: [],
      entries: [{}, {}],
    }),
    'attachment; filename="../../etc/passwd"',
  );
  expect(summary.fileName).toBe('ceros-audit-2026-11-01-2026-11-02.json');
  expect(summary.cosignatures).toBe(1);
});
