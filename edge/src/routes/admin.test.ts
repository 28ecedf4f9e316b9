import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { verify } from 'node:crypto';
import { verifyBundle } from '@ceros/policy';
import { canonicalJson, ed25519PublicKeyFromRaw, fromBase64Url, type JsonValue } from '@ceros/protocol';
import { createSmtpMailer } from '../mail/smtp-mailer.ts';
import { createFakeDevice } from '../testing/fake-device.ts';
import { type SmtpSink, startSmtpSink } from '../testing/smtp-sink.ts';
import {
  agentGet,
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  json,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink({ user: 'relay', pass: 's3cret' });
});
afterAll(async () => {
  await smtp.close();
});

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

async function smtpEdge(publicUrl = 'http://edge.test'): Promise<TestEdge> {
  const edge = await createTestEdge({
    mailer: createSmtpMailer({ url: smtp.url, from: 'ceros <no-reply@edge.test>' }),
    settings: { publicUrl },
  });
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  return edge;
}

describe('admin sign-in', () => {
  test('an admin signs in with a code mailed through a real SMTP server and gets a strict HttpOnly cookie', async () => {
    const edge = await smtpEdge();
    const start = await edge.request('/v1/admin/login/start', json({ email: 'boss@acme.test' }));
    expect(start.status).toBe(202);
    const code = await smtp.codeFor('boss@acme.test');
    const verify = await edge.request('/v1/admin/login/verify', json({ email: 'boss@acme.test', code }));
    expect(verify.status).toBe(200);
    const cookie = verify.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ceros_admin=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure');
    expect(await verify.json()).toMatchObject({
      email: 'boss@acme.test',
      role: 'admin',
      org: { slug: 'acme' },
    });
  });

  test('the session cookie is Secure when the edge is served over HTTPS', async () => {
    const edge = await smtpEdge('https://edge.example.com');
    await edge.request('/v1/admin/login/start', json({ email: 'boss@acme.test' }));
    const code = await smtp.codeFor('boss@acme.test');
    const verify = await edge.request('/v1/admin/login/verify', json({ email: 'boss@acme.test', code }));
    expect(verify.headers.get('set-cookie')).toContain('Secure');
  });

  test('an address that is not an admin gets the same answer and no mail', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const res = await edge.request('/v1/admin/login/start', json({ email: 'mallory@acme.test' }));
    expect(res.status).toBe(202);
    expect(edge.outbox.messages).toHaveLength(0);
    const verify = await edge.request(
      '/v1/admin/login/verify',
      json({ email: 'mallory@acme.test', code: '123456' }),
    );
    expect(await errorCode(verify)).toBe('CODE_INCORRECT');
  });

  test('guessing admin codes locks out after five attempts', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    await edge.request('/v1/admin/login/start', json({ email: 'boss@acme.test' }));
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await edge.request(
        '/v1/admin/login/verify',
        json({ email: 'boss@acme.test', code: `99999${i}` }),
      );
      codes.push(await errorCode(res));
      edge.clock.advance(30_000); // past the back-off between guesses
    }
    expect(codes.slice(0, 4)).toEqual(Array(4).fill('CODE_INCORRECT'));
    expect(codes.slice(4)).toEqual(['CODE_LOCKED', 'CODE_LOCKED']);
  });

  test('an expired admin code is refused', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    await edge.request('/v1/admin/login/start', json({ email: 'boss@acme.test' }));
    const code = edge.outbox.messages.at(-1)?.text.match(/(\d{6})/)?.[1] ?? '';
    edge.clock.advance(11 * 60_000);
    const res = await edge.request('/v1/admin/login/verify', json({ email: 'boss@acme.test', code }));
    expect(await errorCode(res)).toBe('CODE_EXPIRED');
  });

  test('logging out ends the session', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    expect((await edge.request('/v1/admin/session', { headers: admin.read })).status).toBe(200);
    expect((await edge.request('/v1/admin/logout', { method: 'POST', headers: admin.write })).status).toBe(
      200,
    );
    expect((await edge.request('/v1/admin/session', { headers: admin.read })).status).toBe(401);
  });
});

