import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { EdgeSettings } from '../deps.ts';
import { createFakeDevice } from '../testing/fake-device.ts';
import { type ServedApp, serveForTest } from '../testing/serve.ts';
import { createOrgWithAdmin, createTestEdge, json, lastCode, type TestEdge } from '../testing/test-edge.ts';

const ADMIN = 'boss@acme.test';

async function edgeWithCode(settings: Partial<EdgeSettings>): Promise<{ edge: TestEdge; code: string }> {
  const edge = await createTestEdge({ settings });
  await createOrgWithAdmin(edge, { org: 'Acme', admin: ADMIN });
  await edge.request('/v1/admin/login/start', json({ email: ADMIN }));
  return { edge, code: lastCode(edge.outbox, ADMIN) };
}

/** GET /dev/outbox as a client at `ip` reaching the edge as `host`, with `headers`. */
const outbox = (edge: TestEdge, ip: string, headers: Record<string, string> = {}, host = '127.0.0.1:8787') =>
  edge.app.request(`http://${host}/dev/outbox`, { headers }, { ip });

describe('development outbox', () => {
  test('is off unless asked for, even for a browser on the same machine', async () => {
    const { edge } = await edgeWithCode({});
    const res = await outbox(edge, '127.0.0.1');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'Cannot find GET /dev/outbox',
    );
  });

  test('with devOutbox it shows the codes to a direct loopback peer addressed as localhost', async () => {
    const { edge, code } = await edgeWithCode({ devOutbox: true });
    for (const [ip, host] of [
      ['127.0.0.1', '127.0.0.1:8787'],
      ['::1', 'localhost:8787'],
      ['::ffff:127.0.0.1', '[::1]:8787'],
    ] as const) {
      const res = await outbox(edge, ip, {}, host);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(code);
    }
  });

  test.each([
    ['a remote peer', '203.0.113.9', {}, '127.0.0.1:8787'],
    [
      'X-Forwarded-For from a proxy on this machine',
      '127.0.0.1',
      { 'x-forwarded-for': '203.0.113.9' },
      undefined,
    ],
    ['X-Forwarded-Host', '127.0.0.1', { 'x-forwarded-host': 'edge.acme.test' }, undefined],
    ['X-Forwarded-Proto', '127.0.0.1', { 'x-forwarded-proto': 'https' }, undefined],
    ['Forwarded', '127.0.0.1', { forwarded: 'for=203.0.113.9' }, undefined],
    ['Via', '127.0.0.1', { via: '1.1 proxy' }, undefined],
    ['X-Real-IP', '127.0.0.1', { 'x-real-ip': '203.0.113.9' }, undefined],
    ['a DNS name (rebinding, or a port forwarder)', '127.0.0.1', {}, 'evil.example:8787'],
  ] as const)('refuses %s', async (_what, ip, headers, host) => {
    const { edge, code } = await edgeWithCode({ devOutbox: true });
    const res = await outbox(edge, ip, headers, host);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(code);
  });

  test('is off when the edge is told it stands behind a proxy', async () => {
    const { edge } = await edgeWithCode({ devOutbox: true, trustProxy: 1 });
    expect((await outbox(edge, '127.0.0.1')).status).toBe(404);
  });

  test('the code page links the outbox only when it is on', async () => {
    for (const devOutbox of [false, true]) {
      const edge = await createTestEdge({ settings: { devOutbox } });
      await createOrgWithAdmin(edge, { org: 'Acme', admin: ADMIN });
      const device = createFakeDevice({ now: edge.clock.now });
      const start = await edge.request(
        '/v1/enroll/start',
        json(device.enrollStartBody('acme', edge.clock.now())),
      );
      const { userCode } = (await start.json()) as { userCode: string };
      const page = await edge.request(`/enroll?code=${userCode}`);
      const csrf = /ceros_enroll_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
      const emailed = await edge.request('/enroll/email', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ceros_enroll_csrf=${csrf}` },
        body: new URLSearchParams({ csrf, code: userCode, email: 'dev@acme.test' }).toString(),
      });
      expect(emailed.status).toBe(200);
      expect((await emailed.text()).includes('/dev/outbox')).toBe(devOutbox);
    }
  });
});

describe('development outbox behind a real reverse proxy on the same host', () => {
  let edge: TestEdge;
  let served: ServedApp;
  let proxy: ReturnType<typeof Bun.serve>;
  let code: string;

  beforeAll(async () => {
    ({ edge, code } = await edgeWithCode({ devOutbox: true, publicUrl: undefined }));
    served = serveForTest(edge.app);
    // What nginx with the usual proxy_set_header lines does: forward to the edge on loopback and
    // say who the client was.
    proxy = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (request, server) => {
        const url = new URL(request.url);
        const headers = new Headers(request.headers);
        headers.set('x-forwarded-for', server.requestIP(request)?.address ?? '');
        headers.set('x-forwarded-proto', 'http');
        return fetch(`${served.url}${url.pathname}${url.search}`, { headers });
      },
    });
  });
  afterAll(async () => {
    await proxy.stop(true);
    await served.stop();
  });

  test('the edge itself shows the outbox to this machine, the proxy gets a 404 without codes', async () => {
    const direct = await fetch(`${served.url}/dev/outbox`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain(code);
    const proxied = await fetch(`http://127.0.0.1:${proxy.port}/dev/outbox`);
    expect(proxied.status).toBe(404);
    const body = await proxied.text();
    expect(body).not.toContain(code);
    expect(body).toContain('came through a proxy');
  });
});
