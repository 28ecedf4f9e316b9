import { describe, expect, test } from 'bun:test';
import { sign } from 'node:crypto';
import { enrollmentSigningBytes, type JsonValue } from '@ceros/protocol';
import { createFakeDevice } from '../testing/fake-device.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  json,
  lastCode,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

async function startEnrollment(edge: TestEdge, org?: string) {
  const device = createFakeDevice({ now: edge.clock.now });
  const res = await edge.request('/v1/enroll/start', json(device.enrollStartBody(org, edge.clock.now())));
  expect(res.status).toBe(201);
  const started = (await res.json()) as {
    enrollmentId: string;
    userCode: string;
    pollToken: string;
    verificationUrl: string;
    deviceId: string;
  };
  const page = await edge.request(`/enroll?code=${started.userCode}`);
  const csrf = /ceros_enroll_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const form = (fields: Record<string, string>, ip?: string) =>
    edge.request(
      fields.otp !== undefined ? '/enroll/verify' : '/enroll/email',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ceros_enroll_csrf=${csrf}` },
        body: new URLSearchParams({ csrf, code: started.userCode, ...fields }).toString(),
      },
      ip,
    );
  const poll = async () =>
    (await (
      await edge.request(
        '/v1/enroll/poll',
        json({ enrollmentId: started.enrollmentId, pollToken: started.pollToken }),
      )
    ).json()) as Record<string, unknown>;
  return { device, started, page, form, poll };
}

describe('enrollment', () => {
  test('a device enrolls: start, email, six-digit code, and poll returns the org, user and signing key', async () => {
    const edge = await createTestEdge();
    const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { device, started, page, form, poll } = await startEnrollment(edge, 'acme');
    expect(started.verificationUrl).toBe(`http://edge.test/enroll?code=${started.userCode}`);
    expect(started.deviceId).toBe(device.id);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('test-host');
    expect((await poll()).status).toBe('pending');

    const emailed = await form({ email: 'Dev@Acme.test' });
    expect(emailed.status).toBe(200);
    expect(await emailed.text()).toContain('dev@acme.test');
    const code = lastCode(edge.outbox, 'dev@acme.test');
    expect(code).toMatch(/^\d{6}$/);
    const verified = await form({ otp: code });
    expect(verified.status).toBe(200);
    expect(await verified.text()).toContain('Device enrolled');

    const done = await poll();
    expect(done).toMatchObject({
      status: 'complete',
      deviceId: device.id,
      org: { id: org.id, slug: 'acme', name: 'Acme' },
      userEmail: 'dev@acme.test',
      orgSigningKey: org.signingPublicKey,
      edgeUrl: 'http://edge.test',
    });
    const stored = await edge.store.getDevice(org.id, device.id);
    expect(stored?.status).toBe('active');
    expect(stored?.publicKey).toBe(device.publicKeySpki);
  });

  test('enrollment codes are stored hashed, never in clear', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { started, form } = await startEnrollment(edge, 'acme');
    await form({ email: 'dev@acme.test' });
    const code = lastCode(edge.outbox, 'dev@acme.test');
    const stored = await edge.store.latestEmailCode('enroll', started.enrollmentId);
    expect(stored?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.codeHash).not.toContain(code);
  });

  test('a code is refused after 10 minutes', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { form, poll } = await startEnrollment(edge, 'acme');
    await form({ email: 'dev@acme.test' });
    const code = lastCode(edge.outbox, 'dev@acme.test');
    edge.clock.advance(10 * 60_000 + 1);
    const res = await form({ otp: code });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('expired');
    expect((await poll()).status).toBe('pending');
  });

  test('a code works once', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { started, form } = await startEnrollment(edge, 'acme');
    await form({ email: 'dev@acme.test' });
    const code = lastCode(edge.outbox, 'dev@acme.test');
    expect((await form({ otp: code })).status).toBe(200);
    // A second use of the same code (say, an attacker who saw it) gets nothing.
    await edge.store.updateEnrollment(started.enrollmentId, { status: 'code_sent' });
    const again = await form({ otp: code });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('codes work once');
  });

  test('five wrong codes lock the code, and even the right one is refused after that', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { form, poll } = await startEnrollment(edge, 'acme');
    await form({ email: 'dev@acme.test' });
    const code = lastCode(edge.outbox, 'dev@acme.test');
    const wrong = code === '000000' ? '111111' : '000000';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await form({ otp: wrong })).status);
      edge.clock.advance(30_000); // past the back-off between guesses
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = await form({ otp: code });
    expect(right.status).toBe(429);
    expect(await right.text()).toContain('locked');
    expect((await poll()).status).toBe('pending');
  });

  test('sending codes is rate-limited per address', async () => {
    const edge = await createTestEdge({ settings: { sendPerEmail: { count: 3, windowMs: 60_000 } } });
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { form } = await startEnrollment(edge, 'acme');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await form({ email: 'dev@acme.test' })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    edge.clock.advance(60_000);
    expect((await form({ email: 'dev@acme.test' })).status).toBe(200);
  });

  test('sending codes is rate-limited per IP across addresses', async () => {
    const edge = await createTestEdge({ settings: { sendPerIp: { count: 2, windowMs: 60_000 } } });
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { form } = await startEnrollment(edge, 'acme');
    expect((await form({ email: 'a@acme.test' }, '198.51.100.7')).status).toBe(200);
    expect((await form({ email: 'b@acme.test' }, '198.51.100.7')).status).toBe(200);
    expect((await form({ email: 'c@acme.test' }, '198.51.100.7')).status).toBe(429);
    expect((await form({ email: 'c@acme.test' }, '198.51.100.8')).status).toBe(200);
  });

  test('an organization that restricts email domains refuses other addresses', async () => {
    const edge = await createTestEdge();
    const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    await edge.store.updateOrgSettings(org.id, { allowedDomains: ['acme.test'] });
    const { form } = await startEnrollment(edge, 'acme');
    const res = await form({ email: 'mallory@evil.test' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('@acme.test');
    expect(edge.outbox.messages.some((m) => m.to === 'mallory@evil.test')).toBe(false);
  });

  test('without an org in the link the email domain picks the organization', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const globex = await createOrgWithAdmin(edge, { org: 'Globex', admin: 'boss@globex.test' });
    await edge.store.updateOrgSettings(globex.id, { allowedDomains: ['globex.test'] });
    const device = createFakeDevice({ now: edge.clock.now });
    const result = await enrollDevice(edge, device, { email: 'hank@globex.test' });
    expect(result.poll).toMatchObject({ status: 'complete', org: { slug: 'globex' } });
  });

  test('an organization that requires approval holds the device until an admin approves it', async () => {
    const edge = await createTestEdge();
    const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    await edge.store.updateOrgSettings(org.id, { requireApproval: true });
    const device = createFakeDevice({ now: edge.clock.now });
    const result = await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    expect(result.status).toBe('awaiting_approval');
    const blocked = await edge.request('/v1/agent/ingest/head', {
      headers: device.headers('GET', '/v1/agent/ingest/head'),
    });
    expect(blocked.status).toBe(403);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('DEVICE_PENDING');

    const admin = await signInAdmin(edge, 'boss@acme.test');
    const approve = await edge.request(`/v1/admin/devices/${device.id}/approve`, {
      method: 'POST',
      headers: admin.write,
    });
    expect(approve.status).toBe(200);
    const poll = await edge.request(
      '/v1/enroll/poll',
      json({ enrollmentId: result.enrollmentId, pollToken: result.pollToken }),
    );
    expect(((await poll.json()) as { status: string }).status).toBe('complete');
  });

  test('enrollment start must be signed by the key it registers', async () => {
    const edge = await createTestEdge();
    const device = createFakeDevice({ now: edge.clock.now });
    const other = createFakeDevice({ now: edge.clock.now });
    const body = { ...device.enrollStartBody(undefined, edge.clock.now()), publicKey: other.publicKeySpki };
    const res = await edge.request('/v1/enroll/start', json(body));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_SIGNATURE');
  });

  test('a form post without the page token is refused as CSRF', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { started } = await startEnrollment(edge, 'acme');
    const res = await edge.request('/enroll/email', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        code: started.userCode,
        email: 'dev@acme.test',
        csrf: 'forged',
      }).toString(),
    });
    expect(res.status).toBe(403);
    expect(edge.outbox.messages).toHaveLength(0);
  });

  test('an unknown enrollment code shows the code form again with a clear error', async () => {
    const edge = await createTestEdge();
    const res = await edge.request('/enroll?code=ZZZZ-ZZZZ');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('is not a current enrollment code');
  });
});

