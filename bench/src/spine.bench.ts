/**
 * Issue 2's figures: the hook round trip against a /bin/true hook, a 50-tool-call Claude Code
 * session through ceros against the same session without it, and the time to first byte the
 * proxy adds. Every figure is a ratio or a difference against a baseline measured in this run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import { NO_POLICY } from '../../agent/src/decide/decision.ts';
import { HOOK_HTTP_PREFIX } from '../../agent/src/hook/events.ts';
import { lockExclusive, unlock } from '../../agent/src/journal/flock.ts';
import { openJournalWriter } from '../../agent/src/journal/journal.ts';
import { createFileKeystore } from '../../agent/src/keystore/file.ts';
import { createProxyHandler } from '../../agent/src/proxy/proxy.ts';
import { createApiRecorder } from '../../agent/src/proxy/recorder.ts';
import { serveProxy } from '../../agent/src/proxy/server.ts';
import { createHookHttpHandler } from '../../agent/src/session/hook-http.ts';
import { createHookPeerVerifier } from '../../agent/src/session/hook-peer.ts';
import { createLinuxPeerFacts, selfIdentity } from '../../agent/src/session/hook-peer-linux.ts';
import { createSessionKeys, loadOrCreateDevice } from '../../agent/src/session/identity.ts';
import { createSessionCore } from '../../agent/src/session/session-core.ts';
import { serveHookSocket } from '../../agent/src/session/socket-server.ts';
import { makeSandbox, runClaude } from '../../tests/src/harness/claude.ts';
import { startScriptedApi, toolUseBlock, turn } from '../../tests/src/harness/scripted-api.ts';
import { type BenchLine, fmt, median, percentile } from './stats.ts';

const ROOT = join(import.meta.dir, '..', '..');
const CEROS = join(ROOT, 'dist', 'ceros');

async function openTestJournal(home: string) {
  const device = await loadOrCreateDevice(home, createFileKeystore(join(home, 'keys')));
  const keys = await createSessionKeys(device, randomUUID(), {
    user: null,
    postureDigest: null,
    ancestryDigest: null,
    policyHash: null,
  });
  const journal = openJournalWriter({
    dir: join(home, 'journal'),
    device: device.record.deviceId,
    session: keys.sessionId,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
  });
  journal.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
  return journal;
}

/**
 * The hook round trip three ways, interleaved in one run: the HTTP path (what Claude Code 2.1.295+
 * does for every blocking event: one POST on a kept-alive loopback connection, no process), the
 * command path (older versions: spawn `ceros hook` + socket), and a `/bin/true` hook (the floor of
 * any command hook). Both ceros paths run the real peer check (this process plays Claude Code) and
 * journal the decision with fdatasync before answering.
 */
