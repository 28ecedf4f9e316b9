import type { JournalEntry } from '@ceros/protocol';
import type { Hono } from 'hono';
import { createApp } from '../app.ts';
import type { EdgeDeps, EdgeEnv, EdgeSettings, Ledger } from '../deps.ts';
import {
  createTransparencyLog,
  type TransparencyLog,
  type TransparencyLogOptions,
} from '../ledger/transparency-log.ts';
import { createOutboxMailer, type OutboxMailer } from '../mail/mailer.ts';
import { addAdmin } from '../orgs.ts';
import { createLibsqlStore } from '../store/libsql-store.ts';
import type { EdgeStore, Org } from '../store/store.ts';
import type { FakeDevice } from './fake-device.ts';

/**
 * An edge for tests: a migrated libSQL store (`:memory:` unless told otherwise), the outbox mailer,
 * and a clock the test moves. Requests go through `app.request()`; no port.
 */
export interface TestEdge {
  app: Hono<EdgeEnv>;
  store: EdgeStore;
  outbox: OutboxMailer;
  clock: { now(): number; advance(ms: number): void; set(ms: number): void };
  /** The transparency log, when created with `tlog` (its background timer is not started). */
  tlog: TransparencyLog | undefined;
  request(path: string, init?: RequestInit, ip?: string): Promise<Response>;
}

export async function createTestEdge(
  options: {
    url?: string;
    settings?: Partial<EdgeSettings>;
    ledger?: Ledger;
    mailer?: EdgeDeps['mailer'];
    binaries?: EdgeDeps['binaries'];
    validatePolicy?: EdgeDeps['validatePolicy'];
    /** Where the app's log lines go (internal errors with their stacks); nowhere by default. */
    log?: EdgeDeps['log'];
    startMs?: number;
    /** Keep a transparency log named `edge.test` (or with these options) on the test clock. */
    tlog?: boolean | Partial<Omit<TransparencyLogOptions, 'store'>>;
  } = {},
): Promise<TestEdge> {
  const store = createLibsqlStore({ url: options.url ?? ':memory:' });
  await store.migrate();
  let now = options.startMs ?? Date.UTC(2026, 0, 15, 12, 0, 0);
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    set: (ms: number) => {
      now = ms;
    },
  };
  const outbox = createOutboxMailer({ now: () => new Date(now) });
  const tlog = options.tlog
    ? createTransparencyLog({
        store,
        name: 'edge.test',
        now: clock.now,
        ...(typeof options.tlog === 'object' ? options.tlog : {}),
      })
    : undefined;
  const app = createApp({
    store,
    mailer: options.mailer ?? outbox,
    clock,
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(tlog ? { tlog } : {}),
    ...(options.binaries ? { binaries: options.binaries } : {}),
    ...(options.validatePolicy ? { validatePolicy: options.validatePolicy } : {}),
    ...(options.log ? { log: options.log } : {}),
    settings: { publicUrl: 'http://edge.test', ...options.settings },
  });
  return {
    app,
    store,
    outbox,
    clock,
    tlog,
    request: async (path, init, ip = '192.0.2.1') => app.request(`http://edge.test${path}`, init, { ip }),
  };
}

/**
 * `ceros-edge admin add`: the organization (created on first use, accepting the admin's domain) and
 * its admin. A new organization waits for an admin's approval of every device (ORG_DEFAULTS); most
 * tests enroll a device and use it at once, so this one does not unless `requireApproval` says so.
 */
export async function createOrgWithAdmin(
  edge: TestEdge,
  input: { org: string; admin: string; role?: 'admin' | 'auditor'; requireApproval?: boolean },
): Promise<Org> {
  const { org, orgCreated } = await addAdmin(
    edge.store,
    { email: input.admin, orgName: input.org, role: input.role ?? 'admin' },
    edge.clock.now(),
  );
  if (!orgCreated) return org;
  const requireApproval = input.requireApproval ?? false;
  await edge.store.updateOrgSettings(org.id, { requireApproval });
  return { ...org, requireApproval };
}

