import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrganization } from '../orgs.ts';
import { createFakeDevice } from '../testing/fake-device.ts';
import { writeSampleSession } from '../testing/sample-session.ts';
import { createOrgWithAdmin, createTestEdge, enrollDevice, ingest } from '../testing/test-edge.ts';
import { createLibsqlStore } from './libsql-store.ts';
import { MIGRATIONS } from './migrations.ts';

const dir = mkdtempSync(join(tmpdir(), 'ceros-edge-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  [':memory:', () => ':memory:'],
  ['a file', () => `file:${join(dir, `edge-${crypto.randomUUID()}.db`)}`],
])('the libSQL store on %s', (_name, url) => {
  test('migrate() applies every migration once and is a no-op the second time', async () => {
    const store = createLibsqlStore({ url: url() });
    expect(await store.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version) });
    expect(await store.migrate()).toEqual({ applied: [] });
    store.close();
  });

  test('a full enroll-ingest-query round trip works', async () => {
    const edge = await createTestEdge({ url: url() });
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const device = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    expect((await ingest(edge, device, await writeSampleSession(device, 's1'))).status).toBe(200);
    const org = await edge.store.getOrgBySlug('acme');
    const page = await edge.store.listToolCalls(org?.id ?? '', { text: 'README' }, null, 10);
    expect(page.items.map((t) => t.toolName).sort()).toEqual(['Bash', 'Read']);
    edge.store.close();
  });
});

describe('the libSQL store on a file', () => {
  test('keeps everything across a restart: the edge holds no state outside the database', async () => {
    const url = `file:${join(dir, 'restart.db')}`;
    const first = createLibsqlStore({ url });
    await first.migrate();
    const org = await createOrganization(first, { name: 'Acme' }, 1);
    first.close();
    const second = createLibsqlStore({ url });
    expect(await second.migrate()).toEqual({ applied: [] });
    expect(await second.getOrgBySlug('acme')).toEqual(org);
    second.close();
  });

  test('two edge instances can migrate one database at the same time', async () => {
    const url = `file:${join(dir, 'shared.db')}`;
    const a = createLibsqlStore({ url });
    const b = createLibsqlStore({ url });
    const results = await Promise.all([a.migrate(), b.migrate()]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.version));
    await createOrganization(a, { name: 'Acme' }, 1);
    expect((await b.listOrgs()).map((o) => o.slug)).toEqual(['acme']);
    a.close();
    b.close();
  });
});

describe('store primitives', () => {
  test('hitRateLimit() counts within a window and restarts in the next', async () => {
    const store = createLibsqlStore({ url: ':memory:' });
    await store.migrate();
    const counts = [];
    for (const at of [0, 10, 20, 60_000, 60_010]) counts.push(await store.hitRateLimit('k', 60_000, at));
    expect(counts).toEqual([1, 2, 3, 1, 2]);
  });

  test('useNonce() accepts a nonce once per device', async () => {
    const store = createLibsqlStore({ url: ':memory:' });
    await store.migrate();
    expect(await store.useNonce('d1', 'n1', 10, 0)).toBe(true);
    expect(await store.useNonce('d1', 'n1', 10, 0)).toBe(false);
    expect(await store.useNonce('d2', 'n1', 10, 0)).toBe(true);
  });

  test('consumeEmailCode() lets exactly one of several concurrent uses win', async () => {
    const store = createLibsqlStore({ url: ':memory:' });
    await store.migrate();
    await store.createEmailCode({
      id: 'c1',
      purpose: 'admin',
      subject: 's',
      email: 'a@b.test',
      codeHash: 'h',
      createdMs: 0,
      expiresMs: 10,
      attempts: 0,
      usedMs: null,
    });
    const wins = await Promise.all([1, 2, 3].map(() => store.consumeEmailCode('c1', 1)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
});
