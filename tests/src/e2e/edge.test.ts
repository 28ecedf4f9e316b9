/**
 * The edge end to end: a running `dist/ceros-edge`, the one-line install, enrollment of a verified
 * human on the first `ceros claude` (code through a real SMTP server), a real Claude Code session
 * whose events arrive with user and device attribution, an outage, and a revocation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SmtpSink, startSmtpSink } from '../../../edge/src/testing/smtp-sink.ts';
import { claudeBinaryPath, runClaude, spawnRetrying } from '../harness/claude.ts';
import { mcpServerEntry, readMcpLog } from '../harness/mcp-server.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosSession, ROOT, readJournal, readLiveJournal } from './ceros.ts';
import { enrollInBrowser, enrollmentCodeFrom } from './enroll-in-browser.ts';
import { inPrivateManagedSettings, MANAGED_DIR } from './private-managed-settings.ts';

const EDGE_BIN = join(ROOT, 'dist', 'ceros-edge');
const ADMIN = 'secops@acme.test';
const DEV = 'dev@acme.test';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

interface Edge {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

let smtp: SmtpSink;
let data: string;
let edge: Edge;

function edgeProcess(port: number, smtpUrl: string): Edge {
  let child: ReturnType<typeof Bun.spawn> | undefined;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async start() {
      child = Bun.spawn(
        [
          EDGE_BIN,
          'serve',
          '--port',
          String(port),
          '--data',
          data,
          '--dist',
          join(ROOT, 'dist'),
          '--public-url',
          url,
          '--smtp',
          smtpUrl,
          '--mail-from',
          'ceros@acme.test',
        ],
        { stdout: 'ignore', stderr: 'pipe' },
      );
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`${url}/healthz`)).ok) return;
        } catch {
          // not up yet
        }
        await Bun.sleep(100);
      }
      throw new Error(
        `ceros-edge did not start: ${await new Response(child.stderr as ReadableStream).text()}`,
      );
    },
    async stop() {
      child?.kill('SIGTERM');
      await child?.exited;
    },
  };
}

let signedIn: Promise<{ cookie: string; csrf: string }> | undefined;

/** One admin session for the whole file: codes are mailed at most 5 times per address per 15 minutes. */
function adminSession(): Promise<{ cookie: string; csrf: string }> {
  signedIn ??= signIn();
  return signedIn;
}

/**
 * A new organization holds each new device until an admin approves it (the default): the admin
 * approves the device that just verified its user's email, as the console's Devices page does.
 */
async function approvePendingDevice(): Promise<void> {
  const admin = await adminSession();
  for (let i = 0; i < 100; i++) {
    const listed = await fetch(`${edge.url}/v1/admin/devices?status=pending`, {
      headers: { cookie: admin.cookie },
    });
    const pending = ((await listed.json()) as { items: { id: string }[] }).items[0];
    if (pending) {
      const approved = await fetch(`${edge.url}/v1/admin/devices/${encodeURIComponent(pending.id)}/approve`, {
        method: 'POST',
        headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, origin: edge.url },
      });
      expect(approved.status).toBe(200);
      return;
    }
    await Bun.sleep(100);
  }
  throw new Error('No device waited for approval');
}

async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const post = (path: string, body: unknown) =>
    fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: edge.url },
      body: JSON.stringify(body),
    });
  const started = await post('/v1/admin/login/start', { email: ADMIN });
  expect(started.status).toBe(202);
  const verified = await post('/v1/admin/login/verify', { email: ADMIN, code: await smtp.codeFor(ADMIN) });
  expect(verified.status).toBe(200);
  const cookie =
    verified.headers
      .getSetCookie()
      .find((c) => c.startsWith('ceros_admin='))
      ?.split(';')[0] ?? '';
  return { cookie, csrf: ((await verified.json()) as { csrfToken: string }).csrfToken };
}

