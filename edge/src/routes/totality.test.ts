/**
 * Every route is total: whatever the path, query, body, method, headers and credentials, the edge
 * answers with a 2xx-4xx and a clear error, never a 500. A property test over the app's own route
 * table (so a new route is covered the day it is added), against a real libSQL store holding an
 * enrolled device's recorded session, a policy, a managed MCP server and a transparency log.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { hashToken, randomToken } from '../auth/secrets.ts';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import { writeSampleSession } from '../testing/sample-session.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  json,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

const ORIGIN = 'http://edge.test';
const RUNS = Number(process.env.CEROS_TOTALITY_RUNS ?? 3000);

let edge: TestEdge;
let device: FakeDevice;
let orgId: string;
const adminIds: Record<'admin' | 'auditor', string> = { admin: '', auditor: '' };
const known: string[] = [];
const existing: Record<string, string[]> = {};
const internalErrors: string[] = [];

beforeAll(async () => {
  edge = await createTestEdge({
    tlog: true,
    settings: { devOutbox: true },
    log: (line) => internalErrors.push(line),
  });
  const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  orgId = org.id;
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'eve@acme.test', role: 'auditor' });
  for (const admin of await edge.store.listAdmins(org.id)) adminIds[admin.role] = admin.id;
  device = createFakeDevice({ now: edge.clock.now });
  await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
  const entries = await writeSampleSession(device, 's1', { at: edge.clock.now() - 60_000 });
  expect((await ingest(edge, device, entries)).status).toBe(200);
  const admin = await signInAdmin(edge, 'boss@acme.test');
  const policy = await edge.request(
    '/v1/admin/policies',
    json({ name: 'base', source: 'version: 1\nrules: []\n' }, admin.write),
  );
  const managed = await edge.request(
    '/v1/admin/managed-mcp',
    json({ name: 'docs', transport: 'http', url: 'https://mcp.acme.test/' }, admin.write),
  );
  const tools = (await (
    await edge.request('/v1/admin/tool-definitions', { headers: admin.read })
  ).json()) as { items: { hash: string; name: string; mcpServer: string | null }[] };
  const policyId = ((await policy.json()) as { id: string }).id;
  const managedId = ((await managed.json()) as { id: string }).id;
  const hashes = tools.items.map((t) => t.hash);
  const servers = tools.items.flatMap((t) => (t.mcpServer ? [t.mcpServer] : []));
  known.push(device.id, 's1', org.slug, 'linux-x64', policyId, managedId, ...hashes, ...servers);
  // What each path parameter names in this edge, so random requests also reach the found paths.
  Object.assign(existing, {
    id: [device.id, policyId, managedId],
    device: [device.id],
    session: ['s1'],
    hash: hashes,
    name: servers,
    target: ['linux-x64'],
  });
});

/** Strings that have broken parsers before: huge numbers, NUL, bad escapes, FTS5 syntax, non-BMP. */
const NASTY = [
  '',
  ' ',
  '0',
  '-1',
  '1e400',
  'NaN',
  'Infinity',
  '9'.repeat(40),
  '1'.repeat(17),
  '8640000000000001',
  '\u0000abc',
  'abc\u0000',
  '\u0000',
  '%00',
  '"',
  "'",
  '\\',
  'a"b"c',
  '*',
  'NEAR(a b)',
  'a OR b',
  '{}',
  '[]',
  'null',
  'true',
  '2026-13-45',
  '1970-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00.000Z',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '\ud800',
  '🦀'.repeat(40),
  'a'.repeat(5000),
  'ZZZZ-ZZZZ',
  'acme',
] as const;

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  // Cursor-shaped: base64url JSON of anything.
  {
    weight: 1,
    arbitrary: fc
      .jsonValue({ maxDepth: 2 })
      .map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...['dev@acme.test', 'boss@acme.test']).chain((v) => fc.constant(v)),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 20 }).map((i) => known[i % Math.max(known.length, 1)] ?? 'x'),
  },
);

/** A path segment: encoded text, or raw bytes that are not valid percent-encoding. */
const segment = fc.oneof(
  { weight: 4, arbitrary: text.map((t) => encodeURIComponent(t.replace(/[\ud800-\udfff]/g, 'x'))) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '%ff%fe', '%E0%A4%A', '..', '.', '') },
);