/** The six-digit code in the newest message to `to`. */
export function lastCode(outbox: OutboxMailer, to: string): string {
  const message = [...outbox.messages].reverse().find((m) => m.to === to);
  const code = message?.text.match(/Your code: (\d{6})/)?.[1];
  if (!code) throw new Error(`No code was mailed to ${to}`);
  return code;
}

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function cookiesOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (pair && eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export interface AdminSessionForTest {
  cookie: string;
  csrf: string;
  /** Headers for a state-changing JSON request. */
  write: Record<string, string>;
  /** Headers for a read. */
  read: Record<string, string>;
}

export async function signInAdmin(edge: TestEdge, email: string, org?: string): Promise<AdminSessionForTest> {
  const start = await edge.request('/v1/admin/login/start', json({ email, ...(org ? { org } : {}) }));
  if (start.status !== 202) throw new Error(`login/start: ${start.status} ${await start.text()}`);
  const verify = await edge.request(
    '/v1/admin/login/verify',
    json({ email, code: lastCode(edge.outbox, email), ...(org ? { org } : {}) }),
  );
  if (verify.status !== 200) throw new Error(`login/verify: ${verify.status} ${await verify.text()}`);
  const token = cookiesOf(verify).ceros_admin;
  const body = (await verify.json()) as { csrfToken: string };
  const cookie = `ceros_admin=${token}`;
  return {
    cookie,
    csrf: body.csrfToken,
    read: { cookie },
    write: { cookie, 'x-csrf-token': body.csrfToken, 'content-type': 'application/json' },
  };
}

export interface EnrollResult {
  deviceId: string;
  status: string;
  poll: Record<string, unknown>;
  enrollmentId: string;
  pollToken: string;
}

/** Drives the whole browser flow for `device`: start, open the page, email, code, poll. */
export async function enrollDevice(
  edge: TestEdge,
  device: FakeDevice,
  input: { email: string; org?: string },
): Promise<EnrollResult> {
  const start = await edge.request(
    '/v1/enroll/start',
    json(device.enrollStartBody(input.org, edge.clock.now())),
  );
  if (start.status !== 201) throw new Error(`enroll/start: ${start.status} ${await start.text()}`);
  const started = (await start.json()) as { enrollmentId: string; userCode: string; pollToken: string };
  const page = await edge.request(`/enroll?code=${started.userCode}`);
  const csrf = cookiesOf(page).ceros_enroll_csrf ?? '';
  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ceros_enroll_csrf=${csrf}` },
    body: new URLSearchParams({ csrf, code: started.userCode, ...fields }).toString(),
  });
  const emailed = await edge.request('/enroll/email', form({ email: input.email }));
  if (emailed.status !== 200) throw new Error(`enroll/email: ${emailed.status} ${await emailed.text()}`);
  const verified = await edge.request('/enroll/verify', form({ otp: lastCode(edge.outbox, input.email) }));
  if (verified.status !== 200) throw new Error(`enroll/verify: ${verified.status} ${await verified.text()}`);
  const poll = await edge.request(
    '/v1/enroll/poll',
    json({ enrollmentId: started.enrollmentId, pollToken: started.pollToken }),
  );
  const body = (await poll.json()) as Record<string, unknown>;
  return {
    deviceId: device.id,
    status: String(body.status),
    poll: body,
    enrollmentId: started.enrollmentId,
    pollToken: started.pollToken,
  };
}

/** Uploads entries as the device, signed by its device key (or its session key). */
export function ingest(
  edge: TestEdge,
  device: FakeDevice,
  entries: readonly (JournalEntry | unknown)[],
  by: 'device' | 'session' = 'device',
): Promise<Response> {
  const body = JSON.stringify({ entries });
  return edge.request('/v1/agent/ingest', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...device.headers('POST', '/v1/agent/ingest', body, { by }),
    },
    body,
  });
}

/** A signed GET as the device. */
export function agentGet(
  edge: TestEdge,
  device: FakeDevice,
  path: string,
  extra: Record<string, string> = {},
) {
  return edge.request(path, { headers: { ...device.headers('GET', path), ...extra } });
}
