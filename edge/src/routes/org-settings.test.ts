import { describe, expect, test } from 'bun:test';
import { addAdmin } from '../orgs.ts';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import {
  type AdminSessionForTest,
  createTestEdge,
  ingest,
  json,
  lastCode,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

/** An edge with an organization made the way `ceros-edge admin add boss@acme.test --org Acme` makes it. */
async function newOrganization(): Promise<{ edge: TestEdge; admin: AdminSessionForTest; orgId: string }> {
  const edge = await createTestEdge();
  const { org } = await addAdmin(edge.store, { email: 'boss@acme.test', orgName: 'Acme', role: 'admin' }, 0);
  return { edge, admin: await signInAdmin(edge, 'boss@acme.test'), orgId: org.id };
}

/** The enrollment pages as a person uses them, stopping where the edge refuses. */
async function enroll(edge: TestEdge, email: string) {
  const device = createFakeDevice({ now: edge.clock.now });
  const start = await edge.request(
    '/v1/enroll/start',
    json(device.enrollStartBody('acme', edge.clock.now())),
  );
  const started = (await start.json()) as { enrollmentId: string; userCode: string; pollToken: string };
  const page = await edge.request(`/enroll?code=${started.userCode}`);
  const csrf = /ceros_enroll_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const form = (fields: Record<string, string>) =>
    edge.request(fields.otp ? '/enroll/verify' : '/enroll/email', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ceros_enroll_csrf=${csrf}` },
      body: new URLSearchParams({ csrf, code: started.userCode, ...fields }).toString(),
    });
  const emailed = await form({ email });
  if (emailed.status !== 200)
    return { device, refused: { status: emailed.status, page: await emailed.text() } };
  expect((await form({ otp: lastCode(edge.outbox, email) })).status).toBe(200);
  const poll = await edge.request(
    '/v1/enroll/poll',
    json({ enrollmentId: started.enrollmentId, pollToken: started.pollToken }),
  );
  return { device, status: ((await poll.json()) as { status: string }).status };
}

const headOf = (edge: TestEdge, device: FakeDevice) =>
  edge.request('/v1/agent/ingest/head', { headers: device.headers('GET', '/v1/agent/ingest/head') });

const patchOrg = (edge: TestEdge, admin: AdminSessionForTest, body: unknown) =>
  edge.request('/v1/admin/org', { method: 'PATCH', headers: admin.write, body: JSON.stringify(body) });

describe('organization settings', () => {
  test("a new organization takes only its first admin's domain and holds every new device for approval", async () => {
    const { edge, admin } = await newOrganization();
    const settings = await (await edge.request('/v1/admin/org', { headers: admin.read })).json();
    expect(settings).toMatchObject({ slug: 'acme', allowedDomains: ['acme.test'], requireApproval: true });

    const outsider = await enroll(edge, 'mallory@evil.test');
    expect(outsider.refused?.status).toBe(403);
    expect(outsider.refused?.page).toContain('it accepts only @acme.test addresses');
    expect(edge.outbox.messages.some((m) => m.to === 'mallory@evil.test')).toBe(false);

    const dev = await enroll(edge, 'dev@acme.test');
    expect(dev.status).toBe('awaiting_approval');
    expect(await errorCode(await headOf(edge, dev.device))).toBe('DEVICE_PENDING');
    const entries = [await dev.device.startSession('s1')];
    expect(await errorCode(await ingest(edge, dev.device, entries))).toBe('DEVICE_PENDING');

    const approved = await edge.request(`/v1/admin/devices/${dev.device.id}/approve`, {
      method: 'POST',
      headers: admin.write,
    });
    expect(approved.status).toBe(200);
    expect((await ingest(edge, dev.device, entries)).status).toBe(200);
  });

  test('the edge enforces what an admin changes: another domain, no approval, and any address when the list is empty', async () => {
    const { edge, admin, orgId } = await newOrganization();
    const patched = await patchOrg(edge, admin, {
      allowedDomains: ['acme.test', 'Partner.test'],
      requireApproval: false,
    });
    expect(await patched.json()).toMatchObject({
      allowedDomains: ['acme.test', 'partner.test'],
      requireApproval: false,
    });

    const partner = await enroll(edge, 'pat@partner.test');
    expect(partner.status).toBe('complete');
    expect((await headOf(edge, partner.device)).status).toBe(200);
    expect((await enroll(edge, 'eve@elsewhere.test')).refused?.status).toBe(403);

    expect((await patchOrg(edge, admin, { allowedDomains: [] })).status).toBe(200);
    expect((await enroll(edge, 'eve@elsewhere.test')).status).toBe('complete');

    expect(
      (await patchOrg(edge, admin, { allowedDomains: ['acme.test'], requireApproval: true })).status,
    ).toBe(200);
    expect((await enroll(edge, 'late@acme.test')).status).toBe('awaiting_approval');

    const activity = (await edge.store.listActivity(orgId, null, 50)).items.filter(
      (a) => a.action === 'org.updated',
    );
    expect(activity).toHaveLength(3);
    expect(activity.every((a) => a.actor === 'admin:boss@acme.test')).toBe(true);
  });

  test('a user an admin added enrolls from outside the allowed domains', async () => {
    const { edge, admin } = await newOrganization();
    const added = await edge.request(
      '/v1/admin/users',
      json({ email: 'contractor@freelance.test' }, admin.write),
    );
    expect(added.status).toBe(201);
    expect((await enroll(edge, 'contractor@freelance.test')).status).toBe('awaiting_approval');
    expect((await enroll(edge, 'other@freelance.test')).refused?.status).toBe(403);
  });

  test('an auditor reads the settings and the install link but cannot change them', async () => {
    const { edge } = await newOrganization();
    await addAdmin(edge.store, { email: 'eve@acme.test', orgName: 'Acme', role: 'auditor' }, 0);
    const auditor = await signInAdmin(edge, 'eve@acme.test');
    expect((await edge.request('/v1/admin/org', { headers: auditor.read })).status).toBe(200);
    const link = (await (await edge.request('/v1/admin/install-link', { headers: auditor.read })).json()) as {
      url: string;
    };
    expect(link.url).toBe('http://edge.test/install.sh?org=acme');
    const refused = await patchOrg(edge, auditor, { requireApproval: false });
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('FORBIDDEN_ROLE');
  });
});