const QUERY_NAMES = [
  'from',
  'to',
  'cursor',
  'limit',
  'q',
  'tool',
  'decision',
  'user',
  'device',
  'session',
  'status',
  'name',
  'server',
  'identity',
  'after',
  'seq',
  'code',
  'org',
  'days',
  'target',
  'unknown',
] as const;
const FIELDS = [
  'email',
  'code',
  'org',
  'source',
  'name',
  'version',
  'days',
  'entries',
  'enrollmentId',
  'pollToken',
  'publicKey',
  'keyProtection',
  'deviceId',
  'device',
  'timestamp',
  'signature',
  'allowedDomains',
  'requireApproval',
  'reason',
  'role',
  'transport',
  'command',
  'args',
  'env',
  'url',
  'headers',
  'claudeSessionId',
  'cwd',
  'details',
  'csrf',
  'otp',
] as const;
const value = fc.oneof(
  text,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(text, { maxLength: 3 }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, 1e308, true, false, null),
);
const fields = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 });
const body = fc.oneof(
  fc.constant(undefined),
  fields.map((f) => JSON.stringify(f)),
  fields.map((f) => new URLSearchParams(Object.entries(f).map(([k, v]) => [k, String(v)])).toString()),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 200 }),
  fc.constant(`{"entries":[${'{'.repeat(50)}`),
);
/** Header values must be printable ASCII for the Fetch Headers class; other text is percent-encoded. */
const headerText = text.map((t) =>
  /^[\x20-\x7e]*$/.test(t) ? t : encodeURIComponent(t.replace(/[\ud800-\udfff]/g, 'x')),
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
    ),
  },
  { weight: 1, arbitrary: headerText },
);
const extraHeaders = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        origin: fc.oneof(fc.constantFrom(ORIGIN, 'null', 'https://evil.test'), headerText),
        'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'none'),
        'if-none-match': headerText,
        accept: fc.constantFrom('application/json', 'text/plain', '*/*'),
        'accept-encoding': fc.constantFrom('gzip', 'identity'),
        'x-forwarded-for': headerText,
      },
      { requiredKeys: [] },
    ),
  },
);

type Auth = 'none' | 'admin' | 'auditor' | 'device' | 'garbage';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

interface Route {
  method: string;
  path: string;
  /** The credentials the route takes. */
  auth: Auth;
  /** The query parameters and JSON body fields it accepts (learned from its own validation). */
  query: readonly string[];
  fields: readonly string[];
}

/** A fresh admin session each time: a request in the run may sign out or be refused for CSRF. */
async function adminHeaders(role: 'admin' | 'auditor'): Promise<Record<string, string>> {
  const token = randomToken();
  const csrfToken = randomToken();
  await edge.store.createAdminSession(
    hashToken(token),
    {
      orgId,
      adminId: adminIds[role],
      email: role === 'admin' ? 'boss@acme.test' : 'eve@acme.test',
      role,
      csrfToken,
      expiresMs: edge.clock.now() + 3600_000,
    },
    edge.clock.now(),
  );
  return { cookie: `ceros_admin=${token}`, 'x-csrf-token': csrfToken, origin: ORIGIN };
}

interface Attempt {
  method: string;
  /** Path and query, already encoded. */
  target: string;
  auth: Auth;
  body?: string | undefined;
  contentType?: string | undefined;
  headers?: Record<string, string>;
  ip?: string;
}

