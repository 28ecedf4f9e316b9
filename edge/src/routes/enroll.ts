import { verify } from 'node:crypto';
import {
  devicePublicKeyFromSpki,
  type EnrollmentPollResponse,
  enrollmentSigningBytes,
  fromBase64Url,
  type JsonValue,
} from '@ceros/protocol';
import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { assertSameOrigin, isSecure } from '../auth/admin-auth.ts';
import { sendCode, verifyCode } from '../auth/email-codes.ts';
import {
  deviceIdFromSpki,
  equalHex,
  equalText,
  generateUserCode,
  hashToken,
  normalizeUserCode,
  randomId,
  randomToken,
} from '../auth/secrets.ts';
import { MAX_CLOCK_SKEW_MS } from '../auth/signed-request.ts';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import {
  enrollCodePage,
  enrollDonePage,
  enrollEmailPage,
  enrollErrorPage,
  enrollOtpPage,
} from '../html/pages.ts';
import { baseUrl, clientIp, iso, parseJsonBytes, readBody, readForm, readJson } from '../http.ts';
import { orgKeyId } from '../policy/signed-document.ts';
import type { Enrollment, Org } from '../store/store.ts';
import { devOutboxEnabled } from './dev-outbox.ts';

/** The enrollment start request is signed by the device key over this prefix + canonical body. */
const ENROLL_CSRF_COOKIE = 'ceros_enroll_csrf';
const POLL_INTERVAL_MS = 2000;

const startSchema = z.strictObject({
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{40,400}$/, 'must be base64url SPKI DER'),
  keyProtection: z.enum(['tpm', 'secure-enclave', 'platform-crypto', 'software']),
  /** The id the agent already writes into its journal; derived from the key when absent. */
  deviceId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 letters, digits, _ or -')
    .optional(),
  org: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,47}$/)
    .optional(),
  device: z.strictObject({
    hostname: z.string().max(255).optional(),
    os: z.string().max(64).optional(),
    arch: z.string().max(64).optional(),
    cerosVersion: z.string().max(64).optional(),
  }),
  timestamp: z.number().int(),
  signature: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/),
});

const pollSchema = z.strictObject({
  enrollmentId: z.string().min(1).max(64),
  pollToken: z.string().min(1).max(128),
});

const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'is not an email address' }).max(254));

export type PollResponse = EnrollmentPollResponse;

