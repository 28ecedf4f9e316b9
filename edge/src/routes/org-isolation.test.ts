import { beforeAll, describe, expect, test } from 'bun:test';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import { writeSampleSession } from '../testing/sample-session.ts';
import {
  type AdminSessionForTest,
  agentGet,
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

/**
 * Two organizations on one edge. Everything Acme's admins and devices do must stay inside Acme:
 * Globex's rows are invisible (404, empty lists) and untouchable.
 */
let edge: TestEdge;
let acmeAdmin: AdminSessionForTest;
let globexAdmin: AdminSessionForTest;
let acmeDevice: FakeDevice;
let globexDevice: FakeDevice;
let globexUserId: string;
let globexPolicyId: string;
let globexMcpId: string;

const status = async (res: Response | Promise<Response>) => (await res).status;

beforeAll(async () => {
  edge = await createTestEdge();
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  await createOrgWithAdmin(edge, { org: 'Globex', admin: 'boss@globex.test' });
  acmeAdmin = await signInAdmin(edge, 'boss@acme.test');
  globexAdmin = await signInAdmin(edge, 'boss@globex.test');
  acmeDevice = createFakeDevice({ now: edge.clock.now });
  globexDevice = createFakeDevice({ now: edge.clock.now });
  await enrollDevice(edge, acmeDevice, { email: 'dev@acme.test', org: 'acme' });
  await enrollDevice(edge, globexDevice, { email: 'dev@globex.test', org: 'globex' });
  await ingest(edge, acmeDevice, await writeSampleSession(acmeDevice, 'acme-s1'));
  await ingest(
    edge,
    globexDevice,
    await writeSampleSession(globexDevice, 'globex-s1', { command: 'globex-secret' }),
  );

  const users = (await (await edge.request('/v1/admin/users', { headers: globexAdmin.read })).json()) as {
    items: { id: string }[];
  };
  globexUserId = users.items[0]?.id ?? '';
  const policy = await edge.request('/v1/admin/policies', {
    method: 'POST',
    headers: globexAdmin.write,
    body: JSON.stringify({ name: 'globex', source: 'version: 1\ndefault: allow\nrules: []\n' }),
  });
  globexPolicyId = ((await policy.json()) as { id: string }).id;
  await edge.request(`/v1/admin/policies/${globexPolicyId}/publish`, {
    method: 'POST',
    headers: globexAdmin.write,
    body: JSON.stringify({ version: 1 }),
  });
  const mcp = await edge.request('/v1/admin/managed-mcp', {
    method: 'POST',
    headers: globexAdmin.write,
    body: JSON.stringify({ name: 'globex-tools', transport: 'stdio', command: 'globex-mcp' }),
  });
  globexMcpId = ((await mcp.json()) as { id: string }).id;
});

describe('organization isolation', () => {
  test("an admin's lists contain only their organization's rows", async () => {
    const read = async (path: string) =>
      JSON.stringify(await (await edge.request(path, { headers: acmeAdmin.read })).json());
    for (const path of [
      '/v1/admin/conversations',
      '/v1/admin/tool-calls',
      '/v1/admin/tool-calls?q=globex-secret',
      '/v1/admin/devices',
      '/v1/admin/users',
      '/v1/admin/activity?limit=500',
      '/v1/admin/tool-definitions',
      '/v1/admin/mcp-servers',
      '/v1/admin/policies',
      '/v1/admin/managed-mcp',
      '/v1/admin/adoption-gaps',
    ]) {
      const body = await read(path);
      expect([path, body.includes(globexDevice.id) || body.includes('globex')]).toEqual([path, false]);
    }
    const toolCalls = JSON.parse(await read('/v1/admin/tool-calls?q=globex-secret')) as { items: unknown[] };
    expect(toolCalls.items).toEqual([]);
  });

  test("an admin cannot read another organization's rows by id", async () => {
    const headers = acmeAdmin.read;
    expect(await status(edge.request(`/v1/admin/devices/${globexDevice.id}`, { headers }))).toBe(404);
    expect(await status(edge.request(`/v1/admin/devices/${globexDevice.id}/posture`, { headers }))).toBe(404);
    expect(
      await status(edge.request(`/v1/admin/conversations/${globexDevice.id}/globex-s1`, { headers })),
    ).toBe(404);
    expect(
      await status(edge.request(`/v1/admin/export/entries?device=${globexDevice.id}`, { headers })),
    ).toBe(404);
    expect(await status(edge.request(`/v1/admin/policies/${globexPolicyId}`, { headers }))).toBe(404);
    const devices = await edge.request(`/v1/admin/tool-definitions/${'b'.repeat(64)}/devices`, { headers });
    expect(JSON.stringify(await devices.json())).not.toContain(globexDevice.id);
    const filtered = await edge.request(`/v1/admin/conversations?device=${globexDevice.id}`, { headers });
    expect(await filtered.json()).toEqual({ items: [], nextCursor: null });
  });

  test("an admin cannot change another organization's devices, users, policies or MCP servers", async () => {
    const headers = acmeAdmin.write;
    const post = (path: string, body: unknown = {}) =>
      edge.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(await status(post(`/v1/admin/devices/${globexDevice.id}/revoke`))).toBe(404);
    expect(await status(post(`/v1/admin/devices/${globexDevice.id}/approve`))).toBe(404);
    expect(await status(post(`/v1/admin/users/${globexUserId}/revoke`))).toBe(404);
    expect(
      await status(
        post(`/v1/admin/policies/${globexPolicyId}/versions`, {
          source: 'version: 1\ndefault: deny\nrules: []\n',
        }),
      ),
    ).toBe(404);
    expect(await status(post(`/v1/admin/policies/${globexPolicyId}/publish`, { version: 1 }))).toBe(404);
    const put = await edge.request(`/v1/admin/managed-mcp/${globexMcpId}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ name: 'globex-tools', transport: 'stdio', command: 'pwned' }),
    });
    expect(put.status).toBe(404);
    expect(
      await status(edge.request(`/v1/admin/managed-mcp/${globexMcpId}`, { method: 'DELETE', headers })),
    ).toBe(404);

    const device = await agentGet(edge, globexDevice, '/v1/agent/status');
    expect(await device.json()).toMatchObject({ status: 'active', userStatus: 'active' });
    const mcp = (await (await agentGet(edge, globexDevice, '/v1/agent/mcp-servers')).json()) as {
      managed: { servers: { command: string }[] };
    };
    expect(mcp.managed.servers[0]?.command).toBe('globex-mcp');
  });

  test("a device receives only its organization's policy bundle and MCP servers", async () => {
    const policy = await agentGet(edge, acmeDevice, '/v1/agent/policy');
    expect(await policy.json()).toEqual({ bundle: null });
    const mcp = (await (await agentGet(edge, acmeDevice, '/v1/agent/mcp-servers')).json()) as {
      managed: { servers: unknown[] };
    };
    expect(mcp.managed.servers).toEqual([]);
  });

  test("a device cannot write into another organization's device journal", async () => {
    const stolen = await writeSampleSession(globexDevice, 'globex-s2');
    const res = await ingest(edge, acmeDevice, stolen);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CROSS_DEVICE');
  });

  test('a device key enrolled in one organization cannot be enrolled into another', async () => {
    const res = await edge.request('/v1/enroll/start', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(globexDevice.enrollStartBody('acme', edge.clock.now())),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('KEY_IN_USE');
  });
});
