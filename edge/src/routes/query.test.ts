import { beforeAll, describe, expect, test } from 'bun:test';
import { devicePublicKeyFromSpki, verifyJournal } from '@ceros/protocol';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import { writeSampleSession } from '../testing/sample-session.ts';
import {
  type AdminSessionForTest,
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  json,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

let edge: TestEdge;
let admin: AdminSessionForTest;
let alice: FakeDevice;
let bob: FakeDevice;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

type Json = Record<string, unknown> & { items: Record<string, unknown>[]; nextCursor: string | null };
const get = async (path: string): Promise<Json> => {
  const res = await edge.request(path, { headers: admin.read });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Json;
};

beforeAll(async () => {
  edge = await createTestEdge({ startMs: T0 + 3600_000 });
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  admin = await signInAdmin(edge, 'boss@acme.test');
  alice = createFakeDevice({ now: edge.clock.now });
  bob = createFakeDevice({ now: edge.clock.now });
  await enrollDevice(edge, alice, { email: 'alice@acme.test', org: 'acme' });
  await enrollDevice(edge, bob, { email: 'bob@acme.test', org: 'acme' });
  const a1 = await writeSampleSession(alice, 'a-s1', { at: T0, prompt: 'first alice prompt' });
  const a2 = await writeSampleSession(alice, 'a-s2', {
    at: T0 + 60_000,
    command: 'cat README.md',
    postureOk: false,
  });
  const b1 = await writeSampleSession(bob, 'b-s1', { at: T0 + 120_000, command: 'rm -rf /tmp/build' });
  expect((await ingest(edge, alice, [...a1, ...a2])).status).toBe(200);
  expect((await ingest(edge, bob, b1)).status).toBe(200);
});

describe('console queries', () => {
  test('conversations list newest first with prompts, tool calls and blocks counted', async () => {
    const page = await get('/v1/admin/conversations');
    expect(page.items.map((c) => c.sessionId)).toEqual(['b-s1', 'a-s2', 'a-s1']);
    expect(page.items[2]).toMatchObject({
      user: 'alice@acme.test',
      deviceId: alice.id,
      prompts: 1,
      toolCalls: 3,
      blocks: 1,
      exitCode: 0,
      firstPrompt: 'first alice prompt',
      claudeVersion: '2.1.197',
      cwd: '/home/dev/project',
      keyProtection: 'software',
    });
  });

  test('conversations filter by user, device and time', async () => {
    expect((await get('/v1/admin/conversations?user=bob@acme.test')).items.map((c) => c.sessionId)).toEqual([
      'b-s1',
    ]);
    expect((await get(`/v1/admin/conversations?device=${alice.id}`)).items).toHaveLength(2);
    const from = new Date(T0 + 30_000).toISOString();
    const to = new Date(T0 + 90_000).toISOString();
    expect(
      (await get(`/v1/admin/conversations?from=${from}&to=${to}`)).items.map((c) => c.sessionId),
    ).toEqual(['a-s2']);
    expect((await get('/v1/admin/conversations?user=nobody@acme.test')).items).toEqual([]);
  });

  test('conversation pages follow the cursor without repeating or skipping', async () => {
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await get(`/v1/admin/conversations?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((c) => c.sessionId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['b-s1', 'a-s2', 'a-s1']);
  });

  test('a conversation shows messages with tool calls inline, decisions, results and subagents', async () => {
    const view = await get(`/v1/admin/conversations/${alice.id}/a-s1`);
    const kinds = view.items.map((i) => (i.kind === 'event' ? `event:${i.type}` : i.kind));
    // Tool calls are inline in the assistant turn that asked for them, not entries of their own.
    expect(kinds).toEqual([
      'event:session.start',
      'event:mcp.server',
      'event:mcp.server',
      'prompt',
      'assistant',
      'subagent.start',
      'assistant',
      'subagent.stop',
      'event:posture.change',
      'event:alert',
      'event:session.end',
    ]);
    const [main, sub] = view.items.filter((i) => i.kind === 'assistant') as Record<string, unknown>[];
    expect(main).toMatchObject({ text: 'Sure, listing.', agentId: null, model: 'claude-sonnet' });
    const calls = main?.toolCalls as Record<string, unknown>[];
    expect(calls[0]).toMatchObject({
      toolUseId: 'tu_1_a-s1',
      toolName: 'Bash',
      input: { command: 'ls -la' },
      decision: { effect: 'allow' },
      result: { durationMs: 12 },
    });
    expect(
      JSON.parse(String((calls[0]?.result as { response: string } | undefined)?.response)),
    ).toMatchObject({
      stdout: 'README.md\nsrc',
    });
    expect(calls[1]).toMatchObject({
      toolName: 'mcp__github__create_issue',
      mcpServer: 'github',
      decision: { effect: 'deny', rule: 'no-github-writes', reason: 'GitHub writes are blocked' },
      result: null,
    });
    expect(sub).toMatchObject({ agentId: 'agent-7', toolCalls: [{ toolName: 'Read', agentId: 'agent-7' }] });
    expect(view.items.find((i) => i.kind === 'subagent.stop')).toMatchObject({
      agentId: 'agent-7',
      agentType: 'Explore',
      lastMessage: 'The README is a title.',
    });
  });

  test('a conversation timeline pages by seq', async () => {
    const first = await get(`/v1/admin/conversations/${alice.id}/a-s1?limit=5`);
    expect(first.nextAfter).toBeNumber();
    const rest = await get(`/v1/admin/conversations/${alice.id}/a-s1?after=${first.nextAfter}`);
    expect(first.items.length + rest.items.length).toBe(11);
  });

  test('tool calls filter by tool, decision, user, device and text', async () => {
    expect((await get('/v1/admin/tool-calls')).items).toHaveLength(9);
    expect(
      (await get('/v1/admin/tool-calls?tool=Bash')).items.map(
        (t) => (t.input as { command: string }).command,
      ),
    ).toEqual(['rm -rf /tmp/build', 'cat README.md', 'ls -la']);
    const denied = await get('/v1/admin/tool-calls?decision=deny');
    expect(denied.items).toHaveLength(3);
    expect(denied.items.every((t) => (t.decision as { effect: string }).effect === 'deny')).toBe(true);
    expect((await get('/v1/admin/tool-calls?user=bob@acme.test')).items).toHaveLength(3);
    expect((await get(`/v1/admin/tool-calls?device=${alice.id}&tool=Read`)).items).toHaveLength(2);
    const text = await get('/v1/admin/tool-calls?q=rm%20-rf');
    expect(text.items.map((t) => t.user)).toEqual(['bob@acme.test']);
    // Text search also covers tool output, ignores case, and takes quotes literally.
    expect((await get('/v1/admin/tool-calls?q=%23%20project')).items).toHaveLength(3);
    expect((await get('/v1/admin/tool-calls?q=%22rm%20-rf')).items).toHaveLength(1);
  });

  test('text search pages newest-recorded first and combines with the other filters', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await get(
        `/v1/admin/tool-calls?q=README&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.items.map((t) => `${t.sessionId}/${t.toolName}`));
      cursor = page.nextCursor;
    } while (cursor);
    // Bob's session was uploaded last; within a session, calls come newest first.
    expect(seen).toEqual(['b-s1/Read', 'b-s1/Bash', 'a-s2/Read', 'a-s2/Bash', 'a-s1/Read', 'a-s1/Bash']);
    expect((await get('/v1/admin/tool-calls?q=README&tool=Read&user=alice@acme.test')).items).toHaveLength(2);
  });

  test('tool-call pages follow the cursor', async () => {
    const one = await get('/v1/admin/tool-calls?limit=4');
    const two = await get(`/v1/admin/tool-calls?limit=4&cursor=${one.nextCursor}`);
    const three = await get(`/v1/admin/tool-calls?limit=4&cursor=${two.nextCursor}`);
    expect(three.nextCursor).toBeNull();
    const ids = [...one.items, ...two.items, ...three.items].map(
      (t) => `${t.deviceId}/${t.sessionId}/${t.toolUseId}`,
    );
    expect(new Set(ids).size).toBe(9);
  });

  test('the tool inventory is deduplicated by schema hash, with devices and schema changes', async () => {
    const bash = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, bash, { email: 'carol@acme.test', org: 'acme' });
    const entries = [await bash.startSession('c-s1')];
    entries.push(
      bash.append(
        'tool.definition',
        {
          name: 'Bash',
          hash: 'e'.repeat(64),
          description: 'Run a command (v2)',
          inputSchema: { type: 'object' },
        },
        new Date(T0 + 500_000),
      ),
    );
    expect((await ingest(edge, bash, entries)).status).toBe(200);
    const inventory = await get('/v1/admin/tool-definitions');
    const rows = inventory.items.map((d) => [
      d.name,
      String(d.hash).slice(0, 1),
      d.devices,
      d.schemaVersions,
    ]);
    expect(rows).toEqual([
      ['Bash', 'b', 2, 2],
      ['Bash', 'e', 1, 2],
      ['mcp__github__create_issue', 'c', 2, 1],
    ]);
    expect(inventory.items[0]).toMatchObject({
      schemaChanged: true,
      definitionChanged: true,
      inputSchema: { type: 'object', properties: { command: { type: 'string' } } },
      firstSeen: new Date(T0 + 3000).toISOString(),
      lastSeen: new Date(T0 + 123_000).toISOString(),
    });
    const devices = await get(`/v1/admin/tool-definitions/${'b'.repeat(64)}/devices`);
    expect(devices.items.map((d) => d.deviceId).sort()).toEqual([alice.id, bob.id].sort());
  });

  test('MCP servers show identity, devices, blocked attempts and approval state', async () => {
    const before = await get('/v1/admin/mcp-servers');
    expect(before.items).toMatchObject([
      {
        name: 'github',
        identity: 'npx @github/mcp@1.2.3',
        status: 'allowed',
        approval: 'unmanaged',
        devices: 2,
        blockedAttempts: 0,
      },
      { name: 'shady', status: 'blocked', approval: 'blocked', devices: 2, blockedAttempts: 3 },
    ]);
    const add = await edge.request('/v1/admin/managed-mcp', {
      method: 'POST',
      headers: admin.write,
      body: JSON.stringify({
        name: 'github',
        transport: 'stdio',
        command: 'npx',
        args: ['@github/mcp@1.2.3'],
      }),
    });
    expect(add.status).toBe(201);
    expect((await get('/v1/admin/mcp-servers')).items[0]).toMatchObject({
      name: 'github',
      approval: 'managed',
    });
  });

  test('devices show latest and past posture, key protection, versions and last seen', async () => {
    const list = await get(`/v1/admin/devices?user=alice@acme.test`);
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      id: alice.id,
      user: 'alice@acme.test',
      status: 'active',
      keyProtection: 'software',
      hostname: 'test-host',
      cerosVersion: '0.1.0',
      claudeVersion: '2.1.197',
      lastSeen: new Date(edge.clock.now()).toISOString(),
      posture: { ok: false, failures: ['firewall'] },
      journalHead: 47,
    });
    const detail = await get(`/v1/admin/devices/${alice.id}`);
    const history = detail.postureHistory as { ok: boolean; sessionId: string; kind: string }[];
    expect(history.map((p) => [p.sessionId, p.kind, p.ok])).toEqual([
      ['a-s2', 'change', false],
      ['a-s2', 'snapshot', false],
      ['a-s1', 'change', false],
      ['a-s1', 'snapshot', true],
    ]);
    expect((detail.postureHistory as unknown[])[0]).toMatchObject({
      failures: ['firewall'],
      changes: [{ probe: 'firewall', summary: 'firewall: ok -> failed (nftables has no ruleset)' }],
    });
  });

  test('the activity log records enrollments, admin actions and alerts', async () => {
    const activity = await get('/v1/admin/activity?limit=100');
    const actions = activity.items.map((a) => a.action);
    expect(actions).toContain('device.enrolled');
    expect(actions).toContain('admin.signed_in');
    expect(actions).toContain('alert.posture');
    expect(actions).toContain('posture.changed');
    const denial = activity.items.find((a) => a.action === 'tool.denied');
    expect(denial).toMatchObject({
      actor: `device:${bob.id}`,
      target: 'b-s1',
      details: {
        tool: 'mcp__github__create_issue',
        rule: 'no-github-writes',
        reason: 'GitHub writes are blocked',
      },
    });
  });

  test('dashboard counts devices, sessions, blocks, posture failures and adoption gaps', async () => {
    const gap = JSON.stringify({ claudeSessionId: 'raw-claude-1', cwd: '/home/bob' });
    const report = await edge.request('/v1/agent/adoption-gaps', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bob.headers('POST', '/v1/agent/adoption-gaps', gap) },
      body: gap,
    });
    expect(report.status).toBe(201);
    const again = JSON.stringify({ claudeSessionId: 'raw-claude-1' });
    const dup = await edge.request('/v1/agent/adoption-gaps', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...bob.headers('POST', '/v1/agent/adoption-gaps', again),
      },
      body: again,
    });
    expect(await dup.json()).toEqual({ recorded: false });
    await edge.request('/v1/admin/users', {
      method: 'POST',
      headers: admin.write,
      body: JSON.stringify({ email: 'dave@acme.test' }),
    });
    const from = new Date(T0 - 3600_000).toISOString();
    const dashboard = await get(`/v1/admin/dashboard?from=${from}`);
    expect(dashboard).toMatchObject({
      provisionedUsers: 4,
      enrolledUsers: 3,
      notYetEnrolled: 1,
      enrolledDevices: 3,
      sessions: 4,
      blocks: 3,
      adoptionGaps: 1,
      usersWithAdoptionGaps: 1,
      devicesFailingPosture: 2,
    });
    expect(dashboard.postureFailures).toBe(4);
    const gaps = await get('/v1/admin/adoption-gaps');
    expect(gaps.items).toMatchObject([
      { user: 'bob@acme.test', claudeSessionId: 'raw-claude-1', cwd: '/home/bob' },
    ]);
  });

  test('an export of raw entries verifies with verifyJournal', async () => {
    const res = await edge.request(`/v1/admin/export/entries?device=${alice.id}`, { headers: admin.read });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const key = devicePublicKeyFromSpki(alice.publicKeySpki);
    const result = verifyJournal(lines, { deviceKey: (id) => (id === alice.id ? key : undefined) });
    expect(result).toMatchObject({ ok: true, count: 48 });
  });

  test('every query input is validated: unknown parameters, bad cursors, bad limits and times', async () => {
    for (const path of [
      '/v1/admin/conversations?colour=blue',
      '/v1/admin/conversations?cursor=not-a-cursor',
      '/v1/admin/tool-calls?limit=0',
      '/v1/admin/tool-calls?limit=100000',
      '/v1/admin/conversations?from=yesterday',
      '/v1/admin/devices?status=lost',
      '/v1/admin/tool-calls?q=ab',
    ]) {
      const res = await edge.request(path, { headers: admin.read });
      expect([path, res.status]).toEqual([path, 400]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    }
  });

  test('inputs that once answered 500 get a 400 naming the parameter', async () => {
    for (const [path, says] of [
      [
        `/v1/admin/dashboard?from=${'9'.repeat(40)}`,
        'from: must be an RFC 3339 time or epoch milliseconds between',
      ],
      [
        `/v1/admin/dashboard?to=${'1'.repeat(40)}`,
        'to: must be an RFC 3339 time or epoch milliseconds between',
      ],
      ['/v1/admin/dashboard?to=8640000000000001', 'to: must be'],
      ['/v1/admin/dashboard?to=-271821-04-20T00:00:00.000Z', 'to: must be'],
      ['/v1/admin/tool-calls?q=%00abc', 'q: must not contain a NUL character (%00)'],
      ['/v1/admin/tool-calls?q=abc%00', 'q: must not contain a NUL character'],
    ] as const) {
      const res = await edge.request(path, { headers: admin.read });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect([path, res.status, body.error.code]).toEqual([path, 400, 'INVALID_INPUT']);
      expect(body.error.message).toContain(says);
    }
    // The edges of the range still work.
    expect((await get('/v1/admin/dashboard?from=0&to=253402300799999')).from).toBe(
      '1970-01-01T00:00:00.000Z',
    );
  });

  test('queries need an admin session', async () => {
    const res = await edge.request('/v1/admin/conversations');
    expect(res.status).toBe(401);
    const wrongCookie = await edge.request('/v1/admin/conversations', {
      headers: { cookie: 'ceros_admin=forged' },
    });
    expect(wrongCookie.status).toBe(401);
    expect(json({}).method).toBe('POST');
  });
});