export function enrollRoutes(ctx: AppContext): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  app.post('/v1/enroll/start', async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(type))
      throw new EdgeError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Cannot accept content type "${type}": send application/json`,
      );
    const bytes = await readBody(c, ctx.settings.maxJsonBytes);
    const body = parseJsonBytes(bytes, startSchema);
    const ip = clientIp(c, ctx.settings);
    const count = await ctx.store.hitRateLimit(
      `enroll:ip:${ip}`,
      ctx.settings.enrollStartPerIp.windowMs,
      ctx.now(),
    );
    if (count > ctx.settings.enrollStartPerIp.count)
      throw new EdgeError(
        'RATE_LIMITED',
        `Cannot start another enrollment from address "${ip}" now; try later`,
      );
    verifyStartSignature(
      body,
      JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, JsonValue>,
      ctx,
    );

    let org: Org | undefined;
    if (body.org !== undefined) {
      org = await ctx.store.getOrgBySlug(body.org);
      if (!org)
        throw new EdgeError(
          'UNKNOWN_ORG',
          `Cannot enroll into organization "${body.org}": it does not exist`,
        );
    }
    const deviceId = body.deviceId ?? deviceIdFromSpki(body.publicKey);
    const existing = await ctx.store.getDeviceForAuth(deviceId);
    if (existing && existing.publicKey !== body.publicKey)
      throw new EdgeError(
        'CONFLICT',
        `Cannot enroll device "${deviceId}": that id is registered to another key`,
      );
    if (existing?.status === 'revoked')
      throw new EdgeError(
        'DEVICE_REVOKED',
        `Cannot enroll device "${deviceId}": it was revoked; enroll with a new device key`,
      );
    if (existing && org && existing.orgId !== org.id)
      throw new EdgeError(
        'KEY_IN_USE',
        `Cannot enroll device "${deviceId}": its key is enrolled in another organization`,
      );

    const now = ctx.now();
    const pollToken = randomToken();
    const enrollment: Enrollment = {
      id: randomId('enr'),
      orgId: org?.id ?? existing?.orgId ?? null,
      userCode: generateUserCode(),
      pollTokenHash: hashToken(pollToken),
      deviceId,
      publicKey: body.publicKey,
      keyProtection: body.keyProtection,
      device: {
        hostname: body.device.hostname ?? null,
        os: body.device.os ?? null,
        arch: body.device.arch ?? null,
        cerosVersion: body.device.cerosVersion ?? null,
      },
      email: null,
      status: 'pending',
      createdMs: now,
      expiresMs: now + ctx.settings.enrollmentTtlMs,
      completedMs: null,
    };
    await ctx.store.createEnrollment(enrollment);
    const base = baseUrl(c, ctx.settings);
    return c.json(
      {
        enrollmentId: enrollment.id,
        deviceId,
        userCode: enrollment.userCode,
        verificationUrl: `${base}/enroll?code=${enrollment.userCode}`,
        enrollUrl: `${base}/enroll`,
        pollToken,
        pollIntervalMs: POLL_INTERVAL_MS,
        expiresAt: iso(enrollment.expiresMs),
      },
      201,
    );
  });

  app.post('/v1/enroll/poll', async (c) => {
    const body = await readJson(c, pollSchema, ctx.settings);
    const enrollment = await ctx.store.getEnrollment(body.enrollmentId);
    if (!enrollment || !equalHex(hashToken(body.pollToken), enrollment.pollTokenHash))
      throw new EdgeError('NOT_FOUND', `Cannot find enrollment "${body.enrollmentId}"`);
    return c.json(await pollState(ctx, enrollment, baseUrl(c, ctx.settings)));
  });

  app.get('/enroll', async (c) => {
    const csrf = enrollCsrf(c, ctx);
    const typed = c.req.query('code');
    if (typed === undefined) return c.html(enrollCodePage({ csrf }));
    const userCode = normalizeUserCode(typed);
    const enrollment = userCode ? await ctx.store.getEnrollmentByUserCode(userCode) : undefined;
    if (!enrollment || enrollment.expiresMs < ctx.now())
      return c.html(
        enrollCodePage({ csrf, code: typed, error: `Code "${typed}" is not a current enrollment code` }),
        404,
      );
    return renderEnrollment(c, ctx, enrollment, csrf);
  });

  app.post('/enroll/email', async (c) => {
    const csrf = enrollCsrf(c, ctx);
    const form = await readForm(c, ctx.settings);
    let enrollment: Enrollment | undefined;
    let email = form.get('email') ?? '';
    try {
      assertEnrollCsrf(c, ctx, form);
      enrollment = await enrollmentForForm(ctx, form);
      if (enrollment.status !== 'pending' && enrollment.status !== 'code_sent')
        return renderEnrollment(c, ctx, enrollment, csrf);
      const parsed = emailSchema.safeParse(email);
      if (!parsed.success)
        throw new EdgeError('INVALID_INPUT', `Cannot use "${email}": it is not an email address`);
      email = parsed.data;
      const org = await resolveOrg(ctx, enrollment, email);
      await sendCode(ctx, {
        purpose: 'enroll',
        subject: enrollment.id,
        email,
        ip: clientIp(c, ctx.settings),
        subjectLine: `Your ceros device code for ${org.name}`,
        intro: `Someone (hopefully you) is enrolling the device "${enrollment.device.hostname ?? enrollment.deviceId}" in ${org.name}.`,
      });
      await ctx.store.updateEnrollment(enrollment.id, { orgId: org.id, email, status: 'code_sent' });
      return c.html(
        enrollOtpPage({
          csrf,
          userCode: enrollment.userCode,
          email,
          devOutbox: devOutboxEnabled(ctx),
        }),
      );
    } catch (error) {
      if (!(error instanceof EdgeError)) throw error;
      if (!enrollment) return c.html(enrollErrorPage(error.message), error.status);
      const org = enrollment.orgId ? await ctx.store.getOrgById(enrollment.orgId) : undefined;
      return c.html(
        enrollEmailPage({
          csrf,
          userCode: enrollment.userCode,
          device: enrollment.device,
          keyProtection: enrollment.keyProtection,
          orgName: org?.name ?? null,
          email,
          error: error.message,
        }),
        error.status,
      );
    }
  });

  app.post('/enroll/verify', async (c) => {
    const csrf = enrollCsrf(c, ctx);
    const form = await readForm(c, ctx.settings);
    let enrollment: Enrollment | undefined;
    try {
      assertEnrollCsrf(c, ctx, form);
      enrollment = await enrollmentForForm(ctx, form);
      if (enrollment.status !== 'code_sent' || !enrollment.email || !enrollment.orgId)
        return renderEnrollment(c, ctx, enrollment, csrf);
      await verifyCode(ctx, 'enroll', enrollment.id, form.get('otp') ?? '');
      const { org, awaitingApproval } = await completeEnrollment(
        ctx,
        enrollment,
        enrollment.email,
        enrollment.orgId,
      );
      return c.html(enrollDonePage({ email: enrollment.email, orgName: org.name, awaitingApproval }));
    } catch (error) {
      if (!(error instanceof EdgeError)) throw error;
      if (!enrollment?.email) return c.html(enrollErrorPage(error.message), error.status);
      return c.html(
        enrollOtpPage({
          csrf,
          userCode: enrollment.userCode,
          email: enrollment.email,
          devOutbox: devOutboxEnabled(ctx),
          error: error.message,
        }),
        error.status,
      );
    }
  });

  return app;
}

function verifyStartSignature(
  body: z.infer<typeof startSchema>,
  raw: Record<string, JsonValue>,
  ctx: AppContext,
): void {
  if (Math.abs(ctx.now() - body.timestamp) > MAX_CLOCK_SKEW_MS)
    throw new EdgeError(
      'STALE_REQUEST',
      'Cannot start enrollment: the request timestamp is too far from the edge clock',
    );
  let good = false;
  try {
    const key = devicePublicKeyFromSpki(body.publicKey);
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new EdgeError('INVALID_INPUT', 'Cannot enroll the device key: it must be an ECDSA P-256 key');
    const { signature: _signature, ...signed } = raw;
    const message = enrollmentSigningBytes(signed as Record<string, JsonValue>);
    good = verify('sha256', message, { key, dsaEncoding: 'der' }, fromBase64Url(body.signature));
  } catch (error) {
    if (error instanceof EdgeError) throw error;
    throw new EdgeError('INVALID_INPUT', `Cannot read the device public key: ${(error as Error).message}`);
  }
  if (!good)
    throw new EdgeError(
      'BAD_SIGNATURE',
      'Cannot start enrollment: the request is not signed by the presented device key',
    );
}

async function pollState(ctx: AppContext, enrollment: Enrollment, edgeUrl: string): Promise<PollResponse> {
  let status = enrollment.status;
  if (status === 'awaiting_approval' && enrollment.orgId) {
    const device = await ctx.store.getDevice(enrollment.orgId, enrollment.deviceId);
    if (device?.status === 'active') {
      status = 'complete';
      await ctx.store.updateEnrollment(enrollment.id, { status, completedMs: ctx.now() });
    } else if (device?.status === 'revoked') {
      status = 'denied';
      await ctx.store.updateEnrollment(enrollment.id, { status });
    }
  }
  if (status === 'complete' && enrollment.orgId && enrollment.email) {
    const org = await ctx.store.getOrgById(enrollment.orgId);
    if (!org) throw new EdgeError('UNKNOWN_ORG', `Cannot find organization "${enrollment.orgId}"`);
    return {
      status: 'complete',
      deviceId: enrollment.deviceId,
      org: { id: org.id, slug: org.slug, name: org.name },
      userEmail: enrollment.email,
      orgSigningKey: org.signingPublicKey,
      orgSigningKeyId: orgKeyId(org.signingPublicKey),
      edgeUrl,
      ...(ctx.tlog ? { logKey: (await ctx.tlog.logKey(org.id)).verifierKey } : {}),
    };
  }
  if (status === 'denied') return { status: 'denied', message: 'An admin refused this device' };
  if (enrollment.expiresMs < ctx.now())
    throw new EdgeError(
      'ENROLLMENT_EXPIRED',
      `Cannot continue enrollment "${enrollment.id}": it expired; start again`,
    );
  return {
    status: status === 'awaiting_approval' ? 'awaiting_approval' : 'pending',
    pollIntervalMs: POLL_INTERVAL_MS,
    expiresAt: new Date(enrollment.expiresMs).toISOString(),
  };
}

/**
 * The organization an email enrolls into: the one the install link or `--org` named, else the only
 * one whose allowed domains include the address, else the only organization on this edge. The
 * address must be at one of its allowed domains (none listed: any), or belong to a user an admin
 * provisioned there (POST /v1/admin/users): how a contractor outside the domains gets in.
 */
async function resolveOrg(ctx: AppContext, enrollment: Enrollment, email: string): Promise<Org> {
  const domain = email.slice(email.lastIndexOf('@') + 1);
  let org: Org | undefined;
  if (enrollment.orgId) org = await ctx.store.getOrgById(enrollment.orgId);
  else {
    const orgs = await ctx.store.listOrgs();
    const matching = orgs.filter((o) => o.allowedDomains.includes(domain));
    org = matching.length === 1 ? matching[0] : orgs.length === 1 ? orgs[0] : undefined;
  }
  if (!org)
    throw new EdgeError(
      'ORG_REQUIRED',
      `Cannot tell which organization "${email}" belongs to: use your organization's install link or "ceros enroll URL --org NAME"`,
    );
  if (
    org.allowedDomains.length > 0 &&
    !org.allowedDomains.includes(domain) &&
    !(await ctx.store.getUserByEmail(org.id, email))
  )
    throw new EdgeError(
      'EMAIL_DOMAIN_NOT_ALLOWED',
      `Cannot enroll "${email}" in ${org.name}: it accepts only ${org.allowedDomains.map((d) => `@${d}`).join(', ')} addresses and users an admin added`,
    );
  return org;
}

