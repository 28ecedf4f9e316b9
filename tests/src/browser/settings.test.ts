import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, machine, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type CerosSession, cerosBinary, cerosSession } from '../e2e/ceros.ts';
import { enrollmentCodeFrom } from '../e2e/enroll-in-browser.ts';
import { spawnRetrying } from '../harness/claude.ts';
import {
  type ConsoleEdge,
  codeFor,
  expectText,
  expectVisible,
  launchChromium,
  SCREENSHOTS,
  signInThroughConsole,
  startConsoleEdge,
} from './console-edge.ts';

/**
 * The console's Settings page in Debian's Chromium against a real edge: an admin opens the
 * organization to a partner domain and turns on device approval, and the edge enforces both when a
 * real `dist/ceros enroll` on this machine goes through the enrollment pages in the same browser,
 * which show the host name, system and key type the agent sent.
 */
let dir: string;
let edge: ConsoleEdge;
let context: BrowserContext;
let page: Page;
const sessions: CerosSession[] = [];
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-settings-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  edge = await startConsoleEdge({ dataDir: join(dir, 'edge') });
  context = await launchChromium(join(dir, 'chromium'));
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // A 401 before signing in, and the 400 the bad domain below gets, are the edge answering.
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[01]/.test(message.text()))
      pageErrors.push(message.text());
  });
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.close();
  await context?.close();
  await edge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `ceros enroll` of a fresh CEROS_HOME on this machine; returns its code and the running process. */
async function startEnroll() {
  const session = await cerosSession([]);
  sessions.push(session);
  const child = await spawnRetrying(() =>
    Bun.spawn([cerosBinary(), 'enroll', edge.url, '--org', edge.org.slug, '--no-browser'], {
      env: session.env,
      stdout: 'pipe',
      stderr: 'pipe',
    }),
  );
  return { session, child, userCode: await enrollmentCodeFrom(child.stderr as ReadableStream<Uint8Array>) };
}

describe('the Settings page', () => {
  test('shows the install link and the restrictive settings, and an admin changes them', async () => {
    await signInThroughConsole(page, edge);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await expectText(
      page.getByRole('figure', { name: 'install command' }),
      `curl -fsSL '${edge.url}/install.sh?org=${edge.org.slug}' | sh`,
    );
    const domains = page.getByLabel('Allowed email domains');
    expect(await domains.inputValue()).toBe('acme.test');
    const approval = page.getByLabel("New devices need an admin's approval before they can sync");
    // console-edge.ts turned approval off for its seeded devices; an admin turns it back on here.
    expect(await approval.isChecked()).toBe(false);
    const save = page.getByRole('button', { name: 'Save' });
    expect(await save.isDisabled()).toBe(true);

    await domains.fill('');
    await expectVisible(page.getByText('Any email address can enroll.'));
    await domains.fill('acme.test\n@Partner.test');
    await approval.check();
    await save.click();
    await expectVisible(page.getByRole('status').getByText('Saved the enrollment settings'));
    const org = await edge.store.getOrgById(edge.org.id);
    expect(org).toMatchObject({ allowedDomains: ['acme.test', 'partner.test'], requireApproval: true });
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    expect(await page.getByLabel('Allowed email domains').inputValue()).toBe('acme.test\npartner.test');
    await shot('settings');

    // A bad domain comes back from the edge naming the field.
    await page.getByLabel('Allowed email domains').fill('acme.test\nnot a domain');
    await page.getByRole('button', { name: 'Save' }).click();
    await expectText(page.getByRole('alert'), 'allowedDomains.1: is not a domain name');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('the edge enforces them on a real enrollment, whose page shows what the agent sent', async () => {
    const { session, child, userCode } = await startEnroll();
    const enrollPage = await context.newPage();
    try {
      await enrollPage.goto(`${edge.url}/enroll?code=${encodeURIComponent(userCode)}`);
      const facts = enrollPage.locator('dl');
      await expectText(facts, hostname());
      await expectText(facts, machine());
      await expectText(facts, 'ECDSA P-256');
      const system = (await facts.textContent()) ?? '';
      expect(system).not.toContain('not sent by the device');
      const osRelease = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
      if (osRelease) expect(system).toContain(osRelease);
      await enrollPage.screenshot({ path: join(SCREENSHOTS, 'settings-enroll-page.png') });

      // An address outside the allowed domains is refused on the page, and gets no code.
      await enrollPage.getByLabel('Your work email').fill('eve@elsewhere.test');
      await enrollPage.getByRole('button', { name: 'Email me a code' }).click();
      await expectText(enrollPage.getByRole('alert'), 'it accepts only @acme.test, @partner.test addresses');
      expect(edge.outbox.messages.some((m) => m.to === 'eve@elsewhere.test')).toBe(false);

      // The partner domain the admin added enrolls (the form posts from the page: a real Origin).
      await enrollPage.getByLabel('Your work email').fill('pat@partner.test');
      await enrollPage.getByRole('button', { name: 'Email me a code' }).click();
      await enrollPage.getByLabel('Code', { exact: true }).fill(codeFor(edge.outbox, 'pat@partner.test'));
      await enrollPage.getByRole('button', { name: 'Verify' }).click();
      await expectVisible(enrollPage.getByRole('heading', { name: 'Waiting for approval' }));
    } finally {
      await enrollPage.close();
    }

    // Approval is on: the device waits, pending, until the admin approves it in the console.
    await page.goto(`${edge.url}/devices?status=pending`);
    const row = page.getByRole('row', { name: /pat@partner\.test/ });
    await expectVisible(row);
    await expectText(row, hostname());
    await row.getByRole('link').first().click();
    await page.getByRole('button', { name: 'Approve' }).click();
    await expectVisible(page.getByRole('status').getByText(/^Approved /));
    expect(await child.exited).toBe(0);
    const config = JSON.parse(readFileSync(join(session.home, 'config.json'), 'utf8')) as {
      deviceId: string;
      userEmail: string;
    };
    expect(config.userEmail).toBe('pat@partner.test');
    const device = await edge.store.getDevice(edge.org.id, config.deviceId);
    expect(device).toMatchObject({ status: 'active', hostname: hostname(), arch: machine() });
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
