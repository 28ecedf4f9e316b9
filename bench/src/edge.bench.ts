/**
 * Issue 6's figures for the edge, on embedded libSQL (a file in a temp folder):
 *
 * - ingest: `devices` simulated devices (1,000 by default) upload signed journal batches through
 *   the real app (signature, chain and certificate verification, projection, storage); entries/s
 *   and p50/p99 request latency, against a baseline of bare INSERTs of the same bytes in this run.
 * - queries: p95 of the console's conversation list and tool-call search over a store seeded with
 *   `seedEvents` events, against a baseline of GET /healthz in this run.
 *
 * Requests go through `app.fetch` in process (no sockets), so the figures are the edge's own cost.
 * `seedEvents` defaults small for a quick run; `bun bench/src/edge.bench.ts --seed 1000000` seeds
 * a million events (see the numbers in the doc comment of `runEdgeBench`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addAdmin,
  createApp,
  createLibsqlStore,
  createOutboxMailer,
  type EdgeStore,
  projectEntry,
} from '@ceros/edge';
import { createFakeDevice, type FakeDevice } from '@ceros/edge/src/testing/index.ts';
import { entryBytes, entryHash, type JournalEntry, type JsonValue } from '@ceros/protocol';
import { createClient } from '@libsql/client';
import { postIngest } from './ingest.ts';
import { type BenchLine, fmt, percentile } from './stats.ts';

export interface EdgeBenchOptions {
  /** Simulated devices uploading concurrently. */
  devices?: number;
  batchesPerDevice?: number;
  entriesPerBatch?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Events in the seeded store the query figures run against. */
  seedEvents?: number;
  /** Samples per query kind. */
  querySamples?: number;
  log?: (line: string) => void;
}

const TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Grep', 'Glob', 'mcp__github__create_issue', 'WebFetch'];

function payloadFor(i: number, session: string): { type: string; payload: JsonValue } {
  const tool = TOOLS[i % TOOLS.length] ?? 'Bash';
  const id = `${session}-tu${i}`;
  switch (i % 5) {
    case 0:
      return {
        type: 'prompt',
        payload: { text: `please look at file${i}.ts and fix the bug ${i % 97}`, claudeSessionId: session },
      };
    case 1:
      return {
        type: 'api.response',
        payload: {
          content: [
            { type: 'text', text: 'On it.' },
            { type: 'tool_use', id, name: tool, input: { n: i } },
          ],
          stopReason: 'tool_use',
        },
      };
    case 2:
      return {
        type: 'tool.decision',
        payload: {
          toolName: tool,
          toolUseId: id,
          toolInput: { command: `grep -rn token${i % 1013} src/` },
          decision: {
            effect: i % 23 === 0 ? 'deny' : 'allow',
            rule: 'r',
            reason: null,
            policyHash: 'a'.repeat(64),
            mode: 'enforce',
          },
        },
      };
    case 3:
      return {
        type: 'tool.result',
        payload: {
          toolUseId: `${session}-tu${i - 1}`,
          toolName: tool,
          response: `result ${i}`,
          durationMs: i % 50,
        },
      };
    default:
      return { type: 'hook.notification', payload: { message: 'waiting' } };
  }
}

async function setup(dir: string, name: string) {
  const store = createLibsqlStore({ url: `file:${join(dir, `${name}.db`)}` });
  await store.migrate();
  const outbox = createOutboxMailer();
  const { org } = await addAdmin(
    store,
    { email: 'bench@acme.test', orgName: 'Bench', role: 'admin' },
    Date.now(),
  );
  const app = createApp({ store, mailer: outbox });
  return { store, app, org, outbox };
}

async function registerDevices(store: EdgeStore, orgId: string, devices: FakeDevice[]) {
  for (const [i, device] of devices.entries()) {
    const user = await store.ensureUser(
      orgId,
      `user${i % Math.max(1, Math.floor(devices.length / 2))}@acme.test`,
      'active',
      Date.now(),
    );
    await store.registerDevice({
      orgId,
      id: device.id,
      userId: user.id,
      publicKey: device.publicKeySpki,
      keyProtection: 'software',
      status: 'active',
      info: { hostname: `host-${i}`, os: 'linux', arch: 'x64', cerosVersion: '0.1.0' },
      nowMs: Date.now(),
    });
  }
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await run(item);
      }
    }),
  );
}

