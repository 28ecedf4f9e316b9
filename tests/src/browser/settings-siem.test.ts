import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createSiemExporter } from '../../../edge/src/siem/exporter.ts';
import { type HecReceiver, startHecReceiver } from '../../../edge/src/siem/testing/hec-receiver.ts';
import { freePort, makeTestCa, type TestCa } from '../siem/rsyslog.ts';
import {
  type ConsoleEdge,
  expectText,
  launchChromium,
  SCREENSHOTS,
  signInThroughConsole,
  startConsoleEdge,
} from './console-edge.ts';
import { seedSampleDevice } from './seed.ts';

/**
 * Settings > SIEM export in Debian's Chromium against a real edge: an admin tries sinks with a
 * wrong token, an unreachable host and a certificate from the wrong CA (each refused with the
 * receiver's answer on the page, nothing added), adds a working HEC sink over TLS, sees what it
 * delivered, and sees the error and the pending count while the receiver is down.
 */
const TOKEN = 'c0ffee00-1111-2222-3333-444455556666';
let dir: string;
let edge: ConsoleEdge;
let context: BrowserContext;
let page: Page;
let ca: TestCa;
let receiver: HecReceiver;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-settings-siem-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  ca = makeTestCa(dir);
  receiver = startHecReceiver({
    token: TOKEN,
    tls: { cert: readFileSync(ca.certFile, 'utf8'), key: readFileSync(ca.keyFile, 'utf8') },
  });
  edge = await startConsoleEdge({ dataDir: join(dir, 'edge') });
  await seedSampleDevice(edge);
  context = await launchChromium(join(dir, 'chromium'));
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The 422s and 400s below are the edge refusing sinks that fail their test: expected.
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4(01|00|22)/.test(message.text()))
      pageErrors.push(message.text());
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await edge?.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const form = () => page.getByRole('form', { name: 'Add a SIEM sink' });

async function fill(fields: { name: string; url: string; token: string; ca: string }) {
  await form().getByLabel('Name').fill(fields.name);
  await form().getByLabel('Receiver').selectOption('hec');
  await form().getByLabel('URL').fill(fields.url);
  await form().getByLabel('HEC token').fill(fields.token);
  await form()
    .getByLabel(/CA certificate/)
    .fill(fields.ca);
}

describe('the SIEM section of the Settings page', () => {
  test('refuses a wrong token, an unreachable host and a wrong CA with the receiver’s answer', async () => {
    await signInThroughConsole(page, edge);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 2, name: 'SIEM export' }).waitFor();
    await expectText(page.locator('[data-ready="siem"]'), 'No sinks yet');

    await fill({ name: 'splunk', url: receiver.url, token: 'wrong-token', ca: ca.caPem });
    await form().getByRole('button', { name: 'Test and add' }).click();
    await expectText(
      form().getByRole('alert'),
      `Cannot add the sink "splunk": The HEC receiver at "${receiver.url}" refused the token (403: Invalid token, code 4)`,
    );

    const closed = await freePort();
    await fill({ name: 'splunk', url: `https://127.0.0.1:${closed}`, token: TOKEN, ca: ca.caPem });
    await form().getByRole('button', { name: 'Send a test event' }).click();
    await expectText(
      form().getByRole('alert'),
      `Cannot reach "https://127.0.0.1:${closed}": connection refused`,
    );

    await fill({ name: 'splunk', url: receiver.url, token: TOKEN, ca: ca.otherCaPem });
    await form().getByRole('button', { name: 'Test and add' }).click();
    await expectText(
      form().getByRole('alert'),
      `Cannot add the sink "splunk": Cannot verify the TLS certificate of "${receiver.url}"`,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-siem-bad-tls.png'), fullPage: true });
    expect(await edge.store.listSinks(edge.org.id)).toEqual([]);
    expect(receiver.events).toEqual([]);
  });

  test('adds a working sink, shows what it delivered, and the error while the receiver is down', async () => {
    await fill({ name: 'splunk', url: receiver.url, token: TOKEN, ca: ca.caPem });
    await form().getByRole('button', { name: 'Send a test event' }).click();
    await expectText(form().getByRole('status'), 'The receiver took a test event');
    await form().getByRole('button', { name: 'Test and add' }).click();
    const row = page.locator('tr[data-sink="splunk"]');
    await expectText(row, `Splunk HEC · ${receiver.url}`);
    // The token never comes back to the browser.
    expect(await page.content()).not.toContain(TOKEN);

    const exporter = createSiemExporter({ store: edge.store, productVersion: '0.1.0' });
    await exporter.runOnce();
    const delivered = receiver.events.length - 2; // the two test events
    expect(delivered).toBeGreaterThan(5);
    await page.reload();
    await expectText(row.locator('[data-field="delivered"]'), String(delivered));
    await expectText(row.locator('[data-field="dead-letters"]'), '0');
    await expectText(row.locator('[data-field="state"]'), 'Delivering');

    await receiver.down();
    await seedSampleDevice(edge, 'second@acme.test');
    await exporter.runOnce();
    await page.reload();
    await expectText(
      row.locator('[data-field="state"]'),
      `Cannot reach "${receiver.url}": connection refused`,
    );
    expect(Number(await row.locator('[data-field="pending"]').textContent())).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-siem-failing.png'), fullPage: true });
    await row.getByRole('button', { name: 'Test' }).click();
    await expectText(row.getByRole('alert').last(), 'connection refused');
    await exporter.stop();
    expect(pageErrors).toEqual([]);
  });
});