/** Sends one request; throws (with the request, the answer and the logged stack) on a 5xx. */
async function send(a: Attempt): Promise<{ status: number; text: string }> {
  const payload = a.method === 'GET' || a.method === 'HEAD' ? undefined : a.body;
  const headers: Record<string, string> = { ...a.headers };
  if (a.contentType !== undefined) headers['content-type'] = a.contentType;
  if (a.auth === 'admin' || a.auth === 'auditor') Object.assign(headers, await adminHeaders(a.auth));
  if (a.auth === 'device') Object.assign(headers, device.headers(a.method, a.target, payload ?? ''));
  if (a.auth === 'garbage')
    Object.assign(headers, {
      cookie: 'ceros_admin=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; ceros_enroll_csrf=%zz',
      'x-csrf-token': 'x',
      'x-ceros-device': device.id,
      'x-ceros-key': 'device',
      'x-ceros-timestamp': String(edge.clock.now()),
      'x-ceros-nonce': 'AAAAAAAAAAAAAAAAAAAA',
      'x-ceros-signature': 'AAAA',
      'x-ceros-certificate': 'e30',
    });
  const before = internalErrors.length;
  const res = await edge.app.request(
    `${ORIGIN}${a.target}`,
    { method: a.method, headers, ...(payload === undefined ? {} : { body: payload }) },
    { ip: a.ip ?? '192.0.2.1' },
  );
  const text = await res.text();
  if (res.status >= 500 || internalErrors.length > before)
    throw new Error(
      `${a.method} ${a.target} (${a.auth}${payload === undefined ? '' : `, body ${JSON.stringify(payload.slice(0, 200))}`}) answered ${res.status}: ${text.slice(0, 300)}\n${internalErrors.at(-1) ?? ''}`,
    );
  return { status: res.status, text };
}

/** The names a strict schema refused: `Unrecognized keys: "a", "b"` in the error message. */
function unrecognized(text: string): Set<string> {
  let message = text;
  try {
    message = (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    // not a JSON error: no schema spoke
  }
  const list = /Unrecognized keys?: ((?:"[^"]*"(?:, )?)+)/.exec(message)?.[1] ?? '';
  return new Set([...list.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? ''));
}

const fill = (path: string, value: string) => path.replace(/:[A-Za-z]+/g, () => encodeURIComponent(value));

/** The app's route table, each route with its credentials and the names its schemas accept. */
async function routeTable(): Promise<Route[]> {
  const seen = new Map<string, Route>();
  for (const r of edge.app.routes) {
    if (r.path.includes('*') || seen.has(`${r.method} ${r.path}`)) continue;
    const auth: Auth = r.path.startsWith('/v1/admin/login')
      ? 'none'
      : r.path.startsWith('/v1/admin')
        ? 'admin'
        : r.path.startsWith('/v1/agent')
          ? 'device'
          : 'none';
    const path = fill(r.path, known[0] ?? 'x');
    // Every candidate at once, with a harmless value: the schema names the ones it does not take.
    const probe = await send({
      method: r.method,
      target: `${path}?${QUERY_NAMES.map((n) => `${n}=1`).join('&')}`,
      auth,
    });
    // A route without a strict schema reads what it wants by name (or nothing): the random
    // requests below cover it with every candidate.
    const refusedQuery = unrecognized(probe.text);
    const query = QUERY_NAMES.filter((n) => refusedQuery.size > 0 && !refusedQuery.has(n));
    let fields: string[] = [];
    if (r.method !== 'GET') {
      const body = await send({
        method: r.method,
        target: path,
        auth,
        contentType: 'application/json',
        body: JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, 1]))),
      });
      const refused = unrecognized(body.text);
      fields = FIELDS.filter((f) => refused.size > 0 && !refused.has(f));
    }
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path, auth, query, fields });
  }
  return [...seen.values()];
}

/** JSON values for a body field, beyond the strings. */
const JSON_VALUES: readonly unknown[] = [
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  -1e308,
  true,
  null,
  [],
  {},
  [''],
  [1],
  ['\u0000'],
  { a: 1 },
  'x'.repeat(300_000),
];