async function completeEnrollment(
  ctx: AppContext,
  enrollment: Enrollment,
  email: string,
  orgId: string,
): Promise<{ org: Org; awaitingApproval: boolean }> {
  const org = await ctx.store.getOrgById(orgId);
  if (!org) throw new EdgeError('UNKNOWN_ORG', `Cannot find organization "${orgId}"`);
  const now = ctx.now();
  const user = await ctx.store.ensureUser(org.id, email, 'active', now);
  if (user.status === 'revoked')
    throw new EdgeError(
      'USER_REVOKED',
      `Cannot enroll a device for "${email}": the user was revoked in ${org.name}`,
    );
  await ctx.store.activateUser(org.id, user.id, now);
  const existing = await ctx.store.getDevice(org.id, enrollment.deviceId);
  const awaitingApproval = existing ? existing.status === 'pending' : org.requireApproval;
  await ctx.store.registerDevice({
    orgId: org.id,
    id: enrollment.deviceId,
    userId: user.id,
    publicKey: enrollment.publicKey,
    keyProtection: enrollment.keyProtection,
    status: awaitingApproval ? 'pending' : 'active',
    info: enrollment.device,
    nowMs: now,
  });
  await ctx.store.updateEnrollment(enrollment.id, {
    status: awaitingApproval ? 'awaiting_approval' : 'complete',
    completedMs: now,
  });
  await ctx.store.recordActivity(org.id, {
    timeMs: now,
    actor: `user:${email}`,
    action: awaitingApproval ? 'device.enrolled.pending' : 'device.enrolled',
    target: enrollment.deviceId,
    details: JSON.stringify({ ...enrollment.device, keyProtection: enrollment.keyProtection }),
  });
  return { org, awaitingApproval };
}

