import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEntry } from '@ceros/protocol';
import { HOOK_HTTP_PREFIX, HOOK_TOKEN_HEADER } from '../hook/events.ts';
import { createFakeSnapshot } from '../posture/fake-snapshot.ts';
import { createSessionCredentials } from '../proxy/credentials.ts';
import { type DaemonStageDeps, runDaemonStage } from './daemon-stage.ts';
import { createHookPeerVerifier } from './hook-peer.ts';
import { createLinuxPeerFacts, selfIdentity } from './hook-peer-linux.ts';
import { createSessionJournal } from './session-journal.ts';
import { createSessionState } from './session-state.ts';

const HOOKS = join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures', 'hooks');
const MAIN_HOOK = join(import.meta.dir, '..', 'hook', 'main-hook.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * This test process plays Claude Code: the peer check is the real one (procfs, SO_PEERCRED,
 * sock_diag), and the "hooks" are child processes running the real hook client, spawned as Claude
 * Code spawns them (stdout piped back to it).
 */
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
    socketPath: `@ceros-test-${process.pid}-${Math.random().toString(16).slice(2)}`,
    hookToken: () => 'secret-token',
    verifier: createHookPeerVerifier({
      facts: createLinuxPeerFacts(),
      uid: process.getuid?.() ?? 0,
      agentPid: () => process.pid,
    }),
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

/** Runs the real hook client as a child of this process, the way Claude Code runs a command hook. */
async function hook(socket: string, daemon: string | null, stdout: 'pipe' | string = 'pipe') {
  const args = ['PreToolUse', '--socket', socket, ...(daemon ? ['--daemon', daemon] : [])];
  const child = Bun.spawn(
    [
      process.execPath,
      '-e',
      `import { hookMain } from ${JSON.stringify(MAIN_HOOK)}; await hookMain(${JSON.stringify(args)});`,
    ],
    { stdin: Buffer.from(preToolUse), stdout: stdout === 'pipe' ? 'pipe' : Bun.file(stdout), stderr: 'pipe' },
  );
  const [out, err, exitCode] = await Promise.all([
    stdout === 'pipe' ? new Response(child.stdout as ReadableStream).text() : Promise.resolve(''),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout: stdout === 'pipe' ? out : readFileSync(stdout, 'utf8'), stderr: err };
}

describe('runDaemonStage()', () => {
  test('answers a real hook client that Claude Code (here: this process) spawned, from the state in force', async () => {
    const { deps, entries, state } = setup();
    const started = await runDaemonStage(deps);
    if (!started.ok) throw new Error(started.error);
    try {
      const allowed = await hook(deps.socketPath, selfIdentity());
      expect(allowed).toMatchObject({ exitCode: 0, stdout: '' });
      state.lockdown = { rule: 'revoked', reason: 'This device was revoked' };
      const denied = await hook(deps.socketPath, selfIdentity());
      expect(JSON.parse(denied.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
      expect(
        entries
          .filter((e) => e.type === 'tool.decision')
          .map((e) => (e.payload.decision as { rule: string }).rule),
      ).toEqual(['no-policy', 'revoked']);
    } finally {
      await started.value.close();
    }
  }, 30_000);

  test('a hook whose output does not go back to Claude Code (a process of the agent) is refused with an alert', async () => {
    const { deps, entries, dir } = setup();
    const started = await runDaemonStage(deps);
    if (!started.ok) throw new Error(started.error);
    try {
      // As a Bash tool command would: same parent, but stdout is a file, not Claude Code.
      const out = join(dir, 'tool-output.txt');
      writeFileSync(out, '');
      const forged = await hook(deps.socketPath, selfIdentity(), out);
      expect(forged.exitCode).toBe(2);
      expect(JSON.parse(forged.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
      expect(forged.stderr).toContain('not a hook of this ceros session');
      const alert = entries.find((e) => e.type === 'alert');
      expect(alert?.payload).toMatchObject({ kind: 'hook-peer', event: 'PreToolUse' });
      expect(String(alert?.payload.message)).toContain('not back to Claude Code');
      expect(entries.some((e) => e.type === 'tool.decision')).toBe(false);
    } finally {
      await started.value.close();
    }
  }, 30_000);

  test('the hook client refuses a socket served by any other process than the daemon named', async () => {
    const { deps } = setup();
    const started = await runDaemonStage(deps);
    if (!started.ok) throw new Error(started.error);
    try {
      const wrong = await hook(deps.socketPath, `${process.pid}:1`);
      expect(wrong.exitCode).toBe(2);
      expect(wrong.stderr).toContain('is not the daemon that started this session');
      const other = await hook(deps.socketPath, '1:1');
      expect(other.stderr).toContain(
        `served by process ${process.pid}, not by this session's daemon (pid 1)`,
      );
    } finally {
      await started.value.close();
    }
  }, 30_000);

  test('HTTP hooks: from Claude Code with the token recorded; without it, or from another process, refused', async () => {
    const { deps, entries, upstream } = setup();
    const started = await runDaemonStage(deps);
    if (!started.ok) throw new Error(started.error);
    const daemon = started.value;
    try {
      const hookUrl = `${daemon.proxyUrl}${HOOK_HTTP_PREFIX}PostToolUse`;
      const body = readFileSync(join(HOOKS, 'PostToolUse-bash.json'), 'utf8');
      expect((await fetch(hookUrl, { method: 'POST', body })).status).toBe(403);
      const recorded = await fetch(hookUrl, {
        method: 'POST',
        body,
        headers: { [HOOK_TOKEN_HEADER]: 'secret-token' },
      });
      expect(recorded.status).toBe(200);
      expect(entries.at(-1)?.type).toBe('tool.result');
      // Another process with the token: its connection is not Claude Code's.
      const child = Bun.spawn(
        [
          process.execPath,
          '-e',
          `const r = await fetch(${JSON.stringify(hookUrl)}, { method: 'POST', body: ${JSON.stringify(body)}, headers: { ${JSON.stringify(HOOK_TOKEN_HEADER)}: 'secret-token' } }); console.log(r.status);`,
        ],
        { stdout: 'pipe' },
      );
      expect((await new Response(child.stdout).text()).trim()).toBe('403');
      expect(String(entries.at(-1)?.payload.message)).toContain('is not Claude Code');
      // Everything else goes to the agent's model proxy.
      expect(
        await (await fetch(`${daemon.proxyUrl}/v1/messages`, { method: 'POST', body: '{}' })).text(),
      ).toBe('model');
      expect(upstream).toEqual(['http://upstream.test /v1/messages']);
    } finally {
      await daemon.close();
    }
  }, 30_000);

  test('a socket that cannot be served is a stage failure naming why', async () => {
    const { deps, dir } = setup();
    const result = await runDaemonStage({ ...deps, socketPath: join(dir, 'no', 'such', 'dir.sock') });
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.ok ? '' : result.error).toStartWith('Cannot start the session daemon: ');
  });
});