describe('admin state changes', () => {
  test('a state change without the CSRF token is refused', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const res = await edge.request('/v1/admin/users', {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'x@acme.test' }),
    });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('CSRF_FAILED');
  });

  test('a state change from another origin is refused even with the token', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const res = await edge.request('/v1/admin/users', {
      method: 'POST',
      headers: { ...admin.write, origin: 'https://evil.test' },
      body: JSON.stringify({ email: 'x@acme.test' }),
    });
    expect(await errorCode(res)).toBe('CSRF_FAILED');
  });

  test('a state change with Origin "null" is refused even with the token', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const send = (origin: string | undefined) =>
      edge.request('/v1/admin/users', {
        method: 'POST',
        headers: { ...admin.write, ...(origin === undefined ? {} : { origin }) },
        body: JSON.stringify({ email: 'x@acme.test' }),
      });
    const refused = await send('null');
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('CSRF_FAILED');
    expect(body.error.message).toContain('opaque origin ("null")');
    expect((await send('http://edge.test')).status).toBe(201);
    // Sign-in is refused from an opaque origin too, before any code is mailed.
    const sent = edge.outbox.messages.length;
    const login = await edge.request(
      '/v1/admin/login/start',
      json({ email: 'boss@acme.test' }, { origin: 'null' }),
    );
    expect(await errorCode(login)).toBe('CSRF_FAILED');
    expect(edge.outbox.messages).toHaveLength(sent);
  });

  test('an auditor can read and export but not change anything', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'eve@acme.test', role: 'auditor' });
    const device = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    const auditor = await signInAdmin(edge, 'eve@acme.test');
    expect((await edge.request('/v1/admin/devices', { headers: auditor.read })).status).toBe(200);
    expect(
      (await edge.request(`/v1/admin/export/entries?device=${device.id}`, { headers: auditor.read })).status,
    ).toBe(200);
    const revoke = await edge.request(`/v1/admin/devices/${device.id}/revoke`, {
      method: 'POST',
      headers: auditor.write,
      body: '{}',
    });
    expect(revoke.status).toBe(403);
    expect(await errorCode(revoke)).toBe('FORBIDDEN_ROLE');
    // Checking a draft changes nothing: an auditor may validate and evaluate one, not save it.
    const source = 'version: 1\ndefault: allow\n';
    const post = (path: string) =>
      edge.request(path, { method: 'POST', headers: auditor.write, body: JSON.stringify({ source }) });
    expect((await post('/v1/admin/policies/validate')).status).toBe(200);
    expect((await post('/v1/admin/policies/evaluate')).status).toBe(200);
    const create = await edge.request('/v1/admin/policies', {
      method: 'POST',
      headers: auditor.write,
      body: JSON.stringify({ name: 'p', source }),
    });
    expect(await errorCode(create)).toBe('FORBIDDEN_ROLE');
  });

  test('admins add admins and auditors, provision users, and change org settings', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const added = await edge.request('/v1/admin/admins', {
      method: 'POST',
      headers: admin.write,
      body: JSON.stringify({ email: 'aud@acme.test', role: 'auditor' }),
    });
    expect(added.status).toBe(201);
    const dup = await edge.request('/v1/admin/admins', {
      method: 'POST',
      headers: admin.write,
      body: JSON.stringify({ email: 'aud@acme.test', role: 'admin' }),
    });
    expect(await errorCode(dup)).toBe('CONFLICT');
    const patch = await edge.request('/v1/admin/org', {
      method: 'PATCH',
      headers: admin.write,
      body: JSON.stringify({ allowedDomains: ['Acme.test'], requireApproval: true }),
    });
    expect(await patch.json()).toMatchObject({ allowedDomains: ['acme.test'], requireApproval: true });
    const bad = await edge.request('/v1/admin/org', {
      method: 'PATCH',
      headers: admin.write,
      body: JSON.stringify({ allowedDomains: ['not a domain'], extra: 1 }),
    });
    expect(bad.status).toBe(400);
    const message = ((await bad.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('allowedDomains.0');
    expect(message).toContain('extra');
    const link = (await (await edge.request('/v1/admin/install-link', { headers: admin.read })).json()) as {
      command: string;
    };
    expect(link.command).toBe("curl -fsSL 'http://edge.test/install.sh?org=acme' | sh");
  });
});

