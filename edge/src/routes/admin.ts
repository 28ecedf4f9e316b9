import { compilePolicy, type PolicyDocument, runPolicyTests, signBundle } from '@ceros/policy';
import { canonicalJson, type JsonValue, sha256Hex } from '@ceros/protocol';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import { ADMIN_COOKIE, assertSameOrigin, clearAdminCookie, setAdminCookie } from '../auth/admin-auth.ts';
import { sendCode, verifyCode } from '../auth/email-codes.ts';
import { hashToken, randomId, randomToken } from '../auth/secrets.ts';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { baseUrl, clientIp, encodeCursor, iso, pageQuery, parseQuery, readJson } from '../http.ts';
import { evaluateDraft } from '../policy/evaluate-draft.ts';
import { etagOf, orgKeyId, orgPrivateKey } from '../policy/signed-document.ts';
import type { Admin, AdminSession, ManagedMcpTransport, Org } from '../store/store.ts';

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'is not an email address' }).max(254));
const orgSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'is not an organization slug');
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'is not a domain name');
const policyName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lowercase letters, digits, . _ -');
const policySource = z
  .string()
  .min(1)
  .max(256 * 1024);
const mcpName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or -');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'is not an environment variable name');
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,128}$/, 'is not an HTTP header name');
const managedMcpSchema = z.discriminatedUnion('transport', [
  z.strictObject({
    name: mcpName,
    transport: z.literal('stdio'),
    command: z.string().min(1).max(1024),
    args: z.array(z.string().max(4096)).max(64).default([]),
    env: z.record(envName, z.string().max(4096)).default({}),
  }),
  z.strictObject({
    name: mcpName,
    transport: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }).max(2048),
    headers: z.record(headerName, z.string().max(4096)).default({}),
  }),
]);

/** What a signed-in admin sees about their own session (the console reads the CSRF token here). */
export interface SessionResponse {
  email: string;
  role: 'admin' | 'auditor';
  org: { id: string; slug: string; name: string };
  csrfToken: string;
  expiresAt: string;
}

