import { afterEach, describe, expect, test } from 'bun:test';
import { entryHash } from '@ceros/protocol';
import { createFakeDevice } from '../testing/fake-device.ts';
import { loadRealSession } from '../testing/real-session.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  type TestEdge,
} from '../testing/test-edge.ts';
import { backoffDelay, createSiemExporter } from './exporter.ts';
import type { HecConfig } from './sink-config.ts';
import { type HecReceiver, startHecReceiver } from './testing/hec-receiver.ts';

const TOKEN = '11111111-2222-3333-4444-555555555555';
const receivers: HecReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function setup(options: { tlog?: boolean } = {}) {
  const edge = await createTestEdge({ tlog: options.tlog ?? true });
  const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  const real = loadRealSession({ now: edge.clock.now });
  await enrollDevice(edge, real.device, { email: 'dev@acme.test', org: org.slug });
  const receiver = startHecReceiver({ token: TOKEN });
  receivers.push(receiver);
  const config: HecConfig = {
    kind: 'hec',
    url: receiver.url,
    token: TOKEN,
    sourcetype: 'ocsf',
    source: 'ceros',
    detail: 'arguments',
  };
  return { edge, org, real, receiver, config };
}

async function addSink(edge: TestEdge, orgId: string, config: HecConfig, from: 'start' | 'now' = 'start') {
  await edge.store.addSink(
    { id: `sink_${config.url}`, orgId, name: 'splunk', config, from },
    edge.clock.now(),
  );
}

const seqsOf = (receiver: HecReceiver) => receiver.events.map((e) => Number(e.fields?.ceros_seq));