export async function benchIngest(options: EdgeBenchOptions = {}): Promise<BenchLine[]> {
  const deviceCount = options.devices ?? 1000;
  const batches = options.batchesPerDevice ?? 3;
  const perBatch = options.entriesPerBatch ?? 20;
  const concurrency = options.concurrency ?? 8;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'ceros-bench-edge-'));
  try {
    const { store, app, org } = await setup(dir, 'ingest');
    log(`ingest: creating ${deviceCount} devices and their journals`);
    const devices = Array.from({ length: deviceCount }, () => createFakeDevice());
    await registerDevices(store, org.id, devices);
    const journals = new Map<FakeDevice, JournalEntry[][]>();
    for (const device of devices) {
      const entries: JournalEntry[] = [await device.startSession(`s-${device.id}`)];
      for (let i = 1; i < batches * perBatch; i++) {
        const { type, payload } = payloadFor(i, `s-${device.id}`);
        entries.push(device.append(type, payload));
      }
      journals.set(
        device,
        Array.from({ length: batches }, (_, b) => entries.slice(b * perBatch, (b + 1) * perBatch)),
      );
    }

    const latencies: number[] = [];
    let total = 0;
    log(`ingest: ${deviceCount * batches} batches of ${perBatch}, ${concurrency} in flight`);
    const started = performance.now();
    for (let round = 0; round < batches; round++) {
      await pool(devices, concurrency, async (device) => {
        const batch = journals.get(device)?.[round] ?? [];
        latencies.push(await postIngest(app, device, batch));
        total += batch.length;
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = total / seconds;

    // Baseline: the same entry bytes written with bare INSERTs in batches of the same size.
    const raw = createClient({ url: `file:${join(dir, 'baseline.db')}` });
    // The same pragmas the edge store sets on an embedded file.
    for (const pragma of ['PRAGMA journal_mode = WAL', 'PRAGMA synchronous = NORMAL'])
      await raw.execute(pragma);
    await raw.execute('CREATE TABLE e (device TEXT, seq INTEGER, bytes TEXT, PRIMARY KEY (device, seq))');
    const all = [...journals.values()].flat();
    const baseStart = performance.now();
    for (const batch of all)
      await raw.batch(
        batch.map((entry) => ({
          sql: 'INSERT INTO e VALUES (?, ?, ?)',
          args: [entry.device, entry.seq, entryBytes(entry)],
        })),
        'write',
      );
    const baseRate = total / ((performance.now() - baseStart) / 1000);
    raw.close();
    store.close();
    return [
      { name: `ingest: ${deviceCount} devices, ${total} entries`, value: `${Math.round(rate)} entries/s` },
      {
        name: 'ingest: bare INSERT baseline',
        value: `${Math.round(baseRate)} entries/s (edge at ${(rate / baseRate).toFixed(2)}x)`,
      },
      {
        name: `ingest: service time per batch of ${perBatch}`,
        value: `${fmt((seconds * 1000) / latencies.length)} (wall time / requests; ${concurrency} in flight)`,
      },
      { name: `ingest: request latency p50 (batch of ${perBatch})`, value: fmt(percentile(latencies, 50)) },
      { name: `ingest: request latency p99 (batch of ${perBatch})`, value: fmt(percentile(latencies, 99)) },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Seeds `events` synthetic events straight through the store's projection path (no signing: the
 * queries read projections, not signatures): 200 devices, sessions of 50 events.
 */
async function seed(store: EdgeStore, orgId: string, events: number, log: (line: string) => void) {
  const deviceCount = 200;
  const devices = Array.from({ length: deviceCount }, () => createFakeDevice());
  await registerDevices(store, orgId, devices);
  const ids = await Promise.all(devices.map(async (d) => (await store.getDevice(orgId, d.id))?.userId ?? ''));
  const perSession = 50;
  const sessions = Math.ceil(events / perSession);
  const heads = new Map<string, number>();
  const t0 = Date.UTC(2025, 0, 1);
  const span = 180 * 86_400_000;
  for (let s = 0; s < sessions; s++) {
    const d = s % deviceCount;
    const device = devices[d] as FakeDevice;
    const sessionId = `seed-${s}`;
    const start = heads.get(device.id) ?? 0;
    const base = t0 + Math.floor((s / sessions) * span);
    const entries = Array.from({ length: perSession }, (_, i) => {
      const { type, payload } =
        i === 0
          ? {
              type: 'session.start',
              payload: {
                cwd: '/w',
                claudeVersion: '2.1.197',
                cerosVersion: '0.1.0',
                posture: { ok: s % 31 !== 0 },
              } as JsonValue,
            }
          : payloadFor(i + s, sessionId);
      const entry: JournalEntry = {
        v: 1,
        device: device.id,
        seq: start + i,
        prev: '0'.repeat(64),
        time: new Date(base + i * 1000).toISOString(),
        session: sessionId,
        type,
        payload,
        sig: 'A'.repeat(86),
      };
      return {
        seq: entry.seq,
        hash: entryHash(entry),
        sessionId,
        type,
        timeMs: base + i * 1000,
        bytes: entryBytes(entry),
        projection: projectEntry(entry),
      };
    });
    heads.set(device.id, start + perSession);
    await store.storeEntries({
      orgId,
      deviceId: device.id,
      userId: ids[d] ?? '',
      receivedMs: Date.now(),
      entries,
    });
    if (s % 2000 === 0 && s > 0) log(`queries: seeded ${s * perSession} events`);
  }
  return devices;
}

export async function benchQueries(options: EdgeBenchOptions = {}): Promise<BenchLine[]> {
  const events = options.seedEvents ?? 20_000;
  const samples = options.querySamples ?? 100;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'ceros-bench-edge-q-'));
  try {
    const { store, app, org, outbox } = await setup(dir, 'queries');
    log(`queries: seeding ${events} events`);
    const seedStart = performance.now();
    const devices = await seed(store, org.id, events, log);
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const call = (path: string, init: RequestInit = {}) =>
      app.fetch(new Request(`http://edge.bench${path}`, init));
    await call('/v1/admin/login/start', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@acme.test' }),
    });
    const code = outbox.messages.at(-1)?.text.match(/Your code: (\d{6})/)?.[1];
    const verified = await call('/v1/admin/login/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@acme.test', code }),
    });
    const cookie = /ceros_admin=[^;]+/.exec(verified.headers.get('set-cookie') ?? '')?.[0] ?? '';

    const measure = async (paths: () => string): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < samples; i++) {
        const path = paths();
        const t = performance.now();
        const response = await call(path, { headers: { cookie } });
        await response.arrayBuffer();
        out.push(performance.now() - t);
        if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
      }
      return out;
    };
    let i = 0;
    const pick = <T>(list: readonly T[]): T => list[i++ % list.length] as T;
    const healthz = await measure(() => '/healthz');
    const firstPage = await call('/v1/admin/conversations?limit=50', { headers: { cookie } });
    const cursor = ((await firstPage.json()) as { nextCursor: string }).nextCursor;
    const lines: [string, number[]][] = [
      ['conversations: newest 50', await measure(() => '/v1/admin/conversations?limit=50')],
      [
        'conversations: next page (cursor)',
        await measure(() => `/v1/admin/conversations?limit=50&cursor=${cursor}`),
      ],
      [
        'conversations: by user',
        await measure(() => `/v1/admin/conversations?user=user${i++ % 100}@acme.test`),
      ],
      [
        'conversations: by device + month',
        await measure(
          () =>
            `/v1/admin/conversations?device=${pick(devices).id}&from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z`,
        ),
      ],
      ['tool calls: newest 50', await measure(() => '/v1/admin/tool-calls?limit=50')],
      [
        'tool calls: by tool + denied',
        await measure(() => `/v1/admin/tool-calls?tool=${pick(TOOLS)}&decision=deny`),
      ],
      [
        'tool calls: text search (rare term)',
        await measure(() => `/v1/admin/tool-calls?q=token${(i++ * 7) % 1013}%20src`),
      ],
      ['tool calls: text search (common term)', await measure(() => '/v1/admin/tool-calls?q=grep%20-rn')],
    ];
    const base = percentile(healthz, 95);
    store.close();
    return [
      { name: `queries: seeded ${events} events`, value: `in ${seedSeconds.toFixed(1)} s` },
      { name: 'queries: GET /healthz baseline p95', value: fmt(base) },
      ...lines.map(([name, values]) => ({
        name: `${name} p95`,
        value: `${fmt(percentile(values, 95))} (${(percentile(values, 95) / base).toFixed(1)}x healthz)`,
      })),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Both groups. Measured on the 2-core dev box (Bun 1.4.5, embedded libSQL file in WAL mode):
 * - default run: 1,000 devices, 60,000 entries ingested at ~1,300 entries/s (service time ~15 ms
 *   per 20-entry batch; p99 ~320 ms with 8 requests queued); queries over 20,000 events all
 *   under 5 ms p95.
 * - `seedEvents: 1_000_000` (seeding takes ~5 min): conversation list 5.6 ms, next page 4.9 ms,
 *   by user 6.2 ms, by device and month 1.6 ms; tool calls newest 4.2 ms, by tool and decision
 *   5.2 ms, text search 11-14 ms (all p95).
 */
export async function runEdgeBench(options: EdgeBenchOptions = {}): Promise<BenchLine[]> {
  return [...(await benchIngest(options)), ...(await benchQueries(options))];
}

if (import.meta.main) {
  const arg = (name: string) => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? Number(process.argv[at + 1]) : undefined;
  };
  const { printLines } = await import('./stats.ts');
  const opts: EdgeBenchOptions = { log: (line) => process.stderr.write(`${line}\n`) };
  const seedEvents = arg('--seed');
  const devices = arg('--devices');
  if (seedEvents !== undefined) opts.seedEvents = seedEvents;
  if (devices !== undefined) opts.devices = devices;
  const only = process.argv.includes('--queries')
    ? 'queries'
    : process.argv.includes('--ingest')
      ? 'ingest'
      : 'all';
  const lines =
    only === 'queries'
      ? await benchQueries(opts)
      : only === 'ingest'
        ? await benchIngest(opts)
        : await runEdgeBench(opts);
  process.stdout.write(printLines('edge', lines));
}