export function adminRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  const loginStart = z.strictObject({ email, org: orgSlug.optional() });
  app.post('/v1/admin/login/start', async (c) => {
    assertSameOrigin(c, ctx);
    const body = await readJson(c, loginStart, ctx.settings);
    const admin = await membership(ctx, body.email, body.org);
    // The same answer whether or not the address is an admin: no account enumeration.
    if (admin) {
      const org = await orgOf(ctx, admin.orgId);
      await sendCode(ctx, {
        purpose: 'admin',
        subject: `${admin.orgId}:${admin.email}`,
        email: admin.email,
        ip: clientIp(c, ctx.settings),
        subjectLine: `Your ceros sign-in code for ${org.name}`,
        intro: `Someone (hopefully you) is signing in to the ceros console of ${org.name}.`,
      });
    } else {
      await ctx.store.hitRateLimit(
        `send:ip:${clientIp(c, ctx.settings)}`,
        ctx.settings.sendPerIp.windowMs,
        ctx.now(),
      );
    }
    return c.json({ sent: true, expiresInSeconds: Math.round(ctx.settings.codeTtlMs / 1000) }, 202);
  });

  const loginVerify = z.strictObject({ email, code: z.string().max(16), org: orgSlug.optional() });
  app.post('/v1/admin/login/verify', async (c) => {
    assertSameOrigin(c, ctx);
    const body = await readJson(c, loginVerify, ctx.settings);
    const admin = await membership(ctx, body.email, body.org);
    if (!admin) throw new EdgeError('CODE_INCORRECT', 'Cannot verify: the code is wrong');
    await verifyCode(ctx, 'admin', `${admin.orgId}:${admin.email}`, body.code);
    const token = randomToken();
    const now = ctx.now();
    const session: AdminSession = {
      orgId: admin.orgId,
      adminId: admin.id,
      email: admin.email,
      role: admin.role,
      csrfToken: randomToken(),
      expiresMs: now + ctx.settings.adminSessionTtlMs,
    };
    await ctx.store.createAdminSession(hashToken(token), session, now);
    await audit(ctx, session, 'admin.signed_in', null, null);
    setAdminCookie(c, ctx, token);
    return c.json(await sessionResponse(ctx, session));
  });

  app.get('/v1/admin/session', async (c) => c.json(await sessionResponse(ctx, c.get('admin'))));

  app.post('/v1/admin/logout', async (c) => {
    const token = getCookie(c, ADMIN_COOKIE);
    if (token) await ctx.store.deleteAdminSession(hashToken(token));
    clearAdminCookie(c, ctx);
    return c.json({ signedOut: true });
  });

  app.get('/v1/admin/org', async (c) => c.json(orgResponse(await orgOf(ctx, c.get('admin').orgId))));

  const orgPatch = z.strictObject({
    allowedDomains: z.array(domain).max(100).optional(),
    requireApproval: z.boolean().optional(),
  });
  app.patch('/v1/admin/org', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, orgPatch, ctx.settings);
    await ctx.store.updateOrgSettings(admin.orgId, {
      ...(body.allowedDomains !== undefined ? { allowedDomains: [...new Set(body.allowedDomains)] } : {}),
      ...(body.requireApproval !== undefined ? { requireApproval: body.requireApproval } : {}),
    });
    await audit(ctx, admin, 'org.updated', admin.orgId, body);
    return c.json(orgResponse(await orgOf(ctx, admin.orgId)));
  });

  app.get('/v1/admin/install-link', async (c) => {
    const org = await orgOf(ctx, c.get('admin').orgId);
    const url = `${baseUrl(c, ctx.settings)}/install.sh?org=${org.slug}`;
    return c.json({ url, command: `curl -fsSL '${url}' | sh` });
  });

  app.get('/v1/admin/users', async (c) => {
    const q = parseQuery(c, pageQuery);
    const result = await ctx.store.listUsers(c.get('admin').orgId, q.cursor ?? null, q.limit);
    return c.json({
      items: result.items.map((u) => ({
        id: u.id,
        email: u.email,
        status: u.status,
        activeDevices: u.devices,
        createdAt: iso(u.createdMs),
        verifiedAt: iso(u.verifiedMs),
        revokedAt: iso(u.revokedMs),
      })),
      nextCursor: encodeCursor(result.next),
    });
  });

  app.post('/v1/admin/users', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, z.strictObject({ email }), ctx.settings);
    const user = await ctx.store.ensureUser(admin.orgId, body.email, 'provisioned', ctx.now());
    await audit(ctx, admin, 'user.provisioned', user.id, { email: user.email });
    return c.json({ id: user.id, email: user.email, status: user.status }, 201);
  });

  const reasonBody = z.strictObject({ reason: z.string().max(500).optional() });
  app.post('/v1/admin/users/:id/revoke', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, reasonBody, ctx.settings);
    const id = c.req.param('id');
    if (!(await ctx.store.revokeUser(admin.orgId, id, ctx.now())))
      throw new EdgeError('NOT_FOUND', `Cannot find user "${id}"`);
    await audit(ctx, admin, 'user.revoked', id, { reason: body.reason ?? null });
    return c.json({ id, status: 'revoked' });
  });

  app.get('/v1/admin/admins', async (c) => {
    const admins = await ctx.store.listAdmins(c.get('admin').orgId);
    return c.json({
      items: admins.map((a) => ({ id: a.id, email: a.email, role: a.role, createdAt: iso(a.createdMs) })),
    });
  });

  app.post('/v1/admin/admins', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(
      c,
      z.strictObject({ email, role: z.enum(['admin', 'auditor']) }),
      ctx.settings,
    );
    const created: Admin = {
      id: randomId('adm'),
      orgId: admin.orgId,
      email: body.email,
      role: body.role,
      createdMs: ctx.now(),
    };
    if (!(await ctx.store.createAdmin(created)))
      throw new EdgeError('CONFLICT', `Cannot add "${body.email}": already an admin or auditor here`);
    await audit(ctx, admin, 'admin.added', created.id, { email: body.email, role: body.role });
    return c.json({ id: created.id, email: created.email, role: created.role }, 201);
  });

  app.post('/v1/admin/devices/:id/approve', async (c) => {
    const admin = c.get('admin');
    const id = c.req.param('id');
    if (!(await ctx.store.setDeviceStatus(admin.orgId, id, 'active', ctx.now(), null)))
      throw new EdgeError('NOT_FOUND', `Cannot approve device "${id}": no such device, or it was revoked`);
    await audit(ctx, admin, 'device.approved', id, null);
    return c.json({ id, status: 'active' });
  });

  app.post('/v1/admin/devices/:id/revoke', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, reasonBody, ctx.settings);
    const id = c.req.param('id');
    if (!(await ctx.store.setDeviceStatus(admin.orgId, id, 'revoked', ctx.now(), body.reason ?? null)))
      throw new EdgeError('NOT_FOUND', `Cannot find device "${id}"`);
    await audit(ctx, admin, 'device.revoked', id, { reason: body.reason ?? null });
    return c.json({ id, status: 'revoked' });
  });

  // Policies: create (v1), add versions, validate, publish one version into a signed bundle.
  app.get('/v1/admin/policies', async (c) => {
    const policies = await ctx.store.listPolicies(c.get('admin').orgId);
    return c.json({ items: policies.map(policyResponse) });
  });

  app.post('/v1/admin/policies/validate', async (c) => {
    const body = await readJson(c, z.strictObject({ source: policySource }), ctx.settings);
    const result = ctx.validatePolicy(body.source);
    return c.json(
      result.ok ? { ok: true, hash: sha256Hex(body.source) } : { ok: false, issues: result.issues },
    );
  });

  // A draft's own test cases, and the recorded calls of the last days decided again under it.
  app.post('/v1/admin/policies/evaluate', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(
      c,
      z.strictObject({ source: policySource, days: z.number().int().min(1).max(90).default(7) }),
      ctx.settings,
    );
    const document = parsedPolicy(ctx, body.source);
    return c.json(
      await evaluateDraft({
        store: ctx.store,
        orgId: admin.orgId,
        document,
        shell: await ctx.shellParser(),
        days: body.days,
        nowMs: ctx.now(),
      }),
    );
  });

  app.post('/v1/admin/policies', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, z.strictObject({ name: policyName, source: policySource }), ctx.settings);
    parsedPolicy(ctx, body.source);
    const id = randomId('pol');
    if (!(await ctx.store.createPolicy({ orgId: admin.orgId, id, name: body.name, nowMs: ctx.now() })))
      throw new EdgeError(
        'CONFLICT',
        `Cannot create policy "${body.name}": it exists; add a version instead`,
      );
    const version = await ctx.store.addPolicyVersion(admin.orgId, id, {
      source: body.source,
      hash: sha256Hex(body.source),
      createdBy: admin.email,
      nowMs: ctx.now(),
    });
    await audit(ctx, admin, 'policy.created', id, { name: body.name, version });
    return c.json({ id, name: body.name, version }, 201);
  });

  app.get('/v1/admin/policies/:id', async (c) => {
    const orgId = c.get('admin').orgId;
    const policy = await ctx.store.getPolicy(orgId, c.req.param('id'));
    if (!policy) throw new EdgeError('NOT_FOUND', `Cannot find policy "${c.req.param('id')}"`);
    const versions = await ctx.store.listPolicyVersions(orgId, policy.id);
    return c.json({
      ...policyResponse(policy),
      versions: versions.map((v) => ({
        version: v.version,
        hash: v.hash,
        source: v.source,
        createdBy: v.createdBy,
        createdAt: iso(v.createdMs),
      })),
    });
  });

  app.post('/v1/admin/policies/:id/versions', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, z.strictObject({ source: policySource }), ctx.settings);
    parsedPolicy(ctx, body.source);
    const id = c.req.param('id');
    const version = await ctx.store.addPolicyVersion(admin.orgId, id, {
      source: body.source,
      hash: sha256Hex(body.source),
      createdBy: admin.email,
      nowMs: ctx.now(),
    });
    await audit(ctx, admin, 'policy.versioned', id, { version });
    return c.json({ id, version }, 201);
  });

  app.post('/v1/admin/policies/:id/publish', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, z.strictObject({ version: z.number().int().positive() }), ctx.settings);
    const policyId = c.req.param('id');
    const policy = await ctx.store.getPolicy(admin.orgId, policyId);
    const chosen = policy ? await ctx.store.getPolicyVersion(admin.orgId, policyId, body.version) : undefined;
    if (!policy || !chosen)
      throw new EdgeError(
        'NOT_FOUND',
        `Cannot publish version ${body.version} of policy "${policyId}": not found`,
      );
    // Re-validate: the parser may have become stricter since the version was saved.
    const document = parsedPolicy(ctx, chosen.source);
    // A version whose own test cases fail is not what its author meant: it does not reach devices.
    const tests = runPolicyTests(compilePolicy(document as PolicyDocument), await ctx.shellParser());
    if (tests.failed > 0)
      throw new EdgeError(
        'POLICY_INVALID',
        `Cannot publish version ${chosen.version} of "${policy.name}": ${tests.failed} of its ${tests.results.length} test cases fail: ${tests.results
          .filter((t) => !t.pass)
          .map(
            (t) =>
              `tests.${t.index} "${t.name}" expects ${t.expected.effect}${t.expected.rule ? ` (${t.expected.rule})` : ''}, got ${t.actual.effect} (${t.actual.rule})${t.hint ? `: ${t.hint}` : ''}`,
          )
          .join('; ')}`,
        { tests: tests.results.filter((t) => !t.pass) },
      );
    const org = await orgOf(ctx, admin.orgId);
    // Production deployments would sign in a KMS; here the key comes from the database.
    const signer = {
      keyId: orgKeyId(org.signingPublicKey),
      privateKey: orgPrivateKey(await ctx.store.orgSigningKey(admin.orgId)),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const version = await ctx.store.nextBundleVersion(admin.orgId);
      const now = ctx.now();
      // The org's active policy is the one published last: a bundle carries one policy document.
      const bundle = signBundle(
        {
          version,
          issuedAt: new Date(now).toISOString(),
          organization: org.id,
          policy: document as PolicyDocument,
        },
        signer,
      );
      const text = canonicalJson(bundle as unknown as JsonValue);
      const etag = etagOf(text);
      const stored = await ctx.store.publishBundle(
        admin.orgId,
        { policyId, version: chosen.version },
        { version, etag, document: text, createdMs: now },
      );
      if (stored) {
        await audit(ctx, admin, 'policy.published', policyId, { version: chosen.version, bundle: version });
        return c.json({
          bundleVersion: version,
          etag,
          keyId: signer.keyId,
          policy: { id: policyId, name: policy.name, version: chosen.version, hash: chosen.hash },
        });
      }
    }
    throw new EdgeError('CONFLICT', 'Cannot publish: other publishes keep racing this one; retry');
  });

  app.get('/v1/admin/policy-bundle', async (c) => {
    const bundle = await ctx.store.latestBundle(c.get('admin').orgId);
    if (!bundle) return c.json({ bundle: null });
    return c.body(`{"bundle":${bundle.document},"etag":${JSON.stringify(bundle.etag)}}`, 200, {
      'content-type': 'application/json',
    });
  });

  // Managed MCP servers: what agents of the org are given to configure.
  app.get('/v1/admin/managed-mcp', async (c) => {
    const servers = await ctx.store.listManagedMcp(c.get('admin').orgId);
    return c.json({ items: servers.map(managedResponse) });
  });

  app.post('/v1/admin/managed-mcp', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, managedMcpSchema, ctx.settings);
    const now = ctx.now();
    const server = {
      id: randomId('mcp'),
      name: body.name,
      config: toTransport(body),
      createdMs: now,
      updatedMs: now,
    };
    if (!(await ctx.store.createManagedMcp(admin.orgId, server)))
      throw new EdgeError('CONFLICT', `Cannot add MCP server "${body.name}": one with that name exists`);
    await audit(ctx, admin, 'mcp.managed.added', server.id, { name: body.name, transport: body.transport });
    return c.json(managedResponse(server), 201);
  });

  app.put('/v1/admin/managed-mcp/:id', async (c) => {
    const admin = c.get('admin');
    const body = await readJson(c, managedMcpSchema, ctx.settings);
    const id = c.req.param('id');
    const existing = (await ctx.store.listManagedMcp(admin.orgId)).find((s) => s.id === id);
    if (!existing) throw new EdgeError('NOT_FOUND', `Cannot find managed MCP server "${id}"`);
    if (existing.name !== body.name)
      throw new EdgeError(
        'INVALID_INPUT',
        `Cannot rename MCP server "${existing.name}": delete and add it instead`,
      );
    await ctx.store.updateManagedMcp(admin.orgId, id, toTransport(body), ctx.now());
    await audit(ctx, admin, 'mcp.managed.updated', id, { name: body.name });
    return c.json(managedResponse({ ...existing, config: toTransport(body), updatedMs: ctx.now() }));
  });

  app.delete('/v1/admin/managed-mcp/:id', async (c) => {
    const admin = c.get('admin');
    const id = c.req.param('id');
    if (!(await ctx.store.deleteManagedMcp(admin.orgId, id)))
      throw new EdgeError('NOT_FOUND', `Cannot find managed MCP server "${id}"`);
    await audit(ctx, admin, 'mcp.managed.removed', id, null);
    return c.json({ id, deleted: true });
  });

  return app;
}

