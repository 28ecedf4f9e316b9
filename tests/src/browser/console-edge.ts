/**
 * A real edge for browser tests and the console bench: the edge's own createApp over a libSQL
 * file in a temp data folder, served on a loopback port (Bun.serve, like main.ts), with the
 * console built from ui/ first; and Debian's Chromium driven by playwright-core.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  addAdmin,
  createApp,
  createLibsqlStore,
  createOutboxMailer,
  createTransparencyLog,
  type EdgeStore,
  type OutboxMailer,
  type TransparencyLog,
} from '@ceros/edge';
import {
  createNoteSigner,
  NOTE_COSIGNATURE_V1,
  type NoteVerifierKey,
  parseVerifierKey,
} from '@ceros/protocol';
import { buildConsole, type ConsoleBuild } from '@ceros/ui';
import { type BrowserContext, chromium, type Locator, type Page, type Route } from 'playwright-core';
import { serveWitness } from '../../../agent/src/witness/serve.ts';
import { createMemoryWitnessStore } from '../../../agent/src/witness/store.ts';
import { createWitness, type Witness, witnessLogsFromKeys } from '../../../agent/src/witness/witness.ts';
import { serveForTest } from '../../../edge/src/testing/serve.ts';

export const ROOT = join(import.meta.dir, '..', '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

export interface ConsoleEdge {
  url: string;
  store: EdgeStore;
  outbox: OutboxMailer;
  org: { id: string; slug: string; name: string };
  admin: string;
  build: ConsoleBuild;
  /** The organization's transparency log (every ingested entry), cosigned by one witness. */
  tlog: TransparencyLog;
  logKey: string;
  witnessKey: string;
  stop(): Promise<void>;
}

/**
 * A C2SP witness (the agent package's, as `ceros witness` runs it) on a loopback port; it follows
 * the log once `follow(logKey)` names it, since the edge creates the log key on first use.
 */
function startWitness() {
  const signer = createNoteSigner(
    'witness.acme.test/w1',
    NOTE_COSIGNATURE_V1,
    crypto.getRandomValues(new Uint8Array(32)),
  );
  let witness: Witness | undefined;
  const server = serveWitness(
    {
      name: signer.name,
      verifierKey: signer.verifierKey,
      addCheckpoint: (body) => {
        if (!witness) throw new Error('The witness follows no log yet');
        return witness.addCheckpoint(body);
      },
    },
    { port: 0, hostname: '127.0.0.1' },
  );
  return {
    server,
    endpoint: {
      url: server.url,
      key: (parseVerifierKey(signer.verifierKey) as { value: NoteVerifierKey }).value,
    },
    verifierKey: signer.verifierKey,
    follow(logKey: string) {
      witness = createWitness({
        signer,
        logs: witnessLogsFromKeys([logKey]),
        store: createMemoryWitnessStore(),
        now: () => Math.floor(Date.now() / 1000),
      });
    },
  };
}

export async function startConsoleEdge(options: {
  dataDir: string;
  admin?: string;
  orgName?: string;
  allowedDomain?: string;
}): Promise<ConsoleEdge> {
  const build = await buildConsole();
  mkdirSync(options.dataDir, { recursive: true });
  const store = createLibsqlStore({ url: `file:${join(options.dataDir, 'edge.db')}` });
  await store.migrate();
  const admin = options.admin ?? 'admin@acme.test';
  const { org } = await addAdmin(
    store,
    { email: admin, orgName: options.orgName ?? 'Acme', role: 'admin' },
    Date.now(),
  );
  // The seeded devices sync as soon as they enroll: no approval step (a new organization has one).
  await store.updateOrgSettings(org.id, {
    allowedDomains: [options.allowedDomain ?? 'acme.test'],
    requireApproval: false,
  });
  const outbox = createOutboxMailer();
  const witness = startWitness();
  const tlog = createTransparencyLog({
    store,
    name: 'edge.acme.test',
    witnesses: [witness.endpoint],
    checkpointIntervalMs: 500,
  });
  const logKey = (await tlog.logKey(org.id)).verifierKey;
  witness.follow(logKey);
  tlog.start();
  const app = createApp({ store, mailer: outbox, tlog });
  const served = serveForTest(app);
  return {
    url: served.url,
    store,
    outbox,
    org: { id: org.id, slug: org.slug, name: org.name },
    admin,
    build,
    tlog,
    logKey,
    witnessKey: witness.verifierKey,
    stop: async () => {
      await served.stop();
      await tlog.stop();
      await witness.server.stop();
      store.close();
    },
  };
}