async function enrollmentForForm(ctx: AppContext, form: URLSearchParams): Promise<Enrollment> {
  const userCode = normalizeUserCode(form.get('code') ?? '');
  const enrollment = userCode ? await ctx.store.getEnrollmentByUserCode(userCode) : undefined;
  if (!enrollment)
    throw new EdgeError('NOT_FOUND', 'Cannot find that enrollment code; start again from your terminal');
  if (enrollment.expiresMs < ctx.now() && enrollment.status !== 'complete')
    throw new EdgeError(
      'ENROLLMENT_EXPIRED',
      'Cannot continue: this enrollment expired; run "ceros enroll" again',
    );
  return enrollment;
}

async function renderEnrollment(c: Context<EdgeEnv>, ctx: AppContext, enrollment: Enrollment, csrf: string) {
  if (enrollment.status === 'complete' || enrollment.status === 'awaiting_approval') {
    const org = enrollment.orgId ? await ctx.store.getOrgById(enrollment.orgId) : undefined;
    return c.html(
      enrollDonePage({
        email: enrollment.email ?? '',
        orgName: org?.name ?? '',
        awaitingApproval: enrollment.status === 'awaiting_approval',
      }),
    );
  }
  if (enrollment.status === 'denied') return c.html(enrollErrorPage('An admin refused this device'), 403);
  const org = enrollment.orgId ? await ctx.store.getOrgById(enrollment.orgId) : undefined;
  return c.html(
    enrollEmailPage({
      csrf,
      userCode: enrollment.userCode,
      device: enrollment.device,
      keyProtection: enrollment.keyProtection,
      orgName: org?.name ?? null,
    }),
  );
}

/** Double-submit token for the enrollment forms: a SameSite=Strict cookie echoed in a hidden field. */
function enrollCsrf(c: Context<EdgeEnv>, ctx: AppContext): string {
  const existing = getCookie(c, ENROLL_CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken();
  setCookie(c, ENROLL_CSRF_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isSecure(c, ctx),
    path: '/enroll',
  });
  return token;
}

function assertEnrollCsrf(c: Context<EdgeEnv>, ctx: AppContext, form: URLSearchParams): void {
  assertSameOrigin(c, ctx);
  const cookie = getCookie(c, ENROLL_CSRF_COOKIE);
  const sent = form.get('csrf');
  if (!cookie || !sent || !equalText(cookie, sent))
    throw new EdgeError(
      'CSRF_FAILED',
      'Cannot accept the form: it did not come from this page; reload and retry',
    );
}