/** The admin row an email signs in as: the named org's, or the only one it has. */
async function membership(
  ctx: AppContext,
  address: string,
  slug: string | undefined,
): Promise<Admin | undefined> {
  const memberships = await ctx.store.listAdminMemberships(address);
  if (slug !== undefined) {
    const org = await ctx.store.getOrgBySlug(slug);
    return memberships.find((m) => m.orgId === org?.id);
  }
  if (memberships.length > 1)
    throw new EdgeError('ORG_REQUIRED', 'Cannot tell which organization to sign in to: pass "org"');
  return memberships[0];
}

async function orgOf(ctx: AppContext, orgId: string): Promise<Org> {
  const org = await ctx.store.getOrgById(orgId);
  if (!org) throw new EdgeError('UNKNOWN_ORG', `Cannot find organization "${orgId}"`);
  return org;
}

async function sessionResponse(ctx: AppContext, session: AdminSession): Promise<SessionResponse> {
  const org = await orgOf(ctx, session.orgId);
  return {
    email: session.email,
    role: session.role,
    org: { id: org.id, slug: org.slug, name: org.name },
    csrfToken: session.csrfToken,
    expiresAt: new Date(session.expiresMs).toISOString(),
  };
}

function orgResponse(org: Org) {
  return {
    id: org.id,
    slug: org.slug,
    name: org.name,
    allowedDomains: org.allowedDomains,
    requireApproval: org.requireApproval,
    signingKey: org.signingPublicKey,
    createdAt: iso(org.createdMs),
  };
}

