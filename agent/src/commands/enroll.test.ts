import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, machine, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addAdmin, createApp, createLibsqlStore, createSmtpMailer, type EdgeStore } from '@ceros/edge';
import { type ServedApp, type SmtpSink, serveForTest, startSmtpSink } from '@ceros/edge/src/testing/index.ts';
import { EXIT } from '../cli/command.ts';
import { createFileKeystore } from '../keystore/file.ts';
import { VERSION } from '../version.ts';
import { type EnrollContext, runEnroll } from './enroll.ts';

let smtp: SmtpSink;
let store: EdgeStore;
let served: ServedApp;
let home: string;
let orgId: string;

beforeAll(async () => {
  smtp = await startSmtpSink();
  store = createLibsqlStore({ url: ':memory:' });
  await store.migrate();
  orgId = (await addAdmin(store, { email: 'boss@acme.test', orgName: 'Acme', role: 'admin' }, Date.now())).org
    .id;
  // A new organization waits for an admin's approval of each device; one test below turns it on.
  await store.updateOrgSettings(orgId, { requireApproval: false });
  const app = createApp({ store, mailer: createSmtpMailer({ url: smtp.url, from: 'ceros@edge.test' }) });
  served = serveForTest(app);
});
afterAll(async () => {
  await served.stop();
  await smtp.close();
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ceros-enroll-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** The enrollment pages the human saw, newest last. */
const pagesSeen: string[] = [];

/** A person at a browser: opens the page, types their email, reads the code from their inbox, types it. */
async function human(verificationUrl: string, email: string): Promise<void> {
  const page = await fetch(verificationUrl);
  pagesSeen.push(await page.clone().text());
  const csrf = /ceros_enroll_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const userCode = new URL(verificationUrl).searchParams.get('code') ?? '';
  const post = (path: string, fields: Record<string, string>) =>
    fetch(`${served.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ceros_enroll_csrf=${csrf}` },
      body: new URLSearchParams({ csrf, code: userCode, ...fields }).toString(),
    });
  await post('/enroll/email', { email });
  await post('/enroll/verify', { otp: await smtp.codeFor(email) });
}

function context(overrides: Partial<EnrollContext> = {}): EnrollContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    env: { CEROS_HOME: home },
    cwd: home,
    readStdin: async () => '',
    progress: (line) => lines.push(line),
    keystore: createFileKeystore(join(home, 'keys')),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
    device: { hostname: 'laptop-7', os: 'linux', arch: 'x64', cerosVersion: '0.1.0' },
    lines,
    ...overrides,
  };
}

describe('ceros enroll', () => {
  test('--help explains the command', async () => {
    const result = await runEnroll(['--help'], context());
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: ceros enroll [EDGE_URL]');
  });

  test('without an edge URL it says how to name one', async () => {
    const result = await runEnroll([], context());
    expect(result.exitCode).toBe(EXIT.USAGE);
    expect(result.stderr).toContain('name the edge');
  });

  test('opens the browser, waits for the emailed code, and writes config.json 0600', async () => {
    const ctx = context({
      openUrl: async (url) => {
        void human(url, 'dev@acme.test');
        return true;
      },
    });
    const result = await runEnroll([served.url, '--org', 'acme'], ctx);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Enrolled device dev_[0-9a-f-]{36} for dev@acme.test in Acme/);
    expect(ctx.lines).toContainEqual(expect.stringContaining('Opened http'));
    const path = join(home, 'config.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readFileSync(path, 'utf8'));
    const key = await ctx.keystore.load('device');
    // The id the journal signs with (device.json) is the id the edge registered.
    const record = JSON.parse(readFileSync(join(home, 'device.json'), 'utf8'));
    expect(config.deviceId).toBe(record.deviceId);
    expect(config).toMatchObject({
      v: 1,
      edgeUrl: served.url,
      org: { id: orgId, slug: 'acme', name: 'Acme' },
      userEmail: 'dev@acme.test',
      keyName: 'device',
      keyProtection: 'software',
    });
    const device = await store.getDevice(orgId, config.deviceId);
    expect(device?.publicKey).toBe(key?.publicKeySpki);
    expect(device?.hostname).toBe('laptop-7');
  });

  test("without a description it sends this machine's host name, system and version, and the page shows them", async () => {
    const ctx: EnrollContext = context({
      openUrl: async (url) => {
        void human(url, 'host@acme.test');
        return true;
      },
    });
    delete ctx.device;
    const result = await runEnroll([served.url, '--org', 'acme'], ctx);
    expect(result.exitCode).toBe(0);
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'));
    const device = await store.getDevice(orgId, config.deviceId);
    expect(device).toMatchObject({ hostname: hostname(), arch: machine(), cerosVersion: VERSION });
    expect(device?.os).toBeTruthy();
    const page = pagesSeen.at(-1) ?? '';
    expect(page).toContain(`<dt>Host name</dt><dd>${hostname()}</dd>`);
    expect(page).toContain(machine());
    expect(page).toContain('ECDSA P-256, in a file of this user');
    expect(page).not.toContain('not sent by the device');
  });

  test('without a browser it prints the link and the short code for the human to type', async () => {
    const ctx = context({
      progress: (line) => {
        const code = /enter the code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(line)?.[1];
        if (code) void human(`${served.url}/enroll?code=${code}`, 'nobrowser@acme.test');
      },
    });
    const result = await runEnroll([served.url, '--no-browser', '--org', 'acme'], ctx);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('nobrowser@acme.test');
  });

  test("the installer's install.json names the edge and organization", async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'install.json'), JSON.stringify({ edgeUrl: served.url, org: 'acme' }));
    const result = await runEnroll(
      [],
      context({
        openUrl: async (url) => {
          void human(url, 'installed@acme.test');
          return true;
        },
      }),
    );
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).org.slug).toBe('acme');
  });

  test('waits for an admin when the organization requires approval', async () => {
    await store.updateOrgSettings(orgId, { requireApproval: true });
    try {
      const ctx = context({
        openUrl: async (url) => {
          void human(url, 'approve-me@acme.test');
          return true;
        },
        progress: (line) => {
          if (!line.includes('approve')) return;
          void (async () => {
            const pending = await store.listDevices(orgId, { status: 'pending' }, null, 10);
            for (const device of pending.items)
              await store.setDeviceStatus(orgId, device.id, 'active', Date.now(), null);
          })();
        },
      });
      const result = await runEnroll([served.url, '--org', 'acme'], ctx);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('approve-me@acme.test');
    } finally {
      await store.updateOrgSettings(orgId, { requireApproval: false });
    }
  });

  test("the edge's refusal is shown with its reason", async () => {
    const result = await runEnroll([served.url, '--org', 'globex'], context());
    expect(result.exitCode).toBe(EXIT.REFUSED);
    expect(result.stderr).toContain('Cannot enroll into organization "globex": it does not exist');
  });

  test('an unreachable edge is a plain failure', async () => {
    const result = await runEnroll(['http://127.0.0.1:1'], context());
    expect(result.exitCode).toBe(EXIT.FAILURE);
    expect(result.stderr).toContain('Cannot reach the edge');
  });
});