describe('policy distribution', () => {
  const BASE = 'version: 1\ndefault: allow\nrules: []\n';
  const STRICTER = 'version: 1\ndefault: ask\nrules: []\n';

  test('policies are validated, versioned, published as a signed @ceros/policy bundle, and fetched with ETags', async () => {
    const edge = await createTestEdge();
    const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const device = createFakeDevice({ now: edge.clock.now });
    const enrolled = await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    const keyId = String(enrolled.poll.orgSigningKeyId);
    const trusted = [{ keyId, publicKey: String(enrolled.poll.orgSigningKey) }];
    expect(enrolled.poll.orgSigningKey).toBe(org.signingPublicKey);

    const none = await agentGet(edge, device, '/v1/agent/policy');
    expect(await none.json()).toEqual({ bundle: null });

    const post = (path: string, body: unknown) =>
      edge.request(path, { method: 'POST', headers: admin.write, body: JSON.stringify(body) });
    const invalid = await post('/v1/admin/policies/validate', {
      source: 'version: 1\ndefault: maybe\nrules: []\nbogus: 1\n',
    });
    const verdict = (await invalid.json()) as { ok: boolean; issues: { path: string; line?: number }[] };
    expect(verdict.ok).toBe(false);
    expect(verdict.issues.map((i) => i.path).sort()).toEqual(['bogus', 'default']);
    expect(verdict.issues.every((i) => typeof i.line === 'number')).toBe(true);
    const refused = await post('/v1/admin/policies', { name: 'base', source: 'rules: [' });
    expect(refused.status).toBe(422);
    expect(await errorCode(refused)).toBe('POLICY_INVALID');

    const created = await post('/v1/admin/policies', { name: 'base', source: BASE });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(
      await (await post(`/v1/admin/policies/${id}/versions`, { source: STRICTER })).json(),
    ).toMatchObject({ version: 2 });
    const published = await post(`/v1/admin/policies/${id}/publish`, { version: 2 });
    expect(await published.json()).toMatchObject({
      bundleVersion: 1,
      keyId,
      policy: { name: 'base', version: 2 },
    });

    const fetched = await agentGet(edge, device, '/v1/agent/policy');
    const etag = fetched.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const { bundle } = (await fetched.json()) as { bundle: unknown };
    const checked = verifyBundle(bundle, trusted, undefined);
    expect(checked).toMatchObject({
      ok: true,
      value: { version: 1, organization: org.id, keyId, policy: { default: 'ask' } },
    });

    expect((await agentGet(edge, device, '/v1/agent/policy', { 'if-none-match': etag })).status).toBe(304);

    await post(`/v1/admin/policies/${id}/publish`, { version: 1 });
    const changed = await agentGet(edge, device, '/v1/agent/policy', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    const next = verifyBundle(((await changed.json()) as { bundle: unknown }).bundle, trusted, 1);
    expect(next).toMatchObject({ ok: true, value: { version: 2, policy: { default: 'allow' } } });

    const detail = (await (
      await edge.request(`/v1/admin/policies/${id}`, { headers: admin.read })
    ).json()) as {
      publishedVersion: number;
      versions: unknown[];
    };
    expect(detail.publishedVersion).toBe(1);
    expect(detail.versions).toHaveLength(2);
  });

  test('publishing one policy makes it the only published one of the organization', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const post = async (path: string, body: unknown) =>
      (
        await edge.request(path, { method: 'POST', headers: admin.write, body: JSON.stringify(body) })
      ).json() as Promise<{ id: string }>;
    const a = await post('/v1/admin/policies', { name: 'a', source: BASE });
    const b = await post('/v1/admin/policies', { name: 'b', source: STRICTER });
    await post(`/v1/admin/policies/${a.id}/publish`, { version: 1 });
    await post(`/v1/admin/policies/${b.id}/publish`, { version: 1 });
    const list = (await (await edge.request('/v1/admin/policies', { headers: admin.read })).json()) as {
      items: { name: string; publishedVersion: number | null }[];
    };
    expect(list.items.map((p) => [p.name, p.publishedVersion])).toEqual([
      ['a', null],
      ['b', 1],
    ]);
  });

  test('an injected policy validator decides what can be versioned and published', async () => {
    const edge = await createTestEdge({
      validatePolicy: (source) =>
        source.includes('allow-all')
          ? { ok: false, issues: [{ path: 'rules.0', message: 'allow-all is not allowed' }] }
          : { ok: true, document: { version: 1, default: 'allow', rules: [] } },
    });
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const res = await edge.request('/v1/admin/policies', {
      method: 'POST',
      headers: admin.write,
      body: JSON.stringify({ name: 'p', source: 'rules:\n  - allow-all' }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { issues: unknown[]; message: string } };
    expect(body.error.issues).toEqual([{ path: 'rules.0', message: 'allow-all is not allowed' }]);
    expect(body.error.message).toContain('rules.0: allow-all is not allowed');
  });
});

describe('managed MCP servers', () => {
  test('admins define stdio and HTTP servers; devices receive a signed list with an ETag', async () => {
    const edge = await createTestEdge();
    const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const device = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    const add = (body: unknown) =>
      edge.request('/v1/admin/managed-mcp', {
        method: 'POST',
        headers: admin.write,
        body: JSON.stringify(body),
      });
    expect(
      (
        await add({
          name: 'github',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', '@github/mcp'],
          env: { GH_HOST: 'github.com' },
        })
      ).status,
    ).toBe(201);
    const docs = await add({
      name: 'docs',
      transport: 'http',
      url: 'https://mcp.acme.test/docs',
      headers: { Authorization: 'Bearer t' },
    });
    expect(docs.status).toBe(201);
    const bad = await add({ name: 'bad name!', transport: 'http', url: 'ftp://x' });
    expect(bad.status).toBe(400);

    const res = await agentGet(edge, device, '/v1/agent/mcp-servers');
    const etag = res.headers.get('etag') ?? '';
    const { managed } = (await res.json()) as { managed: Record<string, JsonValue> & { sig: string } };
    expect(managed.servers).toEqual([
      {
        name: 'docs',
        transport: 'http',
        url: 'https://mcp.acme.test/docs',
        headers: { Authorization: 'Bearer t' },
      },
      {
        name: 'github',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@github/mcp'],
        env: { GH_HOST: 'github.com' },
      },
    ]);
    const { sig, ...body } = managed;
    expect(
      verify(
        null,
        Buffer.from(`ceros/managed-mcp/v1\n${canonicalJson(body)}`),
        ed25519PublicKeyFromRaw(org.signingPublicKey),
        fromBase64Url(sig),
      ),
    ).toBe(true);
    expect((await agentGet(edge, device, '/v1/agent/mcp-servers', { 'if-none-match': etag })).status).toBe(
      304,
    );

    const { id } = (await docs.json()) as { id: string };
    edge.clock.advance(1000);
    const update = await edge.request(`/v1/admin/managed-mcp/${id}`, {
      method: 'PUT',
      headers: admin.write,
      body: JSON.stringify({ name: 'docs', transport: 'http', url: 'https://mcp.acme.test/v2' }),
    });
    expect(update.status).toBe(200);
    expect((await agentGet(edge, device, '/v1/agent/mcp-servers', { 'if-none-match': etag })).status).toBe(
      200,
    );
    expect(
      (await edge.request(`/v1/admin/managed-mcp/${id}`, { method: 'DELETE', headers: admin.write })).status,
    ).toBe(200);
    const list = (await (await edge.request('/v1/admin/managed-mcp', { headers: admin.read })).json()) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(1);
  });
});
