import { beforeAll, describe, expect, test } from 'bun:test';
import type { JournalEntry } from '@ceros/protocol';
import { createFakeDevice } from '../testing/fake-device.ts';
import { loadRealSession, type RealSession } from '../testing/real-session.ts';
import {
  type AdminSessionForTest,
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';

/**
 * The golden real session (tests/fixtures/journal/real-session.jsonl: the real agent around the
 * real Claude Code, a policy denying Write, an MCP server and a subagent) goes up through the
 * ingest route signed by its device, and the console's query API must show it as it happened.
 */
type Json = Record<string, unknown> & { items: Record<string, unknown>[]; nextCursor: string | null };
type Item = Record<string, unknown>;
type Call = {
  toolUseId: string;
  toolName: string;
  agentId: string | null;
  decision: Item | null;
  result: Item | null;
  modelResult: Item | null;
  input: Item;
  spawnedAgentId: string | null;
};

async function ingestRealSession(batchSize: number) {
  const edge = await createTestEdge({ startMs: Date.parse('2026-12-01T00:00:00Z') });
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  const admin = await signInAdmin(edge, 'boss@acme.test');
  const real = loadRealSession({ now: edge.clock.now });
  await enrollDevice(edge, real.device, { email: 'dev@acme.test', org: 'acme' });
  for (let i = 0; i < real.entries.length; i += batchSize) {
    const res = await ingest(edge, real.device, real.entries.slice(i, i + batchSize));
    if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  }
  const get = async (path: string): Promise<Json> => {
    const res = await edge.request(path, { headers: admin.read });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Json;
  };
  return { edge, admin, real, get };
}

let edge: TestEdge;
let admin: AdminSessionForTest;
let real: RealSession;
let get: (path: string) => Promise<Json>;
let timeline: Json;
let calls: Call[];

const payloadOf = (type: string, match: (p: Item) => boolean = () => true): Item => {
  const entry = real.entries.find((e: JournalEntry) => e.type === type && match(e.payload as Item));
  if (!entry) throw new Error(`The golden session has no ${type} like that`);
  return entry.payload as Item;
};

beforeAll(async () => {
  // Batches of 10 put a session's start, its tool calls and their results in different requests.
  ({ edge, admin, real, get } = await ingestRealSession(10));
  timeline = await get(`/v1/admin/conversations/${real.device.id}/${real.sessionId}`);
  calls = timeline.items.flatMap((i) => (i.kind === 'assistant' ? (i.toolCalls as Call[]) : []));
});

describe('the golden real session, ingested and queried', () => {
  test('the conversation lists the prompt, counts, versions, key protection and the policy', async () => {
    const list = await get('/v1/admin/conversations');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      deviceId: real.device.id,
      sessionId: real.sessionId,
      user: 'dev@acme.test',
      firstPrompt: 'Summarise my notes, echo a greeting, and count the lines with a subagent',
      prompts: 1,
      toolCalls: 7,
      blocks: 1,
      subagents: 1,
      exitCode: 0,
      cwd: '/home/dev/project',
      cerosVersion: '0.1.0',
      claudeVersion: '2.1.197',
      keyProtection: 'software',
      model: 'claude-opus-4-8',
      policy: { kind: 'unsigned-file', signed: false },
      postureOk: false,
      claudeSessionId: payloadOf('prompt').claudeSessionId,
    });
  });

  test('the timeline reads as the conversation: prompt, Claude with tool calls inline, the answer', () => {
    const kinds = timeline.items.map((i) => (i.kind === 'event' ? `event:${String(i.type)}` : i.kind));
    expect(kinds).toEqual([
      'event:session.start',
      'event:mcp.server',
      'event:policy.unsigned',
      'prompt',
      'assistant',
      'assistant',
      'assistant',
      'assistant',
      'assistant',
      'assistant',
      'subagent.start',
      'assistant',
      'assistant',
      'subagent.stop',
      'assistant',
      'event:session.end',
    ]);
    expect(timeline.nextAfter).toBeNull();
    const main = timeline.items.filter((i) => i.kind === 'assistant' && i.agentId === null);
    expect(main.map((i) => i.text)).toEqual([
      'Let me look at the project first.',
      '',
      'Saving the summary.',
      '',
      '',
      '',
      'The notes have 2 lines; writing the summary was blocked by your policy.',
    ]);
    expect(calls.map((c) => c.toolUseId)).toEqual([
      'toolu_01bash',
      'toolu_01read',
      'toolu_01write',
      'toolu_01mcp',
      'toolu_01fail',
      'toolu_01agent',
      'toolu_01subbash',
    ]);
  });

  test('the denied Write is inline with its rule and reason, and what the model was told', () => {
    const write = calls.find((c) => c.toolName === 'Write');
    expect(write).toMatchObject({
      decision: { effect: 'deny', rule: 'no-writes', reason: 'Writing files is disabled', mode: 'enforce' },
      result: null,
      modelResult: {
        text: 'ceros policy (no-writes): Writing files is disabled [Write call]',
        isError: true,
      },
      input: { file_path: '/home/dev/project/summary.txt', content: 'alpha, beta\n' },
    });
  });

  test('Bash shows its output; the failed Bash its error; Read and the MCP tool their results', () => {
    const byId = new Map(calls.map((c) => [c.toolUseId, c]));
    const bash = byId.get('toolu_01bash');
    expect(bash?.decision).toMatchObject({
      effect: 'allow',
      rule: 'default',
      reason: 'Allowed by the policy default',
    });
    expect(JSON.parse(String(bash?.result?.response))).toMatchObject({ stdout: '.\n..\nnotes.txt' });
    expect(byId.get('toolu_01fail')?.result?.error).toContain('cat: missing.txt: No such file or directory');
    expect(JSON.parse(String(byId.get('toolu_01read')?.result?.response))).toMatchObject({
      file: { content: 'alpha\nbeta\n' },
    });
    expect(byId.get('toolu_01mcp')).toMatchObject({
      toolName: 'mcp__alpha__echo',
      mcpServer: 'alpha',
      result: { response: 'echo: hello from ceros' },
    });
  });

  test('the subagent has its own thread: its turns and its Bash call, linked from the Agent call', () => {
    const start = timeline.items.find((i) => i.kind === 'subagent.start');
    const agentId = String(start?.agentId);
    expect(start).toMatchObject({ agentType: 'general-purpose' });
    expect(calls.find((c) => c.toolName === 'Agent')?.spawnedAgentId).toBe(agentId);
    const thread = timeline.items.filter((i) => i.kind === 'assistant' && i.agentId === agentId);
    expect(thread.map((i) => i.text)).toEqual(['', 'notes.txt has 2 lines.']);
    expect(thread[0]?.toolCalls).toMatchObject([
      { toolUseId: 'toolu_01subbash', agentId, agentType: 'general-purpose' },
    ]);
    const sub = calls.find((c) => c.toolUseId === 'toolu_01subbash');
    expect(JSON.parse(String(sub?.result?.response))).toMatchObject({ stdout: '2 notes.txt' });
    expect(timeline.items.find((i) => i.kind === 'subagent.stop')).toMatchObject({
      agentId,
      lastMessage: 'notes.txt has 2 lines.',
    });
  });

  test('tool calls filter by decision and search their output', async () => {
    const denied = await get('/v1/admin/tool-calls?decision=deny');
    expect(denied.items).toMatchObject([
      { toolName: 'Write', decision: { rule: 'no-writes', reason: 'Writing files is disabled' } },
    ]);
    expect((await get('/v1/admin/tool-calls?q=hello%20from%20ceros')).items.map((c) => c.toolUseId)).toEqual([
      'toolu_01mcp',
    ]);
    expect((await get('/v1/admin/tool-calls?q=missing.txt')).items.map((c) => c.toolUseId)).toEqual([
      'toolu_01fail',
    ]);
    expect((await get('/v1/admin/tool-calls')).items).toHaveLength(7);
  });

  test('the tool inventory has the MCP tool with its full input schema and server', async () => {
    const inventory = await get('/v1/admin/tool-definitions?limit=200');
    const echo = inventory.items.find((d) => d.name === 'mcp__alpha__echo');
    expect(echo).toMatchObject({
      mcpServer: 'alpha',
      description: 'Echo text back (alpha)',
      inputSchema: payloadOf('tool.definition', (p) => p.name === 'mcp__alpha__echo').inputSchema as Item,
      devices: 1,
      hash: payloadOf('tool.definition', (p) => p.name === 'mcp__alpha__echo').hash as string,
    });
    expect(echo?.inputSchema).toMatchObject({ properties: { text: { type: 'string' } }, required: ['text'] });
    const names = inventory.items.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['Bash', 'Read', 'Write', 'Agent', 'mcp__alpha__add']));
    expect((await get('/v1/admin/tool-definitions?server=alpha')).items.map((d) => d.name)).toEqual([
      'mcp__alpha__add',
      'mcp__alpha__echo',
    ]);
  });

  test('the MCP server the session was configured with is listed with what it runs', async () => {
    const servers = await get('/v1/admin/mcp-servers');
    expect(servers.items).toMatchObject([
      {
        name: 'alpha',
        identity: expect.stringContaining('tests/src/harness/mcp-server.ts alpha'),
        status: 'allowed',
        approval: 'unmanaged',
        devices: 1,
        blockedAttempts: 0,
      },
    ]);
  });

  test('the device shows its posture snapshot, failing probes, key protection and versions', async () => {
    const device = await get(`/v1/admin/devices/${real.device.id}`);
    const snapshot = payloadOf('session.start').posture as { probes: Record<string, { status: string }> };
    const failed = Object.entries(snapshot.probes)
      .filter(([, probe]) => probe.status === 'failed')
      .map(([name]) => name);
    expect(device).toMatchObject({
      keyProtection: 'software',
      cerosVersion: '0.1.0',
      claudeVersion: '2.1.197',
      posture: {
        ok: false,
        failures: failed,
        report: { platform: 'linux', probes: { hostname: { value: 'dev-laptop' } } },
      },
      journalHead: real.entries.length - 1,
    });
    expect(device.postureHistory).toMatchObject([{ sessionId: real.sessionId, kind: 'snapshot', ok: false }]);
  });

  test('the activity log has the unsigned policy and the denial; the dashboard counts them', async () => {
    const activity = await get('/v1/admin/activity?limit=100');
    const fromDevice = activity.items.filter((a) => a.actor === `device:${real.device.id}`);
    expect(fromDevice.map((a) => a.action).sort()).toEqual(['policy.unsigned', 'tool.denied']);
    expect(fromDevice.find((a) => a.action === 'tool.denied')).toMatchObject({
      target: real.sessionId,
      details: {
        tool: 'Write',
        rule: 'no-writes',
        reason: 'Writing files is disabled',
        toolUseId: 'toolu_01write',
      },
    });
    const dashboard = await get(`/v1/admin/dashboard?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z`);
    expect(dashboard).toMatchObject({
      sessions: 1,
      toolCalls: 7,
      blocks: 1,
      postureFailures: 1,
      devicesFailingPosture: 1,
    });
  });

  test('the raw entries are kept exactly as signed', async () => {
    const res = await edge.request(`/v1/admin/export/entries?device=${real.device.id}`, {
      headers: admin.read,
    });
    const lines = (await res.text()).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(real.entries);
  });

  test('the projections do not depend on how the journal was batched', async () => {
    const whole = await ingestRealSession(1000);
    const single = await ingestRealSession(1);
    const path = `/v1/admin/conversations/${real.device.id}/${real.sessionId}`;
    const expected = JSON.stringify(timeline.items);
    expect(JSON.stringify((await whole.get(path)).items)).toBe(expected);
    expect(JSON.stringify((await single.get(path)).items)).toBe(expected);
  });
});

