import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEntry } from '@ceros/protocol';
import { bunHookIo } from '../hook/bun-io.ts';
import { HOOK_HTTP_PREFIX, HOOK_TOKEN_HEADER } from '../hook/events.ts';
import { createFakeSnapshot } from '../posture/fake-snapshot.ts';
import { createSessionCredentials } from '../proxy/credentials.ts';
import { type DaemonStageDeps, runDaemonStage } from './daemon-stage.ts';
import { createSessionJournal } from './session-journal.ts';
import { createSessionState } from './session-state.ts';

const HOOKS = join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures', 'hooks');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(overrides: Partial<DaemonStageDeps> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ceros-daemon-'));
  dirs.push(dir);
  const entries: { type: string; payload: Record<string, unknown> }[] = [];
  const journal = createSessionJournal(() => {});
  const append = (type: string, payload: unknown) => {
    entries.push({ type, payload: payload as Record<string, unknown> });
    return {} as JournalEntry;
  };
  journal.open({
    append,
    record: append,
    close: () => {},
  } as never);
  const snapshot = createFakeSnapshot();
  const state = createSessionState({ policy: null, evaluation: undefined, posture: snapshot, facts: {} });
  const upstream: string[] = [];
  const deps: DaemonStageDeps = {
    socketPath: join(dir, 's.sock'),
    hookToken: 'secret-token',
    upstream: 'http://upstream.test',
    projectDir: '/home/dev/project',
    journal,
    state,
    ready: Promise.resolve(),
    beforeDecision: async () => {},
    hookAncestry: async () => null,
    credentials: createSessionCredentials({}, []),
    subagentConfig: () => null,
    home: dir,
    createModelProxy: (options) => async (request) => {
      upstream.push(`${options.upstream} ${new URL(request.url).pathname}`);
      return new Response('model');
    },
    ...overrides,
  };
  return { dir, deps, entries, state, upstream };
}

const preToolUse = readFileSync(join(HOOKS, 'PreToolUse-bash.json'), 'utf8');

describe('runDaemonStage()', () => {
  test('answers hooks on a 0600 socket from the state in force, and HTTP hooks only with the token', async () => {
    const { deps, entries, state, upstream } = setup();
    const started = await runDaemonStage(deps);
    if (!started.ok) throw new Error(started.error);
    const daemon = started.value;
    try {
      expect(statSync(deps.socketPath).mode & 0o777).toBe(0o600);
      const ask = () =>
        bunHookIo.exchange(
          deps.socketPath,
          `${JSON.stringify({ v: 1, event: 'PreToolUse', pid: null, input: preToolUse })}\n`,
        );
      const allowed = await ask();
      expect(allowed.ok && JSON.parse(allowed.text)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      state.lockdown = { rule: 'revoked', reason: 'This device was revoked' };
      const denied = await ask();
      expect(
        denied.ok && JSON.parse(JSON.parse(denied.text).stdout).hookSpecificOutput.permissionDecision,
      ).toBe('deny');
      expect(
        entries
          .filter((e) => e.type === 'tool.decision')
          .map((e) => (e.payload.decision as { rule: string }).rule),
      ).toEqual(['no-policy', 'revoked']);
      const hook = `${daemon.proxyUrl}${HOOK_HTTP_PREFIX}PostToolUse`;
      const body = readFileSync(join(HOOKS, 'PostToolUse-bash.json'), 'utf8');
      expect((await fetch(hook, { method: 'POST', body })).status).toBe(403);
      const recorded = await fetch(hook, {
        method: 'POST',
        body,
        headers: { [HOOK_TOKEN_HEADER]: 'secret-token' },
      });
      expect(recorded.status).toBe(200);
      expect(entries.at(-1)?.type).toBe('tool.result');
      // Everything else goes to the agent's model proxy.
      expect(
        await (await fetch(`${daemon.proxyUrl}/v1/messages`, { method: 'POST', body: '{}' })).text(),
      ).toBe('model');
      expect(upstream).toEqual(['http://upstream.test /v1/messages']);
    } finally {
      await daemon.close();
    }
    expect(existsSync(deps.socketPath)).toBe(false);
  });

  test('a socket that cannot be served is a stage failure naming why', async () => {
    const { deps } = setup();
    const result = await runDaemonStage({
      ...deps,
      socketPath: join(deps.socketPath, 'no', 'such', 'dir.sock'),
    });
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.ok ? '' : result.error).toStartWith('Cannot start the session daemon: ');
  });
});
