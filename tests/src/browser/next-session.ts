/**
 * A developer's machine next to the console: `dist/ceros` enrolled with the console's edge through
 * the edge's enrollment pages in the same Chromium (device code, work email, the mailed code), then
 * `ceros claude` sessions around the real Claude Code and the scripted API, each one taking the
 * organization's signed policy and managed MCP servers from the edge as it starts.
 */
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { type CerosSession, cerosBinary, cerosSession, runCerosClaude } from '../e2e/ceros.ts';
import { enrollmentCodeFrom } from '../e2e/enroll-in-browser.ts';
import { type ClaudeRun, spawnRetrying } from '../harness/claude.ts';
import type { Turn } from '../harness/scripted-api.ts';
import { type ConsoleEdge, codeFor, expectVisible, SCREENSHOTS } from './console-edge.ts';

export interface NextSessionMachine {
  readonly session: CerosSession;
  readonly deviceId: string;
  /** Runs `ceros claude -p PROMPT ARGS`; the scripted API answers with `turns`. */
  run(prompt: string, turns: Turn[], args: string[]): Promise<ClaudeRun>;
  /** Sets what the scripted API answers next, for a `ceros claude` the test spawns itself. */
  script(turns: Turn[]): void;
  close(): Promise<void>;
}

export async function enrollNextSessionMachine(
  edge: ConsoleEdge,
  context: BrowserContext,
  email: string,
): Promise<NextSessionMachine> {
  let queue: Turn[] = [];
  const session = await cerosSession(() => queue.shift());
  try {
    const enroll = await spawnRetrying(() =>
      Bun.spawn([cerosBinary(), 'enroll', edge.url, '--org', edge.org.slug, '--no-browser'], {
        env: session.env,
        stdout: 'pipe',
        stderr: 'pipe',
      }),
    );
    const userCode = await enrollmentCodeFrom(enroll.stderr as ReadableStream<Uint8Array>);
    const page = await context.newPage();
    try {
      await page.goto(`${edge.url}/enroll?code=${encodeURIComponent(userCode)}`);
      await page.getByLabel('Your work email').fill(email);
      await page.screenshot({ path: join(SCREENSHOTS, '07b-enroll-device.png') });
      await page.getByRole('button', { name: 'Email me a code' }).click();
      await page.getByLabel('Code', { exact: true }).fill(codeFor(edge.outbox, email));
      await page.getByRole('button', { name: 'Verify' }).click();
      await expectVisible(page.getByRole('heading', { name: 'Device enrolled' }));
    } finally {
      await page.close();
    }
    const exitCode = await enroll.exited;
    if (exitCode !== 0)
      throw new Error(`ceros enroll exited ${exitCode}: ${await new Response(enroll.stderr).text()}`);
    const config = (await Bun.file(join(session.home, 'config.json')).json()) as { deviceId: string };
    return {
      session,
      deviceId: config.deviceId,
      run: (prompt, turns, args) => {
        queue = [...turns];
        return runCerosClaude(session, ['-p', prompt, '--output-format', 'json', ...args], {
          timeoutMs: 90_000,
        });
      },
      script: (turns) => {
        queue = [...turns];
      },
      close: () => session.close(),
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