function policyResponse(p: {
  id: string;
  name: string;
  latestVersion: number;
  publishedVersion: number | null;
  createdMs: number;
}) {
  return {
    id: p.id,
    name: p.name,
    latestVersion: p.latestVersion,
    publishedVersion: p.publishedVersion,
    createdAt: iso(p.createdMs),
  };
}

function managedResponse(s: {
  id: string;
  name: string;
  config: ManagedMcpTransport;
  createdMs: number;
  updatedMs: number;
}) {
  return { id: s.id, name: s.name, ...s.config, createdAt: iso(s.createdMs), updatedAt: iso(s.updatedMs) };
}

function toTransport(body: z.infer<typeof managedMcpSchema>): ManagedMcpTransport {
  return body.transport === 'stdio'
    ? { transport: 'stdio', command: body.command, args: body.args, env: body.env }
    : { transport: 'http', url: body.url, headers: body.headers };
}

/** The parsed policy document, or POLICY_INVALID listing every issue with its path. */
function parsedPolicy(ctx: AppContext, source: string): unknown {
  const result = ctx.validatePolicy(source);
  if (!result.ok)
    throw new EdgeError(
      'POLICY_INVALID',
      `Cannot accept the policy: ${result.issues
        .map((i) => `${i.path || '(policy)'}${i.line !== undefined ? ` (line ${i.line})` : ''}: ${i.message}`)
        .join('; ')}`,
      { issues: result.issues },
    );
  return result.document;
}

async function audit(
  ctx: AppContext,
  admin: AdminSession,
  action: string,
  target: string | null,
  details: unknown,
): Promise<void> {
  await ctx.store.recordActivity(admin.orgId, {
    timeMs: ctx.now(),
    actor: `admin:${admin.email}`,
    action,
    target,
    details: details === null ? null : JSON.stringify(details),
  });
}