describe('every route is total', () => {
  let routes: Route[];
  beforeAll(async () => {
    routes = await routeTable();
  });

  test('the route table is the whole app, each route with its credentials and accepted names', () => {
    expect(routes.length).toBeGreaterThan(60);
    const dashboard = routes.find((r) => r.path === '/v1/admin/dashboard');
    expect(dashboard?.query).toEqual(['from', 'to']);
    const org = routes.find((r) => r.path === '/v1/admin/org' && r.method === 'PATCH');
    expect(org?.fields).toEqual(['allowedDomains', 'requireApproval']);
  });

  /** Sends every attempt, collecting the 5xx answers (one line each) instead of stopping at the first. */
  async function sweep(attempts: Iterable<Attempt>): Promise<string[]> {
    const failures: string[] = [];
    for (const attempt of attempts)
      await send(attempt).catch((error: Error) => failures.push(error.message.split('\n')[0] ?? ''));
    return failures;
  }

  test('every accepted query parameter of every route, given each hostile value, answers below 500', async () => {
    function* attempts(): Generator<Attempt> {
      for (const route of routes)
        for (const name of route.query)
          for (const value of NASTY)
            yield {
              method: route.method,
              target: `${fill(route.path, known[0] ?? 'x')}?${name}=${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, 'x'))}`,
              auth: route.auth,
            };
    }
    expect(await sweep(attempts())).toEqual([]);
  }, 120_000);

  test('every accepted JSON field of every route, given each hostile value, answers below 500', async () => {
    function* attempts(): Generator<Attempt> {
      for (const route of routes)
        for (const field of route.fields)
          for (const value of [...NASTY, ...JSON_VALUES])
            yield {
              method: route.method,
              target: fill(route.path, known[0] ?? 'x'),
              auth: route.auth,
              contentType: 'application/json',
              body: JSON.stringify({ [field]: value }),
            };
    }
    expect(await sweep(attempts())).toEqual([]);
  }, 120_000);

  test('random requests to every route of the table answer below 500', async () => {
    const answered = new Set<string>();
    const request = fc.constantFrom(...routes).chain((route) =>
      fc.record({
        route: fc.constant(route),
        params: fc.tuple(
          ...[...route.path.matchAll(/:([A-Za-z]+)/g), [], [], []].slice(0, 3).map((m) =>
            fc.oneof(
              { weight: 1, arbitrary: segment },
              {
                weight: 2,
                arbitrary: fc.constantFrom(...(existing[m[1] ?? ''] ?? []), 'x').map(encodeURIComponent),
              },
            ),
          ),
        ),
        tail: fc.constantFrom('', '', '', '/', '//x', '/..'),
        method: fc.oneof(
          { weight: 4, arbitrary: fc.constant(route.method) },
          { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
        ),
        query: fc.array(
          fc.tuple(
            fc.constantFrom(...(route.query.length > 0 ? route.query : QUERY_NAMES)),
            fc.oneof(text, segment),
          ),
          { maxLength: 4 },
        ),
        rawQuery: fc.boolean(),
        body: fc.oneof(
          {
            weight: 3,
            arbitrary: fc
              .dictionary(fc.constantFrom(...(route.fields.length > 0 ? route.fields : FIELDS)), value, {
                maxKeys: 5,
              })
              .map((f) => JSON.stringify(f)),
          },
          { weight: 1, arbitrary: body },
        ),
        contentType,
        auth: fc.oneof(
          { weight: 4, arbitrary: fc.constant(route.auth) },
          { weight: 1, arbitrary: fc.constantFrom<Auth>('none', 'admin', 'auditor', 'device', 'garbage') },
        ),
        extra: extraHeaders,
        ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('127.0.0.1', '::1')),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0;
        const path = r.route.path.replace(/:[A-Za-z]+/g, () => r.params[i++] ?? 'x') + r.tail;
        const search = r.rawQuery
          ? r.query.map(([k, v]) => `${k}=${v.replace(/[\ud800-\udfff]/g, 'x')}`).join('&')
          : new URLSearchParams(r.query.map(([k, v]) => [k, v.replace(/[\ud800-\udfff]/g, 'x')])).toString();
        const { status } = await send({
          method: r.method,
          target: search ? `${path}?${search}` : path,
          auth: r.auth,
          body: r.body,
          contentType: r.contentType,
          headers: r.extra,
          ip: r.ip,
        });
        if (status < 400) answered.add(`${r.route.method} ${r.route.path}`);
      }),
      {
        numRuns: RUNS,
        ...(process.env.CEROS_TOTALITY_SEED ? { seed: Number(process.env.CEROS_TOTALITY_SEED) } : {}),
      },
    );
    // The runs got past validation and credentials into most handlers, or they proved little
    // (46-50 of 73 routes across seeds).
    expect(answered.size).toBeGreaterThan(routes.length * 0.5);
  }, 600_000);
});