/** The newest six-digit code mailed to `to`. */
export function codeFor(outbox: OutboxMailer, to: string): string {
  const message = [...outbox.messages].reverse().find((m) => m.to === to);
  const code = message?.text.match(/Your code: (\d{6})/)?.[1];
  if (!code) throw new Error(`No code was mailed to ${to}`);
  return code;
}

/** Debian's Chromium, headless, offline, with a fresh profile in `userDataDir`. */
export async function launchChromium(userDataDir: string): Promise<BrowserContext> {
  mkdirSync(userDataDir, { recursive: true });
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 860 },
    acceptDownloads: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Signs in through the console's own form, reading the code from the edge's outbox. */
export async function signInThroughConsole(page: Page, edge: ConsoleEdge, email = edge.admin): Promise<void> {
  await page.goto(edge.url);
  await page.getByLabel('Work email').fill(email);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await page.getByLabel('Six-digit code').waitFor();
  await page.getByLabel('Six-digit code').fill(codeFor(edge.outbox, email));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
}

/** A session cookie for `email` without the form (the bench signs in once, then measures views). */
export async function adminCookie(
  edge: ConsoleEdge,
  email = edge.admin,
): Promise<{ name: string; value: string; url: string }> {
  const post = (path: string, body: unknown) =>
    fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const start = await post('/v1/admin/login/start', { email });
  if (start.status !== 202) throw new Error(`login/start: ${start.status} ${await start.text()}`);
  const verify = await post('/v1/admin/login/verify', { email, code: codeFor(edge.outbox, email) });
  if (verify.status !== 200) throw new Error(`login/verify: ${verify.status} ${await verify.text()}`);
  const cookie = verify.headers.getSetCookie().find((line) => line.startsWith('ceros_admin='));
  const value = cookie?.split(';')[0]?.slice('ceros_admin='.length);
  if (!value) throw new Error('login/verify set no session cookie');
  return { name: 'ceros_admin', value, url: edge.url };
}

/** playwright-core has no test runner assertions: these wait like @playwright/test's do. */
export async function expectVisible(locator: Locator, timeoutMs = 5000): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
}

export async function expectText(locator: Locator, text: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen =
      (await locator
        .first()
        .textContent({ timeout: deadline - Date.now() })
        .catch(() => null)) ?? '';
    if (seen.includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Expected text "${text}" in ${String(locator)}; it reads "${seen.slice(0, 300)}"`);
}

/**
 * Holds the page's requests that `match` picks until `release()`, then sends them on to the real
 * edge unchanged: a test makes "while this is loading" a state it can act in, not a race it hopes
 * to win. `held` settles once the first such request is waiting.
 */
export async function holdRequests(
  page: Page,
  match: (method: string, url: URL) => boolean,
): Promise<{ held: Promise<void>; release(): Promise<void> }> {
  let onHeld = () => {};
  const held = new Promise<void>((resolve) => {
    onHeld = resolve;
  });
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const sent: Promise<void>[] = [];
  const pattern = (url: URL) => url.origin === new URL(page.url()).origin;
  const handler = async (route: Route) => {
    const request = route.request();
    if (!match(request.method(), new URL(request.url()))) return route.fallback();
    onHeld();
    const continued = gate.then(() => route.continue());
    sent.push(continued);
    await continued;
  };
  await page.route(pattern, handler);
  return {
    held,
    release: async () => {
      open();
      // Unrouting first would hand the held requests on before this handler does.
      await Promise.all(sent);
      await page.unroute(pattern, handler);
    },
  };
}