describe('device ids', () => {
  test('a device enrolls under the id its journal already uses, bound to its key', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const device = createFakeDevice({ now: edge.clock.now, id: 'dev_5b7c1f0e-8a55-4c39-9b8e-2f1d7f9a0c11' });
    const result = await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    expect(result.poll).toMatchObject({
      status: 'complete',
      deviceId: 'dev_5b7c1f0e-8a55-4c39-9b8e-2f1d7f9a0c11',
    });
  });

  test('a device cannot take an id registered to another key', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const first = createFakeDevice({ now: edge.clock.now, id: 'dev_shared' });
    await enrollDevice(edge, first, { email: 'dev@acme.test', org: 'acme' });
    const second = createFakeDevice({ now: edge.clock.now, id: 'dev_shared' });
    const res = await edge.request(
      '/v1/enroll/start',
      json(second.enrollStartBody('acme', edge.clock.now())),
    );
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CONFLICT');
  });
});

describe('enrollment pages', () => {
  test('the page shows the host name, system, key type and version the device sent, so its owner can tell it is theirs', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const { page } = await startEnrollment(edge, 'acme');
    const text = await page.text();
    expect(text).toContain('<dt>Host name</dt><dd>test-host</dd>');
    expect(text).toContain('<dt>System</dt><dd>linux · x64</dd>');
    expect(text).toContain(
      '<dt>Device key</dt><dd>ECDSA P-256, in a file of this user (software key: it can be copied)</dd>',
    );
    expect(text).toContain('<dt>ceros</dt><dd>0.1.0</dd>');
    // A device that sends nothing about itself is shown as such, not as "unknown ?".
    const bare = createFakeDevice({ now: edge.clock.now });
    const { signature: _signature, ...signed } = bare.enrollStartBody('acme', edge.clock.now());
    const toSign: Record<string, JsonValue> = { ...signed, device: {} };
    const signature = sign('sha256', enrollmentSigningBytes(toSign), {
      key: bare.privateKey,
      dsaEncoding: 'der',
    });
    const start = await edge.request(
      '/v1/enroll/start',
      json({ ...toSign, signature: signature.toString('base64url') }),
    );
    expect(start.status).toBe(201);
    const { userCode } = (await start.json()) as { userCode: string };
    const shown = await (await edge.request(`/enroll?code=${userCode}`)).text();
    expect(shown).toContain('<dt>Host name</dt><dd><span class="note">not sent by the device</span></dd>');
    expect(shown).not.toContain('unknown');
  });

  test('an enrollment form sent with Origin "null" is refused even with the CSRF cookie and field', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const device = createFakeDevice({ now: edge.clock.now });
    const start = await edge.request(
      '/v1/enroll/start',
      json(device.enrollStartBody('acme', edge.clock.now())),
    );
    const { userCode } = (await start.json()) as { userCode: string };
    const page = await edge.request(`/enroll?code=${userCode}`);
    const csrf = /ceros_enroll_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const res = await edge.request('/enroll/email', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `ceros_enroll_csrf=${csrf}`,
        origin: 'null',
      },
      body: new URLSearchParams({ csrf, code: userCode, email: 'dev@acme.test' }).toString(),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('opaque origin');
    expect(edge.outbox.messages.some((m) => m.to === 'dev@acme.test')).toBe(false);
  });

  test('pages send their referrer to this edge only, so their forms carry a real Origin', async () => {
    const edge = await createTestEdge();
    const page = await edge.request('/enroll');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(await page.text()).toContain('<meta name="referrer" content="same-origin">');
    expect((await edge.request('/healthz')).headers.get('referrer-policy')).toBe('no-referrer');
  });

  test('enrollment pages forbid framing and scripts', async () => {
    const edge = await createTestEdge();
    const page = await edge.request('/enroll');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });
});
