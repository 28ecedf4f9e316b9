import { describe, expect, test } from 'bun:test';
import { Hono } from 'hono';
import { DEFAULT_SETTINGS, type EdgeEnv } from './deps.ts';
import { clientIp } from './http.ts';
import { createOrgWithAdmin, createTestEdge, json } from './testing/test-edge.ts';

/** The address clientIp() picks for a request from `peer` carrying `forwardedFor`. */
async function picked(trustProxy: number, peer: string, forwardedFor?: string): Promise<string> {
  const app = new Hono<EdgeEnv>().get('/', (c) => c.text(clientIp(c, { ...DEFAULT_SETTINGS, trustProxy })));
  const headers: Record<string, string> =
    forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return (await app.request('http://edge.test/', { headers }, { ip: peer })).text();
}

describe('clientIp()', () => {
  test.each([
    [0, '198.51.100.7', '203.0.113.1', '198.51.100.7'],
    [1, '127.0.0.1', undefined, '127.0.0.1'],
    [1, '127.0.0.1', '198.51.100.7', '198.51.100.7'],
    // The left part is the client's own claim; one proxy wrote only the right-most entry.
    [1, '127.0.0.1', '203.0.113.1, 198.51.100.7', '198.51.100.7'],
    [2, '10.0.0.2', '203.0.113.1, 198.51.100.7, 10.0.0.1', '198.51.100.7'],
    [2, '10.0.0.2', '2001:db8::7, 10.0.0.1', '2001:db8::7'],
    // Fewer entries than proxies: the farthest hop known.
    [3, '10.0.0.2', '198.51.100.7, 10.0.0.1', '198.51.100.7'],
    // Not an address where the proxy's entry should be: the peer, never the text.
    [1, '127.0.0.1', '203.0.113.1, <script>', '127.0.0.1'],
  ] as const)('behind %i proxies, peer %s and X-Forwarded-For %p is %s', async (n, peer, xff, want) => {
    expect(await picked(n, peer, xff)).toBe(want);
  });
});

describe('rate limits behind a proxy', () => {
  test('rotating the left-most X-Forwarded-For does not buy more codes', async () => {
    const edge = await createTestEdge({
      settings: {
        trustProxy: 1,
        sendPerIp: { count: 3, windowMs: 15 * 60_000 },
        sendPerEmail: { count: 100, windowMs: 60_000 },
      },
    });
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await edge.request(
        '/v1/admin/login/start',
        json({ email: 'boss@acme.test' }, { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.7` }),
        '127.0.0.1',
      );
      statuses.push(res.status);
    }
    expect(edge.outbox.messages).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });
});