beforeAll(async () => {
  if (!existsSync(EDGE_BIN)) throw new Error(`${EDGE_BIN} is missing: run npm run build`);
  smtp = await startSmtpSink();
  data = mkdtempSync(join(tmpdir(), 'ceros-edge-e2e-'));
  const added = Bun.spawnSync([EDGE_BIN, 'admin', 'add', ADMIN, '--org', 'acme', '--data', data], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  if (added.exitCode !== 0) throw new Error(added.stderr.toString());
  edge = edgeProcess(await freePort(), smtp.url);
  await edge.start();
});

afterAll(async () => {
  await edge?.stop();
  await smtp?.close();
  rmSync(data, { recursive: true, force: true });
});

describe('ceros with an edge', () => {
  test('install.sh installs ceros, the first ceros claude enrolls the verified human, and every event arrives attributed; an outage loses nothing', async () => {
    const s = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'echo edge-e2e' }, 'toolu_edge')),
      turn('synced'),
    ]);
    try {
      const bin = join(s.sandbox.home, 'bin-installed');
      mkdirSync(bin);
      const install = Bun.spawnSync(['sh', '-c', `curl -fsSL '${edge.url}/install.sh?org=acme' | sh`], {
        env: { ...s.env, CEROS_INSTALL_DIR: bin },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      expect(install.exitCode).toBe(0);
      const ceros = join(bin, 'ceros');
      expect(readFileSync(ceros).equals(readFileSync(join(ROOT, 'dist', 'ceros')))).toBe(true);
      expect(existsSync(join(s.home, 'install.json'))).toBe(true);

      // First launch: enrollment starts by itself; the test plays the human in the browser.
      const child = await spawnRetrying(() =>
        Bun.spawn([ceros, 'claude', '-p', 'sync me', '--output-format', 'json', '--allowedTools', 'Bash'], {
          env: s.env,
          cwd: s.sandbox.project,
          stdout: 'pipe',
          stderr: 'pipe',
        }),
      );
      await enrollInBrowser(
        edge.url,
        await enrollmentCodeFrom(child.stderr as ReadableStream<Uint8Array>),
        DEV,
        (to: string) => smtp.codeFor(to),
      );
      // Until an admin approves it the device cannot sync, so Claude Code does not start.
      await approvePendingDevice();
      expect(await child.exited).toBe(0);
      const config = JSON.parse(readFileSync(join(s.home, 'config.json'), 'utf8')) as {
        deviceId: string;
        userEmail: string;
      };
      expect(config.userEmail).toBe(DEV);

      const admin = await adminSession();
      const get = async (path: string) => {
        const response = await fetch(`${edge.url}${path}`, { headers: { cookie: admin.cookie } });
        expect(response.status).toBe(200);
        return response.json() as Promise<Record<string, unknown>>;
      };
      const local = readJournal(s.home);
      const head = async () => {
        const exported = await fetch(`${edge.url}/v1/admin/export/entries?device=${config.deviceId}`, {
          headers: { cookie: admin.cookie },
        });
        return (await exported.text()).split('\n').filter((l) => l.trim() !== '').length;
      };
      expect(await head()).toBe(local.length);
      // At the end of the session the device verified the log and holds an inclusion receipt for
      // its last entry (docs/spec/receipt.md).
      const receipts = () => {
        const run = Bun.spawnSync([ceros, 'log', 'receipts', '--json'], { env: s.env, stdout: 'pipe' });
        expect(run.exitCode).toBe(0);
        return JSON.parse(run.stdout.toString()) as Record<string, unknown>;
      };
      expect(existsSync(join(s.home, 'receipts.jsonl'))).toBe(true);
      expect(receipts()).toMatchObject({
        device: config.deviceId,
        highestSeq: local.at(-1)?.seq,
        pending: 0,
      });
      const calls = JSON.stringify(await get('/v1/admin/tool-calls'));
      expect(calls).toContain('echo edge-e2e');
      expect(calls).toContain(DEV);
      expect(calls).toContain(config.deviceId);

      // The edge goes away; a session runs offline; the edge comes back; the next session syncs
      // everything exactly once.
      await edge.stop();
      const offline = await cerosSession([
        turn(toolUseBlock('Bash', { command: 'echo offline' }, 'toolu_off')),
        turn('ok'),
      ]);
      try {
        const run = await runClaude({
          cmd: [ceros, 'claude'],
          args: ['-p', 'offline', '--output-format', 'json', '--allowedTools', 'Bash'],
          env: { ...s.env, ANTHROPIC_BASE_URL: offline.api.url },
          cwd: s.sandbox.project,
        });
        expect(run.exitCode).toBe(0);
        await edge.start();
        const again = await runClaude({
          cmd: [ceros, 'claude'],
          args: ['-p', 'back online', '--output-format', 'json'],
          env: { ...s.env, ANTHROPIC_BASE_URL: offline.api.url },
          cwd: s.sandbox.project,
        });
        expect(again.exitCode).toBe(0);
        const all = readJournal(s.home);
        expect(await head()).toBe(all.length);
        // The restarted edge's log extends what the device verified before the outage, and the
        // entries queued offline got their receipt once uploaded.
        expect(all.some((e) => e.type === 'alert' && e.payload.kind === 'ledger')).toBe(false);
        expect(receipts()).toMatchObject({ highestSeq: all.at(-1)?.seq, pending: 0 });
        expect(JSON.stringify(await get('/v1/admin/tool-calls'))).toContain('echo offline');
      } finally {
        await offline.close();
      }
    } finally {
      await s.close();
    }
  }, 180_000);

  test('an enrolled device whose organization has published no policy enforces the baseline starter, and refuses --no-policy-dev', async () => {
    const secret = 'CEROS-EDGE-SECRET-7d2e';
    const s = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'cat ~/.ssh/id_rsa' }, 'toolu_key')),
      turn('I could not read it.'),
    ]);
    try {
      await enrollDevice(s.env, 'dev2@acme.test');
      mkdirSync(join(s.sandbox.home, '.ssh'), { mode: 0o700 });
      writeFileSync(join(s.sandbox.home, '.ssh', 'id_rsa'), `${secret}\n`, { mode: 0o600 });
      const run = await runClaude({
        cmd: [join(ROOT, 'dist', 'ceros'), 'claude'],
        args: ['-p', 'read my key', '--output-format', 'json', '--allowedTools', 'Bash'],
        env: s.env,
        cwd: s.sandbox.project,
      });
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toContain('ceros: Enforcing the baseline starter policy');
      expect(run.stderr).toContain('your organization has published no policy yet');
      expect(s.api.toolResultFor('toolu_key')?.isError).toBe(true);
      expect(JSON.stringify(s.api.requests.map((r) => r.body))).not.toContain(secret);
      const journal = readJournal(s.home);
      expect(journal.find((e) => e.type === 'session.start')?.payload.policy).toMatchObject({
        kind: 'starter',
      });
      expect(journal.find((e) => e.type === 'tool.decision')?.payload.decision).toMatchObject({
        effect: 'deny',
        rule: 'ssh-keys',
      });
      const refused = Bun.spawnSync([join(ROOT, 'dist', 'ceros'), 'claude', '--no-policy-dev', '-p', 'hi'], {
        env: s.env,
        cwd: s.sandbox.project,
        stdout: 'pipe',
        stderr: 'pipe',
      });
      expect(refused.exitCode).toBe(77);
      expect(refused.stderr.toString()).toContain(
        'Refusing --no-policy-dev: this device is enrolled with "acme"',
      );
    } finally {
      await s.close();
    }
  }, 120_000);

  test('revoking a device ends its running session within 10 s and journals why', async () => {
    const s = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'timeout 30 tail -f /dev/null; echo waited' }, 'toolu_long')),
      turn('ok'),
    ]);
    try {
      const deviceId = await enrollDevice(s.env);

      const child = await spawnRetrying(() =>
        Bun.spawn(
          [
            join(ROOT, 'dist', 'ceros'),
            'claude',
            '-p',
            'wait',
            '--output-format',
            'json',
            '--allowedTools',
            'Bash',
          ],
          {
            env: s.env,
            cwd: s.sandbox.project,
            stdout: 'pipe',
            stderr: 'pipe',
          },
        ),
      );
      const until = Date.now() + 30_000;
      while (
        !readLiveJournal(s.home).some(
          (e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_long',
        )
      ) {
        if (Date.now() > until) throw new Error('the long tool call never started');
        await Bun.sleep(100);
      }
      const admin = await adminSession();
      const revokedAt = Date.now();
      const revoke = await fetch(`${edge.url}/v1/admin/devices/${deviceId}/revoke`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: admin.cookie,
          'x-csrf-token': admin.csrf,
          origin: edge.url,
        },
        body: JSON.stringify({ reason: 'laptop reported stolen' }),
      });
      expect(revoke.status).toBe(200);
      await child.exited;
      expect(Date.now() - revokedAt).toBeLessThan(10_000);
      const alert = readJournal(s.home).find((e) => e.type === 'alert');
      expect(alert?.payload).toMatchObject({ kind: 'revoked' });
      expect(JSON.stringify(alert?.payload)).toContain('laptop reported stolen');
    } finally {
      await s.close();
    }
  }, 120_000);

  // Claude Code reads managed settings only from /etc/claude-code: each process of this test runs
  // in a private mount namespace whose /etc/claude-code is a folder of the test's own, so the
  // machine's /etc is never written and parallel runs of other checkouts cannot collide on it.
  test.skipIf(process.getuid?.() !== 0)(
    'ceros install --system reports sessions launched without ceros as adoption gaps, and can deny their tools',
    async () => {
      const s = await cerosSession([
        turn(toolUseBlock('Bash', { command: 'touch unwrapped-marker' }, 'toolu_unwrapped')),
        turn('ok'),
      ]);
      const machineDropIn = join(MANAGED_DIR, 'managed-settings.d', '50-ceros.json');
      const machineHadDropIn = existsSync(machineDropIn);
      try {
        await enrollDevice(s.env);
        const managed = join(s.sandbox.home, 'etc-claude-code');
        const inNamespace = inPrivateManagedSettings(managed);
        const install = Bun.spawnSync(
          [...inNamespace, join(ROOT, 'dist', 'ceros'), 'install', '--system', '--deny-unwrapped'],
          { env: s.env, stdout: 'pipe', stderr: 'pipe' },
        );
        expect(install.exitCode).toBe(0);
        expect(install.stdout.toString()).toContain(machineDropIn);
        expect(existsSync(join(managed, 'managed-settings.d', '50-ceros.json'))).toBe(true);
        expect(existsSync(machineDropIn)).toBe(machineHadDropIn);
        // Claude Code run directly, not through ceros.
        const direct = await runClaude({
          cmd: [...inNamespace, claudeBinaryPath()],
          args: ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'],
          env: s.env,
          cwd: s.sandbox.project,
        });
        expect(direct.exitCode).toBe(0);
        expect(existsSync(join(s.sandbox.project, 'unwrapped-marker'))).toBe(false);
        expect(s.api.toolResultFor('toolu_unwrapped')?.content).toContain('not launched through ceros');
        const admin = await adminSession();
        const gaps = await fetch(`${edge.url}/v1/admin/adoption-gaps`, { headers: { cookie: admin.cookie } });
        expect(gaps.status).toBe(200);
        expect(JSON.stringify(await gaps.json())).toContain(direct.json?.session_id as string);
        // The same machine, launched through ceros: the managed hook stands aside.
        const wrapped = await cerosSession([
          turn(toolUseBlock('Bash', { command: 'touch wrapped-marker' }, 'toolu_wrapped')),
          turn('ok'),
        ]);
        try {
          const run = await runClaude({
            cmd: [...inNamespace, join(ROOT, 'dist', 'ceros'), 'claude'],
            args: ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'],
            env: { ...s.env, ANTHROPIC_BASE_URL: wrapped.api.url },
            cwd: s.sandbox.project,
          });
          expect(run.exitCode).toBe(0);
          expect(existsSync(join(s.sandbox.project, 'wrapped-marker'))).toBe(true);
        } finally {
          await wrapped.close();
        }
      } finally {
        await s.close();
      }
    },
    120_000,
  );

  test('a managed MCP server defined on the edge starts in the next ceros claude session', async () => {
    const s = await cerosSession([
      turn(toolUseBlock('mcp__company__echo', { text: 'from the org' }, 'toolu_managed')),
      turn('ok'),
    ]);
    try {
      await enrollDevice(s.env);
      const log = join(s.sandbox.home, 'company.log');
      const entry = mcpServerEntry('company', log);
      const admin = await adminSession();
      const created = await fetch(`${edge.url}/v1/admin/managed-mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: admin.cookie,
          'x-csrf-token': admin.csrf,
          origin: edge.url,
        },
        body: JSON.stringify({
          name: 'company',
          transport: 'stdio',
          command: entry.command,
          args: entry.args,
        }),
      });
      expect(created.status).toBeLessThan(300);
      const run = await runClaude({
        cmd: [join(ROOT, 'dist', 'ceros'), 'claude'],
        args: [
          '-p',
          'use the company tool',
          '--output-format',
          'json',
          '--allowedTools',
          'mcp__company__echo',
        ],
        env: s.env,
        cwd: s.sandbox.project,
      });
      expect(run.exitCode).toBe(0);
      expect((await readMcpLog(log)).some((e) => e.event === 'call' && e.tool === 'echo')).toBe(true);
      const seen = readJournal(s.home).find((e) => e.type === 'mcp.server' && e.payload.name === 'company');
      expect(seen?.payload).toMatchObject({ source: 'managed', status: 'allowed' });
    } finally {
      await s.close();
    }
  }, 120_000);

  test('a policy published on the edge reaches a running session: the next tool call is decided by it', async () => {
    let published: Promise<void> | undefined;
    const s = await cerosSession((_request, index) => {
      if (index === 0) return turn(toolUseBlock('Bash', { command: 'echo before' }, 'toolu_before'));
      if (index === 1) {
        published = publishPolicy(
          'version: 1\ndefault: allow\nrules:\n  - id: no-bash-now\n    tools: [Bash]\n    effect: deny\n    reason: Bash was switched off by the security team\n',
        );
        // Time for the publish and for the session's 300 ms poll to pick it up.
        return {
          ...turn(toolUseBlock('Bash', { command: 'touch after-marker' }, 'toolu_after')),
          delayMs: 3_000,
        };
      }
      return undefined;
    });
    try {
      await enrollDevice(s.env);
      const run = await runClaude({
        cmd: [join(ROOT, 'dist', 'ceros'), 'claude'],
        args: ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'],
        env: { ...s.env, CEROS_POLICY_POLL_MS: '300' },
        cwd: s.sandbox.project,
      });
      await published;
      expect(run.exitCode).toBe(0);
      expect(s.api.toolResultFor('toolu_before')?.content).toContain('before');
      expect(existsSync(join(s.sandbox.project, 'after-marker'))).toBe(false);
      expect(s.api.toolResultFor('toolu_after')?.content).toContain(
        'Bash was switched off by the security team',
      );
      const updated = readJournal(s.home).find((e) => e.type === 'policy.updated');
      expect(updated?.payload).toMatchObject({ kind: 'edge', signed: true });
    } finally {
      await s.close();
    }
  }, 120_000);

  test("a managed MCP server that the published policy's allowlist leaves out never starts, and the journal says blocked", async () => {
    const s = await cerosSession([
      turn(toolUseBlock('mcp__payroll__echo', { text: 'salaries' }, 'toolu_payroll')),
      turn('ok'),
    ]);
    try {
      await enrollDevice(s.env, 'dev3@acme.test');
      const log = join(s.sandbox.home, 'payroll.log');
      const entry = mcpServerEntry('payroll', log);
      const admin = await adminSession();
      const created = await fetch(`${edge.url}/v1/admin/managed-mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: admin.cookie,
          'x-csrf-token': admin.csrf,
          origin: edge.url,
        },
        body: JSON.stringify({
          name: 'payroll',
          transport: 'stdio',
          command: entry.command,
          args: entry.args,
        }),
      });
      expect(created.status).toBeLessThan(300);
      await publishPolicy(
        'version: 1\ndefault: allow\nmcp:\n  allow: [github]\n  reason: Only the servers security approved\n',
      );
      const run = await runClaude({
        cmd: [join(ROOT, 'dist', 'ceros'), 'claude'],
        args: [
          '-p',
          'use the payroll tool',
          '--output-format',
          'json',
          '--allowedTools',
          'mcp__payroll__echo',
        ],
        env: { ...s.env, ENABLE_TOOL_SEARCH: 'false' },
        cwd: s.sandbox.project,
      });
      expect(run.exitCode).toBe(0);
      // Before issue 12.8 the managed server started and offered its tools; only its calls were denied.
      expect(await readMcpLog(log)).toEqual([]);
      expect(s.api.toolResultFor('toolu_payroll')?.isError).toBe(true);
      const tools = s.api.requests.flatMap((r) => (r.body?.tools ?? []).map((tool) => tool.name));
      expect(tools.filter((name) => name.startsWith('mcp__payroll'))).toEqual([]);
      const seen = readJournal(s.home).find((e) => e.type === 'mcp.server' && e.payload.name === 'payroll');
      expect(seen?.payload).toMatchObject({ source: 'managed', status: 'blocked', rule: 'mcp-allowlist' });
    } finally {
      await s.close();
    }
  }, 120_000);
});