export async function benchHookRoundTrip(calls = 500): Promise<BenchLine[]> {
  const home = mkdtempSync(join(tmpdir(), 'ceros-bench-hook-'));
  const journal = await openTestJournal(home);
  const core = createSessionCore({
    recorder: journal,
    decide: NO_POLICY,
    projectDir: home,
    ready: Promise.resolve(),
  });
  const verifier = createHookPeerVerifier({
    facts: createLinuxPeerFacts(),
    uid: process.getuid?.() ?? 0,
    agentPid: () => process.pid,
  });
  const socket = `@ceros-bench-${process.pid}`;
  const server = await serveHookSocket(socket, core, verifier);
  let port = 0;
  const hooks = createHookHttpHandler(core, { token: () => null, verifier, serverPort: () => port });
  const http = serveProxy(
    async (request, client) => hooks(request, client) ?? new Response('', { status: 404 }),
  );
  port = http.port;
  const payload = Buffer.from(
    JSON.stringify({
      session_id: 's',
      transcript_path: '/t',
      cwd: home,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'git status' },
      tool_use_id: 'toolu_b',
    }),
  );
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const hookArgv = [CEROS, 'hook', 'PreToolUse', '--socket', socket, '--daemon', selfIdentity() ?? ''];
  const time = async (cmd: string[]) => {
    const started = performance.now();
    const child = Bun.spawn(cmd, { env, stdin: payload, stdout: 'pipe', stderr: 'ignore' });
    await new Response(child.stdout).arrayBuffer();
    await child.exited;
    return performance.now() - started;
  };
  const url = `${http.url}${HOOK_HTTP_PREFIX}PreToolUse`;
  const post = async () => {
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json' },
    });
    if (response.status !== 200) throw new Error(`HTTP hook answered ${response.status}`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  // A second floor: the startup of any compiled Bun binary, which no hook written in Bun can beat.
  const trivial = join(home, 'trivial');
  writeFileSync(`${trivial}.ts`, 'await Bun.write(Bun.stdout, "");\n');
  Bun.spawnSync(
    [
      process.execPath,
      'build',
      '--compile',
      '--no-compile-autoload-dotenv',
      '--no-compile-autoload-bunfig',
      `${trivial}.ts`,
      '--outfile',
      trivial,
    ],
    { stdout: 'ignore', stderr: 'ignore' },
  );
  const ceros: number[] = [];
  const viaHttp: number[] = [];
  const floor: number[] = [];
  const bunFloor: number[] = [];
  for (let i = 0; i < 20; i++) {
    await time(hookArgv);
    await post();
  }
  for (let i = 0; i < calls; i++) {
    floor.push(await time(['/bin/true']));
    bunFloor.push(await time([trivial]));
    ceros.push(await time(hookArgv));
    viaHttp.push(await post());
  }
  const decided = journal.append('bench.check', {});
  server.close();
  await http.stop();
  journal.close();
  rmSync(home, { recursive: true, force: true });
  if (decided.seq < calls * 2) throw new Error('the hook bench did not journal every decision');
  const p50 = percentile(ceros, 50);
  const p99 = percentile(ceros, 99);
  const h50 = percentile(viaHttp, 50);
  const h99 = percentile(viaHttp, 99);
  const f50 = percentile(floor, 50);
  return [
    {
      name: `hook round trip over HTTP (2.1.295+), ${calls} calls: p50 / p99`,
      value: `${fmt(h50)} / ${fmt(h99)} (/bin/true hook ${fmt(f50)} / ${fmt(percentile(floor, 99))}: ${(h50 / f50).toFixed(2)}x its p50)`,
      target: 'p50 <= 2 ms',
      ok: h50 <= 2,
    },
    {
      name: `hook round trip as a command (older versions), ${calls} calls: p50`,
      value: `${fmt(p50)} (/bin/true ${fmt(f50)}, ratio ${(p50 / f50).toFixed(1)}x)`,
      target: '<= 8 ms',
      ok: p50 <= 8,
    },
    {
      name: `hook round trip as a command, ${calls} calls: p99`,
      value: `${fmt(p99)} (/bin/true ${fmt(percentile(floor, 99))})`,
      target: '<= 20 ms',
      ok: p99 <= 20,
    },
    {
      name: 'hook round trip as a command minus an empty compiled Bun binary: p50',
      value: `${fmt(p50 - percentile(bunFloor, 50))} of ceros's own work (empty Bun binary ${fmt(percentile(bunFloor, 50))})`,
    },
  ];
}

