import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { cerosBinary, readJournal, readLiveJournal } from '../e2e/ceros.ts';
import { spawnRetrying } from '../harness/claude.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import {
  type ConsoleEdge,
  expectText,
  expectVisible,
  launchChromium,
  SCREENSHOTS,
  signInThroughConsole,
  startConsoleEdge,
} from './console-edge.ts';
import { enrollNextSessionMachine, type NextSessionMachine } from './next-session.ts';

/**
 * Issue 14.2 and 14.5 as an admin sees them, end to end: a real `dist/ceros` enrolled with a real
 * edge runs real Claude Code sessions; one wrapper is killed with -9 and the next session ends it;
 * then the journal is truncated after it synced and the next session opens a new chain epoch on
 * the edge's head. The console (Debian's Chromium) shows the rewind on the device page with the
 * statement from the signed entry, counts the device on the dashboard, and shows the killed
 * session as abandoned.
 */
let dir: string;
let edge: ConsoleEdge;
let context: BrowserContext;
let page: Page;
let machine: NextSessionMachine | undefined;
const pageErrors: string[] = [];

const PRINT = ['--allowedTools', 'Bash'];
const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-integrity-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  edge = await startConsoleEdge({ dataDir: join(dir, 'edge') });
  context = await launchChromium(join(dir, 'chromium'));
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 401/.test(message.text())) pageErrors.push(message.text());
  });
}, 60_000);

afterAll(async () => {
  await machine?.close();
  await context?.close();
  await edge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until the edge holds the device's journal up to `seq`: the session's drain uploaded it. */
async function edgeHolds(deviceId: string, seq: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const device = await edge.store.getDevice(edge.org.id, deviceId);
    if ((device?.headSeq ?? -1) >= seq) return;
    if (Date.now() > deadline)
      throw new Error(`The edge holds seq ${device?.headSeq} of ${deviceId}, not ${seq}`);
    await Bun.sleep(100);
  }
}

describe('journal integrity on the console', () => {
  test('a killed wrapper and a rewound journal, from the real agent to the device page and the dashboard', async () => {
    machine = await enrollNextSessionMachine(edge, context, 'dev@acme.test');
    const { session, deviceId } = machine;
    const journalFile = join(session.home, 'journal', 'journal.jsonl');

    const first = await machine.run('hello', [turn('Hello.')], []);
    expect(first.exitCode).toBe(0);

    // A session whose wrapper is killed while its tool call runs: no end of its own.
    machine.script([
      turn(toolUseBlock('Bash', { command: 'sleep 2; echo slept' }, 'toolu_sleep')),
      turn('ok'),
    ]);
    const child = await spawnRetrying(() =>
      Bun.spawn([cerosBinary(), 'claude', '-p', 'go', '--output-format', 'json', ...PRINT], {
        env: session.env,
        cwd: session.sandbox.project,
        stdout: 'ignore',
        stderr: 'ignore',
      }),
    );
    const deadline = Date.now() + 30_000;
    while (!readLiveJournal(session.home).some((e) => e.type === 'tool.decision')) {
      if (Date.now() > deadline) throw new Error('the tool call was never decided');
      await Bun.sleep(50);
    }
    child.kill('SIGKILL');
    await child.exited;
    const killed = readLiveJournal(session.home).findLast((e) => e.type === 'session.start');
    try {
      process.kill(Number(killed?.payload.claudePid), 'SIGKILL');
    } catch {
      // Claude Code had already exited.
    }

    // The next session ends it (session.abandoned) and uploads everything.
    const next = await machine.run('hello again', [turn('Hi.')], []);
    expect(next.exitCode).toBe(0);
    const synced = readJournal(session.home);
    expect(synced.some((e) => e.type === 'session.abandoned' && e.payload.session === killed?.session)).toBe(
      true,
    );
    await edgeHolds(deviceId, synced.length - 1);

    // The journal is rewound after it synced; the next session opens a new epoch on the edge's head.
    const lines = readFileSync(journalFile, 'utf8').split('\n').filter(Boolean);
    writeFileSync(journalFile, `${lines.slice(0, 4).join('\n')}\n`);
    const after = await machine.run('after the restore', [turn('Still here.')], []);
    expect(after.exitCode).toBe(0);
    expect(after.stderr).toContain('A new chain epoch begins here');
    const alert = readJournal(session.home).find(
      (e) => e.type === 'alert' && e.payload.kind === 'journal-rewound',
    );
    const statement = String(alert?.payload.message);
    expect(statement).toContain('The journal was rewound: it ends at seq 3');
    await edgeHolds(deviceId, alert?.seq ?? Number.POSITIVE_INFINITY);

    await signInThroughConsole(page, edge);
    const stat = page.locator('.stat').filter({ hasText: 'Devices with integrity alerts' });
    await expectText(stat.locator('.stat-value'), '1');
    await expectText(page.locator('section[aria-labelledby="integrity-h"]'), 'Journal rewound at seq 3');
    await shot('20-dashboard-integrity');

    await stat.click();
    await page.waitForURL(/\/devices\//);
    const card = page.locator('section[aria-labelledby="integrity-h"]');
    await expectText(
      card,
      `Journal rewound at seq 3, new chain epoch from seq ${synced.length}, chained to the edge's head (seq ${synced.length - 1})`,
    );
    await expectVisible(card.getByText('Signed statement verified'), 15_000);
    expect(await card.locator('blockquote.statement').first().textContent()).toBe(statement);
    await expectText(card, `in entry seq ${alert?.seq}`);
    await shot('21-device-journal-rewound');

    // The killed session is ended, as abandoned, in the list and in its conversation.
    await page.goto(`${edge.url}/conversations?device=${encodeURIComponent(deviceId)}`);
    const row = page.locator('tr').filter({ hasText: 'abandoned: wrapper died' });
    await expectVisible(row);
    expect(await page.locator('tr').filter({ hasText: 'abandoned: wrapper died' }).count()).toBe(1);
    await page.goto(
      `${edge.url}/conversations/${encodeURIComponent(deviceId)}/${encodeURIComponent(String(killed?.session))}`,
    );
    await expectVisible(page.getByText('abandoned: wrapper died'));
    await shot('22-session-abandoned');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
