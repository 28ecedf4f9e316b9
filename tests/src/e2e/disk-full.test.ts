import { describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type JsonValue } from '@ceros/protocol';
import { type ClaudeResultJson, parseResultJson, spawnRetrying } from '../harness/claude.ts';
import { type RecordedRequest, toolUseBlock, turn } from '../harness/scripted-api.ts';
import {
  type CerosSession,
  cerosBinary,
  cerosSession,
  type Entry,
  readJournal,
  runCeros,
  runCerosClaude,
} from './ceros.ts';

const CALLS = 20;

/** Fills the file system under `dir` until `leave` bytes are free. */
function fillUntil(dir: string, leave: number): void {
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, free - leave)));
}

/** A message as the journal keeps it: without cache_control, in canonical form. */
const canonicalMessage = (message: unknown): string =>
  canonicalJson(
    JSON.parse(JSON.stringify(message, (k, v) => (k === 'cache_control' ? undefined : v))) as JsonValue,
  );

/**
 * The Messages requests that reached the model and were not in the journal: for each, an
 * api.request entry with its message count must be on disk, and every message it carried must be
 * among the messages recorded by then (each is journaled once, by the first request to carry it).
 */
function unrecordedUpstream(requests: RecordedRequest[], journal: Entry[]): number[] {
  const recorded = journal.filter((e) => e.type === 'api.request');
  const missing: number[] = [];
  for (const request of requests) {
    if (request.path !== '/v1/messages' || !request.body) continue;
    const messages = (request.body.messages ?? []).map(canonicalMessage);
    const known = new Set<string>();
    const found = recorded.some((entry) => {
      for (const m of (entry.payload.newMessages as unknown[]) ?? []) known.add(canonicalMessage(m));
      return entry.payload.messageCount === messages.length && messages.every((m) => known.has(m));
    });
    if (!found) missing.push(request.seq);
  }
  return missing;
}

/**
 * `ceros claude -p` with stream-json output, calling `onRetry` with each retry Claude Code reports
 * (`{"type":"system","subtype":"api_retry"}` on stdout) as it happens.
 */
