import { describe, expect, test } from 'bun:test';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import {
  agentGet,
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';
import { deviceIdFromSpki } from './secrets.ts';
import { REQUEST_SIGNING_PREFIX, requestSigningString } from './signed-request.ts';

async function enrolled(): Promise<{ edge: TestEdge; device: FakeDevice }> {
  const edge = await createTestEdge();
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  const device = createFakeDevice({ now: edge.clock.now });
  await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
  return { edge, device };
}

const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('signed agent requests', () => {
  test('requestSigningString() matches the golden vector the agent also checks', () => {
    const text = requestSigningString({
      method: 'post',
      pathAndQuery: '/v1/agent/ingest?x=1',
      device: 'dev_0123456789abcdef01234567',
      key: 'device',
      timestamp: '1767225600000',
      nonce: 'AAAAAAAAAAAAAAAAAAAAAAAA',
      body: Buffer.from('{"entries":[]}'),
    });
    expect(REQUEST_SIGNING_PREFIX).toBe('ceros/edge-request/v1\n');
    expect(text).toBe(
      'ceros/edge-request/v1\nPOST\n/v1/agent/ingest?x=1\ndev_0123456789abcdef01234567\ndevice\n1767225600000\nAAAAAAAAAAAAAAAAAAAAAAAA\n' +
        // sha256sum of the body bytes, computed outside the code under test
        'd801aa1fb7ddcc330a5e3173372ea6af4a3d08ec58074478e85aa5603e926658',
    );
  });

  test('deviceIdFromSpki() derives dev_ + 24 hex digits of SHA-256 over the SPKI bytes', () => {
    expect(deviceIdFromSpki(Buffer.from('spki').toString('base64url'))).toBe(
      `dev_${new Bun.CryptoHasher('sha256').update('spki').digest('hex').slice(0, 24)}`,
    );
  });

  test('a request signed by the device key is accepted', async () => {
    const { edge, device } = await enrolled();
    const res = await agentGet(edge, device, '/v1/agent/status');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ deviceId: device.id, status: 'active', allowed: true });
  });

  test('a request signed by a certified session key is accepted', async () => {
    const { edge, device } = await enrolled();
    await device.startSession('s1');
    const res = await edge.request('/v1/agent/status', {
      headers: device.headers('GET', '/v1/agent/status', '', { by: 'session' }),
    });
    expect(res.status).toBe(200);
  });

  test('a replayed signed request is refused', async () => {
    const { edge, device } = await enrolled();
    const headers = device.headers('GET', '/v1/agent/status');
    expect((await edge.request('/v1/agent/status', { headers })).status).toBe(200);
    const replay = await edge.request('/v1/agent/status', { headers });
    expect(replay.status).toBe(401);
    expect(await codeOf(replay)).toBe('REPLAYED_REQUEST');
  });

  test('a request with a timestamp more than five minutes off is refused as stale', async () => {
    const { edge, device } = await enrolled();
    const res = await edge.request('/v1/agent/status', {
      headers: device.headers('GET', '/v1/agent/status', '', { now: edge.clock.now() - 6 * 60_000 }),
    });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('STALE_REQUEST');
  });

  test('a request from a device that never enrolled is refused as unknown', async () => {
    const { edge } = await enrolled();
    const stranger = createFakeDevice({ now: edge.clock.now });
    const res = await agentGet(edge, stranger, '/v1/agent/status');
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('UNKNOWN_DEVICE');
  });

  test('a request whose body was changed after signing is refused', async () => {
    const { edge, device } = await enrolled();
    const headers = device.headers('POST', '/v1/agent/ingest', '{"entries":[]}');
    const res = await edge.request('/v1/agent/ingest', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"entries":[ ]}',
    });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('BAD_SIGNATURE');
  });

  test('a request signed for another path is refused', async () => {
    const { edge, device } = await enrolled();
    const res = await edge.request('/v1/agent/policy', {
      headers: device.headers('GET', '/v1/agent/status'),
    });
    expect(await codeOf(res)).toBe('BAD_SIGNATURE');
  });

  test('a request signed by another device key under this device id is refused', async () => {
    const { edge, device } = await enrolled();
    const impostor = createFakeDevice({ now: edge.clock.now });
    const headers = { ...impostor.headers('GET', '/v1/agent/status'), 'x-ceros-device': device.id };
    const res = await edge.request('/v1/agent/status', { headers });
    expect(await codeOf(res)).toBe('BAD_SIGNATURE');
  });

  test('a request without signature headers names what is missing', async () => {
    const { edge } = await enrolled();
    const res = await edge.request('/v1/agent/status');
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SIGNATURE_MISSING');
    expect(body.error.message).toContain('x-ceros-signature');
  });

  test('a revoked device is refused with a reason, and its status says revoked', async () => {
    const { edge, device } = await enrolled();
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const revoke = await edge.request(`/v1/admin/devices/${device.id}/revoke`, {
      method: 'POST',
      headers: admin.write,
      body: JSON.stringify({ reason: 'laptop stolen' }),
    });
    expect(revoke.status).toBe(200);
    const ingest = await edge.request('/v1/agent/ingest/head', {
      headers: device.headers('GET', '/v1/agent/ingest/head'),
    });
    expect(ingest.status).toBe(403);
    const body = (await ingest.json()) as { error: { code: string; reason: string } };
    expect(body.error).toMatchObject({ code: 'DEVICE_REVOKED', reason: 'laptop stolen' });
    const status = await agentGet(edge, device, '/v1/agent/status');
    expect(await status.json()).toMatchObject({
      status: 'revoked',
      allowed: false,
      reason: expect.stringContaining('laptop stolen'),
    });
  });

  test('revoking the user refuses all of their devices', async () => {
    const { edge, device } = await enrolled();
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const users = (await (await edge.request('/v1/admin/users', { headers: admin.read })).json()) as {
      items: { id: string; email: string }[];
    };
    const user = users.items.find((u) => u.email === 'dev@acme.test');
    await edge.request(`/v1/admin/users/${user?.id}/revoke`, {
      method: 'POST',
      headers: admin.write,
      body: '{}',
    });
    const res = await edge.request('/v1/agent/policy', {
      headers: device.headers('GET', '/v1/agent/policy'),
    });
    expect(await codeOf(res)).toBe('USER_REVOKED');
    const status = await agentGet(edge, device, '/v1/agent/status');
    expect(await status.json()).toMatchObject({ userStatus: 'revoked', allowed: false });
  });
});