describe('the SIEM exporter with a HEC receiver', () => {
  test('delivers every stored entry once, in seq order per device, naming its entry and log index', async () => {
    const { edge, org, real, receiver, config } = await setup();
    expect((await ingest(edge, real.device, real.entries)).status).toBe(200);
    await addSink(edge, org.id, config);
    const exporter = createSiemExporter({
      store: edge.store,
      now: edge.clock.now,
      productVersion: '0.1.0',
      batchSize: 20,
    });
    await exporter.runOnce();
    expect(seqsOf(receiver)).toEqual(real.entries.map((e) => e.seq));
    const first = receiver.events[0];
    expect(first?.fields).toMatchObject({
      ceros_entry_hash: entryHash(real.entries[0] as never),
      ceros_device: real.device.id,
      ceros_seq: '0',
      ceros_log_index: '0',
    });
    expect(first?.event.metadata).toMatchObject({
      version: '1.8.0',
      uid: entryHash(real.entries[0] as never),
    });
    // Nothing new: a second pass sends nothing.
    const requests = receiver.requests;
    await exporter.runOnce();
    expect(receiver.requests).toBe(requests);
    const [status] = await edge.store.listSinks(org.id);
    expect(status).toMatchObject({ delivered: real.entries.length, deadLetters: 0, pending: 0, failures: 0 });
  });

  test('a receiver down for many retries gets every event exactly once when it returns', async () => {
    const { edge, org, real, receiver, config } = await setup();
    await addSink(edge, org.id, config);
    const exporter = createSiemExporter({
      store: edge.store,
      now: edge.clock.now,
      productVersion: '0.1.0',
      batchSize: 10,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
    });
    const half = Math.floor(real.entries.length / 2);
    expect((await ingest(edge, real.device, real.entries.slice(0, half))).status).toBe(200);
    await exporter.runOnce();
    expect(seqsOf(receiver)).toEqual(real.entries.slice(0, half).map((e) => e.seq));

    await receiver.down();
    expect((await ingest(edge, real.device, real.entries.slice(half))).status).toBe(200);
    // Ten minutes of the test clock: the back-off grows to its cap and every retry fails.
    const delays: number[] = [];
    for (let minute = 0; minute < 600; minute += 5) {
      await exporter.runOnce();
      const [sink] = await edge.store.listSinks(org.id);
      if (sink && sink.nextAttemptMs > edge.clock.now()) delays.push(sink.nextAttemptMs - edge.clock.now());
      edge.clock.advance(5_000);
    }
    const [failing] = await edge.store.listSinks(org.id);
    expect(failing?.failures).toBeGreaterThan(5);
    expect(failing?.lastError).toContain('connection refused');
    expect(failing?.pending).toBe(real.entries.length - half);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000 * 1.2);
    expect(seqsOf(receiver)).toHaveLength(half);

    receiver.up();
    edge.clock.advance(2 * 60_000);
    await exporter.runOnce();
    expect(seqsOf(receiver)).toEqual(real.entries.map((e) => e.seq));
    const [healthy] = await edge.store.listSinks(org.id);
    expect(healthy).toMatchObject({ failures: 0, pending: 0, delivered: real.entries.length });
  });

  test('a wrong token is a retried failure that names the refusal, and nothing is lost', async () => {
    const { edge, org, real, receiver, config } = await setup();
    expect((await ingest(edge, real.device, real.entries)).status).toBe(200);
    await addSink(edge, org.id, { ...config, token: 'wrong' });
    const exporter = createSiemExporter({ store: edge.store, now: edge.clock.now, productVersion: '0.1.0' });
    await exporter.runOnce();
    const [sink] = await edge.store.listSinks(org.id);
    expect(sink?.lastError).toBe(
      `The HEC receiver at "${receiver.url}" refused the token (403: Invalid token, code 4)`,
    );
    expect(sink).toMatchObject({ delivered: 0, deadLetters: 0, pending: real.entries.length });
    expect(receiver.events).toHaveLength(0);
  });

  test('an event the receiver refuses as bad data is a dead letter; the rest of its batch goes through', async () => {
    const { edge, org, real, receiver, config } = await setup();
    expect((await ingest(edge, real.device, real.entries)).status).toBe(200);
    await addSink(edge, org.id, config);
    const bad = real.entries.find((e) => e.type === 'tool.decision')?.seq;
    receiver.refuse((event) => event.fields?.ceros_seq === String(bad));
    const exporter = createSiemExporter({
      store: edge.store,
      now: edge.clock.now,
      productVersion: '0.1.0',
      batchSize: 16,
    });
    await exporter.runOnce();
    expect(seqsOf(receiver)).toEqual(real.entries.map((e) => e.seq).filter((s) => s !== bad));
    const [sink] = await edge.store.listSinks(org.id);
    expect(sink).toMatchObject({ deadLetters: 1, delivered: real.entries.length - 1, pending: 0 });
  });

  test('a sink added "from now" sends only what arrives after it, and new devices from their start', async () => {
    const { edge, org, real, receiver, config } = await setup({ tlog: false });
    const half = 20;
    expect((await ingest(edge, real.device, real.entries.slice(0, half))).status).toBe(200);
    await addSink(edge, org.id, config, 'now');
    expect((await ingest(edge, real.device, real.entries.slice(half))).status).toBe(200);
    const other = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, other, { email: 'two@acme.test', org: org.slug });
    const theirs = [await other.startSession('s-two'), other.append('prompt', { text: 'hi' })];
    expect((await ingest(edge, other, theirs)).status).toBe(200);
    const exporter = createSiemExporter({ store: edge.store, now: edge.clock.now, productVersion: '0.1.0' });
    await exporter.runOnce();
    const mine = receiver.events
      .filter((e) => e.fields?.ceros_device === real.device.id)
      .map((e) => Number(e.fields?.ceros_seq));
    expect(mine).toEqual(real.entries.slice(half).map((e) => e.seq));
    expect(receiver.events.filter((e) => e.fields?.ceros_device === other.id)).toHaveLength(2);
    // Without a log there is no index to name.
    expect(receiver.events.every((e) => e.fields?.ceros_log_index === undefined)).toBe(true);
  });

  test('two exporters on one database never send the same batch twice', async () => {
    const { edge, org, real, receiver, config } = await setup();
    expect((await ingest(edge, real.device, real.entries)).status).toBe(200);
    await addSink(edge, org.id, config);
    const a = createSiemExporter({
      store: edge.store,
      now: edge.clock.now,
      productVersion: '0.1.0',
      batchSize: 5,
    });
    const b = createSiemExporter({
      store: edge.store,
      now: edge.clock.now,
      productVersion: '0.1.0',
      batchSize: 5,
    });
    await Promise.all([a.runOnce(), b.runOnce()]);
    expect(seqsOf(receiver)).toEqual(real.entries.map((e) => e.seq));
  });
});

describe('backoffDelay()', () => {
  test('doubles from the base to the cap, within 20% jitter', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10, 30].map((n) => backoffDelay(n, 1000, 60_000, mid))).toEqual([
      1000, 2000, 4000, 8000, 60_000, 60_000,
    ]);
    expect(backoffDelay(3, 1000, 60_000, () => 0)).toBe(3200);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(4800);
  });
});
