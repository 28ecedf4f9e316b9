/**
 * `npm run demo`: the main job on the embedded defaults, offline. An edge (embedded libSQL file,
 * development outbox for codes) serving the console; this machine enrolled as a developer's
 * device; a real Claude Code session through ceros under the baseline policy, synced to the edge.
 * The model is our scripted Messages API on loopback (there is no network here); everything else
 * is the real product. It ends with the console's URL and a signed-in admin link.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addAdmin, createApp, type OutboxMailer, runEdgeCli, serveDeps } from '@ceros/edge';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { enrollInBrowser, enrollmentCodeFrom } from '../tests/src/e2e/enroll-in-browser.ts';
import { makeSandbox, runClaude } from '../tests/src/harness/claude.ts';
import { startScriptedApi, toolUseBlock, turn } from '../tests/src/harness/scripted-api.ts';

const root = join(import.meta.dir, '..');
const ceros = join(root, 'dist', 'ceros');
const say = (line = '') => process.stdout.write(`${line}\n`);
const ADMIN = 'secops@acme.test';
const DEV = 'dev@acme.test';
const PORT = Number(process.env.CEROS_DEMO_PORT ?? 8787);

// 1. The edge, with the console, on the embedded defaults.
const data = mkdtempSync(join(tmpdir(), 'ceros-demo-edge-'));
// Built as `ceros-edge serve --data DIR --dev-outbox` builds it: store, development outbox
// (codes shown at /dev/outbox to this machine), transparency log.
const served = await runEdgeCli(['serve', '--data', data, '--dev-outbox'], {
  env: {},
  cwd: root,
  defaultDistDir: join(root, 'dist'),
});
if (served.kind !== 'serve') throw new Error(`ceros-edge serve: ${served.stderr}`);
const deps = await serveDeps(served.config, () => {});
const { store, tlog } = deps;
const outbox = deps.mailer as OutboxMailer;
const { org } = await addAdmin(store, { email: ADMIN, orgName: 'Acme', role: 'admin' }, Date.now());
await store.updateOrgSettings(org.id, { allowedDomains: ['acme.test'] });
tlog?.start();
const edgeApp = createApp(deps);
const demoLogins = new Map<string, string>();
const app = new Hono();
// Demo only: a one-time link that carries an admin session minted through the real sign-in.
app.get('/demo/sign-in', (c) => {
  const token = demoLogins.get(c.req.query('t') ?? '');
  if (!token) return c.text('This demo sign-in link was already used or is unknown', 404);
  demoLogins.delete(c.req.query('t') ?? '');
  setCookie(c, 'ceros_admin', token, { httpOnly: true, sameSite: 'Strict', path: '/' });
  return c.redirect('/');
});
app.all('*', (c) => edgeApp.fetch(c.req.raw, { ip: '127.0.0.1' }));
let server: ReturnType<typeof Bun.serve>;
try {
  server = Bun.serve({ hostname: '127.0.0.1', port: PORT, fetch: (request) => app.fetch(request) });
} catch {
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.fetch(request) });
}
const edgeUrl = `http://127.0.0.1:${server.port}`;
const codeFor = (to: string) => {
  const message = [...outbox.messages].reverse().find((m) => m.to === to);
  const code = message?.text.match(/Your code: (\d{6})/)?.[1];
  if (!code) throw new Error(`No code was mailed to ${to}`);
  return code;
};
/** Signs in through the real code sign-in: the session cookie and its CSRF token. */
async function signIn(email: string): Promise<{ cookie: string; csrf: string }> {
  const post = (path: string, body: unknown) =>
    fetch(`${edgeUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: edgeUrl },
      body: JSON.stringify(body),
    });
  await post('/v1/admin/login/start', { email });
  const verified = await post('/v1/admin/login/verify', { email, code: codeFor(email) });
  const cookie =
    verified.headers
      .getSetCookie()
      .find((c) => c.startsWith('ceros_admin='))
      ?.split(';')[0] ?? '';
  return { cookie, csrf: ((await verified.json()) as { csrfToken: string }).csrfToken };
}

async function waitFor<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await Bun.sleep(100);
  }
  throw new Error('Timed out waiting for the device to enroll');
}

say(`ceros demo\n\n1. Edge and console running at ${edgeUrl} (data in ${data})`);

// 2. A developer machine: sandboxed HOME, a secret Claude must not read, and the baseline policy.
const api = startScriptedApi([
  turn(
    'Let me look around.',
    toolUseBlock('Bash', { command: 'ls -la', description: 'List files' }, 'toolu_demo_ls'),
  ),
  turn(toolUseBlock('Read', { file_path: `${'~'}/.ssh/id_rsa` }, 'toolu_demo_read')),
  turn(
    toolUseBlock(
      'Bash',
      { command: 'cat ~/.ssh/id_rsa | base64', description: 'Read the SSH key' },
      'toolu_demo_ssh',
    ),
  ),
  turn('Your project has a README. I was not allowed to read your SSH key, as it should be.'),
]);
const sandbox = makeSandbox({ baseUrl: api.url });
const env = { ...sandbox.env, CEROS_HOME: join(sandbox.home, '.ceros') };
writeFileSync(join(sandbox.project, 'README.md'), '# demo project\n');
mkdirSync(join(sandbox.home, '.ssh'), { recursive: true, mode: 0o700 });
writeFileSync(join(sandbox.home, '.ssh', 'id_rsa'), 'DEMO-SECRET-KEY\n', { mode: 0o600 });
const policy = join(sandbox.home, 'baseline.yaml');
writeFileSync(policy, Bun.spawnSync([ceros, 'policy', 'starter', 'baseline'], { env }).stdout.toString());

// 3. Enrollment: the device key is bound to a verified human (the test plays the browser).
say(`2. Enrolling this device as ${DEV} (code mailed through the development outbox)`);
const enroll = Bun.spawn([ceros, 'enroll', edgeUrl, '--org', org.slug, '--no-browser'], {
  env,
  stdout: 'pipe',
  stderr: 'pipe',
});
await enrollInBrowser(
  edgeUrl,
  await enrollmentCodeFrom(enroll.stderr as ReadableStream<Uint8Array>),
  DEV,
  codeFor,
);
// A new organization holds each new device until an admin approves it (Settings in the console):
// the admin does, through the API the console's Devices page uses.
const adminSession = await signIn(ADMIN);
const pending = await waitFor(async () => {
  const res = await fetch(`${edgeUrl}/v1/admin/devices?status=pending`, {
    headers: { cookie: adminSession.cookie },
  });
  return ((await res.json()) as { items: { id: string; hostname: string | null }[] }).items[0];
});
await fetch(`${edgeUrl}/v1/admin/devices/${encodeURIComponent(pending.id)}/approve`, {
  method: 'POST',
  headers: { cookie: adminSession.cookie, 'x-csrf-token': adminSession.csrf, origin: edgeUrl },
});
say(
  `   ${ADMIN} approved the device "${pending.hostname ?? pending.id}" (new devices need an admin's approval)`,
);
await enroll.exited;
say(`   ${(await new Response(enroll.stdout).text()).trim()}`);

// 4. A real Claude Code session through ceros.
say('\n3. $ ceros claude --policy baseline.yaml -p "what files are in my directory?"');
const run = await runClaude({
  cmd: [ceros, 'claude'],
  args: [
    '--policy',
    policy,
    '--allow-unsigned-policy',
    '-p',
    'what files are in my directory?',
    '--output-format',
    'json',
    '--allowedTools',
    'Bash,Read',
  ],
  env,
  cwd: sandbox.project,
});
say(`   Claude Code exited with ${run.exitCode}: ${run.json?.result ?? run.stderr}`);
say(
  `   Denied by policy: ${(run.json?.permission_denials ?? []).map((d) => `${d.tool_name} ${JSON.stringify(d.tool_input)}`).join('; ') || 'none'}`,
);

for (const args of [
  ['log', '--type', 'tool.decision'],
  ['log', 'verify'],
  ['log', 'receipts'],
]) {
  say(`\n$ ceros ${args.join(' ')}`);
  const out = Bun.spawnSync([ceros, ...args], { env });
  process.stdout.write(out.stdout.toString() + out.stderr.toString());
}

// 5. The console, signed in.
const session = (await signIn(ADMIN)).cookie.slice('ceros_admin='.length);
const linkId = crypto.randomUUID();
demoLogins.set(linkId, session);
say(`\n4. The console: ${edgeUrl}/`);
say(`   Signed-in admin link (one use): ${edgeUrl}/demo/sign-in?t=${linkId}`);
say(`   Or sign in as ${ADMIN}; codes appear at ${edgeUrl}/dev/outbox`);
if (process.env.CEROS_DEMO_EXIT === '1' || !process.stdout.isTTY) {
  say('\n(not a terminal: stopping the edge; run `npm run demo` in a terminal to keep it up)');
  await api.close();
  await tlog?.stop();
  server.stop(true);
  process.exit(run.exitCode === 0 ? 0 : 1);
}
say('\nPress Ctrl-C to stop the edge.');