/** `ceros enroll URL --no-browser`, with the test playing the human in the browser. */
/** `email`: the enrollment page sends at most 5 codes to one address every 15 minutes. */
async function enrollDevice(env: Record<string, string>, email = DEV): Promise<string> {
  const enroll = await spawnRetrying(() =>
    Bun.spawn([join(ROOT, 'dist', 'ceros'), 'enroll', edge.url, '--org', 'acme', '--no-browser'], {
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    }),
  );
  await enrollInBrowser(
    edge.url,
    await enrollmentCodeFrom(enroll.stderr as ReadableStream<Uint8Array>),
    email,
    (to: string) => smtp.codeFor(to),
  );
  await approvePendingDevice();
  expect(await enroll.exited).toBe(0);
  return (
    JSON.parse(readFileSync(join(env.CEROS_HOME as string, 'config.json'), 'utf8')) as { deviceId: string }
  ).deviceId;
}

/** An admin creates a policy and publishes it: the edge signs the bundle. */
async function publishPolicy(source: string): Promise<void> {
  const admin = await adminSession();
  const headers = {
    'content-type': 'application/json',
    cookie: admin.cookie,
    'x-csrf-token': admin.csrf,
    origin: edge.url,
  };
  const created = await fetch(`${edge.url}/v1/admin/policies`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: `p${Date.now()}`, source }),
  });
  if (created.status !== 201) throw new Error(`create policy: ${created.status} ${await created.text()}`);
  const { id, version } = (await created.json()) as { id: string; version: number };
  const publish = await fetch(`${edge.url}/v1/admin/policies/${id}/publish`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ version }),
  });
  if (publish.status >= 300) throw new Error(`publish: ${publish.status} ${await publish.text()}`);
}