export async function benchSession(toolCalls = 50, runs = 3): Promise<BenchLine[]> {
  const script = () => [
    ...Array.from({ length: toolCalls }, (_, i) =>
      turn(toolUseBlock('Bash', { command: `echo ${i}` }, `toolu_${i}`)),
    ),
    turn('done'),
  ];
  const once = async (wrapped: boolean) => {
    const api = startScriptedApi(script());
    const sandbox = makeSandbox({ baseUrl: api.url });
    const run = await runClaude({
      ...(wrapped ? { cmd: [CEROS, 'claude'] } : {}),
      args: ['-p', 'run the commands', '--output-format', 'json', '--allowedTools', 'Bash'],
      env: { ...sandbox.env, CEROS_HOME: join(sandbox.home, '.ceros') },
      cwd: sandbox.project,
      timeoutMs: 300_000,
    });
    await api.close();
    sandbox.cleanup();
    if (run.exitCode !== 0 || api.turnsUsed() !== toolCalls + 1)
      throw new Error(`session bench run failed: ${run.stderr.slice(0, 500)}`);
    return run.durationMs;
  };
  const bare: number[] = [];
  const wrapped: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await once(false));
    wrapped.push(await once(true));
  }
  const ratio = median(wrapped) / median(bare);
  return [
    {
      name: `session of ${toolCalls} tool calls, median of ${runs}`,
      value: `${fmt(median(wrapped), 0)} through ceros vs ${fmt(median(bare), 0)} without hooks: ratio ${ratio.toFixed(3)}`,
      target: '<= 1.15',
      ok: ratio <= 1.15,
    },
  ];
}

export async function benchProxyTtfb(requests = 200): Promise<BenchLine[]> {
  const api = startScriptedApi(() => turn('x'), {});
  const home = mkdtempSync(join(tmpdir(), 'ceros-bench-proxy-'));
  const journal = await openTestJournal(home);
  const pending: Promise<unknown>[] = [];
  const proxy = serveProxy(
    createProxyHandler({
      upstream: api.url,
      recorder: createApiRecorder(journal),
      ready: Promise.resolve(),
      track: (w) => pending.push(w),
    }),
  );
  const body = JSON.stringify({
    model: 'm',
    max_tokens: 10,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
    tools: [{ name: 't', input_schema: { type: 'object' } }],
  });
  const ttfb = async (base: string) => {
    const started = performance.now();
    const response = await fetch(`${base}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const first = performance.now() - started;
    while (!(await reader.read()).done) {}
    return first;
  };
  const direct: number[] = [];
  const proxied: number[] = [];
  for (let i = 0; i < 20; i++) await ttfb(proxy.url);
  for (let i = 0; i < requests; i++) {
    direct.push(await ttfb(api.url));
    proxied.push(await ttfb(proxy.url));
  }
  await Promise.allSettled(pending);
  await proxy.stop();
  await api.close();
  journal.close();
  rmSync(home, { recursive: true, force: true });
  const added = median(proxied) - median(direct);
  return [
    {
      name: `proxy time to first byte, ${requests} streamed replies: p50 added`,
      value: `${fmt(added)} (direct ${fmt(median(direct))}, through proxy ${fmt(median(proxied))})`,
      target: '<= 2 ms',
      ok: added <= 2,
    },
  ];
}

/** Issue 5: the agent's journal append (canonical JSON + SHA-256 + Ed25519 + fdatasync) against a bare fdatasync'd write of the same size. */
export async function benchJournalAppend(count = 2_000): Promise<BenchLine[]> {
  const home = mkdtempSync(join(tmpdir(), 'ceros-bench-append-'));
  const journal = await openTestJournal(home);
  const payload = {
    toolName: 'Bash',
    toolInput: { command: 'git status --short' },
    decision: { effect: 'allow', rule: null },
  };
  let started = performance.now();
  for (let i = 0; i < count; i++) journal.append('tool.decision', payload);
  const appendMs = performance.now() - started;
  journal.close();
  const { openSync, writeSync, fdatasyncSync, closeSync } = await import('node:fs');
  const fd = openSync(join(home, 'floor.bin'), 'a', 0o600);
  const line = Buffer.from(`${'x'.repeat(600)}\n`);
  started = performance.now();
  for (let i = 0; i < count; i++) {
    writeSync(fd, line);
    fdatasyncSync(fd);
  }
  const floorMs = performance.now() - started;
  closeSync(fd);
  rmSync(home, { recursive: true, force: true });
  const rate = (ms: number) => Math.round(count / (ms / 1000));
  return [
    {
      name: `journal append with fdatasync, ${count} entries`,
      value: `${rate(appendMs)} entries/s (bare write+fdatasync ${rate(floorMs)}/s, ${(appendMs / floorMs).toFixed(2)}x its time)`,
    },
  ];
}