describe('posture changes', () => {
  test('a change uploaded in a later batch applies to the snapshot its session started with', async () => {
    const edge = await createTestEdge();
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const admin = await signInAdmin(edge, 'boss@acme.test');
    const device = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    const start = loadRealSession().entries.find((e) => e.type === 'session.start')?.payload as Item;
    const first = [await device.startSession('s1'), device.append('session.start', start as never)];
    expect((await ingest(edge, device, first)).status).toBe(200);
    const change = device.append('posture.change', {
      changes: [
        {
          probe: 'firewall',
          from: { status: 'unknown' },
          to: { status: 'ok', value: { enabled: true, source: 'nftables' } },
          summary: 'firewall: unknown -> ok (nftables ruleset loaded)',
        },
      ],
      postureDigest: 'c'.repeat(64),
    });
    expect((await ingest(edge, device, [change])).status).toBe(200);
    const res = await edge.request(`/v1/admin/devices/${device.id}`, { headers: admin.read });
    const detail = (await res.json()) as { postureHistory: Item[]; posture: Item };
    const [latest, initial] = detail.postureHistory as {
      kind: string;
      report: { probes: Record<string, Item> };
      failures: string[];
    }[];
    expect([latest?.kind, initial?.kind]).toEqual(['change', 'snapshot']);
    expect(latest?.report.probes.firewall).toEqual({
      status: 'ok',
      value: { enabled: true, source: 'nftables' },
      evidence: 'firewall: unknown -> ok (nftables ruleset loaded)',
    });
    // Every other probe is as the session started: still failing disk encryption and the rest.
    expect(latest?.report.probes.os).toEqual(initial?.report.probes.os);
    expect(latest?.failures).toEqual(initial?.failures);
    expect(detail.posture).toMatchObject({ ok: false, failures: initial?.failures });
  });
});