async function runStreaming(
  t: CerosSession,
  env: Record<string, string>,
  onRetry: (retry: { error_status: number | null; error: unknown }) => void,
): Promise<{ exitCode: number; stderr: string; json: ClaudeResultJson | undefined }> {
  const child = await spawnRetrying(() =>
    Bun.spawn(
      [
        cerosBinary(),
        'claude',
        '-p',
        'go',
        '--output-format',
        'stream-json',
        '--verbose',
        '--allowedTools',
        'Bash',
      ],
      { cwd: t.sandbox.project, env: { ...t.env, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
    ),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const stderr = new Response(child.stderr).text();
  let stdout = '';
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      stdout += `${line}\n`;
      if (!line.includes('"api_retry"')) continue;
      const event = JSON.parse(line) as { subtype?: string; error_status: number | null; error: unknown };
      if (event.subtype === 'api_retry') onRetry(event);
    }
  }
  stdout += pending;
  const exitCode = await child.exited;
  clearTimeout(timer);
  return { exitCode, stderr: await stderr, json: parseResultJson(stdout) };
}

/** A 4 MB tmpfs in the sandbox for CEROS_HOME; unmount with the returned function. */
function smallTmpfs(t: CerosSession): { mount: string; home: string; unmount: () => void } {
  const mount = join(t.sandbox.home, 'tmpfs');
  mkdirSync(mount, { mode: 0o700 });
  const mounted = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
  if (mounted.exitCode !== 0) throw new Error(`mount failed: ${mounted.stderr.toString()}`);
  return { mount, home: join(mount, '.ceros'), unmount: () => Bun.spawnSync(['umount', '--lazy', mount]) };
}

/** A turn of CALLS Bash calls, each touching its marker, after filling the disk to 8 KB free. */
function fillThenCall(mount: () => string) {
  // The session is up (session.start is on disk before the first request goes upstream): leave
  // the journal 8 KB, room for a decision or two.
  fillUntil(mount(), 8 * 1024);
  return turn(
    ...Array.from({ length: CALLS }, (_, i) =>
      toolUseBlock('Bash', { command: `touch marker-${i}` }, `toolu_${i}`),
    ),
  );
}

describe('a full disk under CEROS_HOME', () => {
  test.skipIf(process.getuid?.() !== 0)(
    'fails closed: a call whose decision cannot be recorded does not run, the session says so once, the model request it cannot record waits until the disk has room, and the next session works',
    async () => {
      const t = await cerosSession((_request, index) => {
        if (index === 0) return fillThenCall(() => mount);
        if (index === 1) return turn('done');
        return undefined;
      });
      const { mount, home, unmount } = smallTmpfs(t);
      const env = { CEROS_HOME: home };
      try {
        // Claude Code retries a 5xx with back-off: the disk gets room again when it reports the
        // first refusal, so the same session must resume on its own.
        const retries: { error_status: number | null; error: unknown }[] = [];
        const run = await runStreaming(t, { ...env, CLAUDE_CODE_MAX_RETRIES: '8' }, (retry) => {
          if (retries.length === 0) rmSync(join(mount, 'filler'), { force: true });
          retries.push(retry);
        });
        const decided = new Map<string, string>();
        for (const e of readJournal(home))
          if (e.type === 'tool.decision')
            decided.set(
              String(e.payload.toolUseId),
              String((e.payload.decision as { effect: string }).effect),
            );
        let ran = 0;
        let refused = 0;
        for (let i = 0; i < CALLS; i++) {
          const marker = existsSync(join(t.sandbox.project, `marker-${i}`));
          // Every call that ran has its allow on disk; every other one was refused.
          expect({ i, ran: marker }).toEqual({ i, ran: decided.get(`toolu_${i}`) === 'allow' });
          if (marker) ran++;
          else {
            refused++;
            const result = t.api.toolResultFor(`toolu_${i}`);
            expect(result?.isError).toBe(true);
            expect(result?.content).toContain('the disk is full');
          }
        }
        expect(refused).toBeGreaterThan(CALLS / 2);
        expect(ran + refused).toBe(CALLS);
        // Said once on stderr, not once per refused call.
        expect(run.stderr.split('every tool call is denied').length - 1).toBe(1);
        expect(run.stderr).toContain('the disk is full (ENOSPC)');
        expect(run.stderr).toContain('no request goes to the model');

        // The turn after the denied calls could not be recorded: the proxy refused it with an API
        // error naming the full disk, and sent it once the journal could write again.
        expect(retries[0]).toMatchObject({ error_status: 507, error: 'server_error' });
        expect(run.exitCode).toBe(0);
        expect(run.json?.result).toBe('done');
        expect(t.api.turnsUsed()).toBe(2);
        // No model request went upstream unrecorded: the scripted API's log against the journal.
        const journal = readJournal(home);
        expect(t.api.requests.filter((r) => r.path === '/v1/messages').length).toBeGreaterThanOrEqual(2);
        expect(unrecordedUpstream(t.api.requests, journal)).toEqual([]);

        // The next session records and runs its call, and the journal verifies.
        t.api.requests.length = 0;
        const again = await cerosSession([
          turn(toolUseBlock('Bash', { command: 'touch after' }, 'toolu_after')),
          turn('ok'),
        ]);
        try {
          await runCerosClaude(again, ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'], {
            env,
          });
          expect(existsSync(join(again.sandbox.project, 'after'))).toBe(true);
          expect(
            readJournal(home).some(
              (e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_after',
            ),
          ).toBe(true);
          const verify = runCeros(['log', 'verify'], { ...again.env, ...env });
          expect(verify.stdout).toContain('Journal verified');
          expect(verify.exitCode).toBe(0);
        } finally {
          await again.close();
        }
      } finally {
        unmount();
        await t.close();
      }
    },
    120_000,
  );

  test.skipIf(process.getuid?.() !== 0)(
    'with retries off, Claude Code shows the refusal: an API error 507 naming the full disk, and nothing went upstream unrecorded',
    async () => {
      const t = await cerosSession((_request, index) =>
        index === 0 ? fillThenCall(() => mount) : turn('done'),
      );
      const { mount, home, unmount } = smallTmpfs(t);
      try {
        const run = await runCerosClaude(
          t,
          ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'],
          {
            env: { CEROS_HOME: home, CLAUDE_CODE_MAX_RETRIES: '0' },
          },
        );
        expect(run.exitCode).toBe(1);
        expect(run.json?.result).toContain('API Error: 507 ceros did not send this request to the model');
        expect(run.json?.result).toContain('the disk is full (ENOSPC)');
        expect(t.api.turnsUsed()).toBe(1);
        expect(unrecordedUpstream(t.api.requests, readJournal(home))).toEqual([]);
      } finally {
        unmount();
        await t.close();
      }
    },
    120_000,
  );
});
