/**
 * Issue 17, items 5 and 6: the edge's SIEM export against real receivers on loopback. Debian's
 * rsyslogd (RFC 5424 over TCP and over TLS with a test CA), an OTLP/HTTP receiver decoding with
 * protobufjs from the official protos, and a strict HEC receiver. The golden real session
 * (tests/fixtures/journal) goes through the real ingest; every receiver must end up with every
 * entry exactly once, also after being down for many retries (the test clock runs the back-off).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createSiemExporter } from '../../../edge/src/siem/exporter.ts';
import type { SinkConfig } from '../../../edge/src/siem/sink-config.ts';
import { testSink } from '../../../edge/src/siem/test-sink.ts';
import { createFakeDevice } from '../../../edge/src/testing/fake-device.ts';
import { loadRealSession } from '../../../edge/src/testing/real-session.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
} from '../../../edge/src/testing/test-edge.ts';
import { startOtlpReceiver } from './otlp-receiver.ts';
import { freePort, type Rsyslog, startRsyslog } from './rsyslog.ts';

let rsyslog: Rsyslog;
beforeAll(async () => {
  rsyslog = await startRsyslog();
});
afterAll(async () => {
  await rsyslog?.kill();
});

async function edgeWithSession() {
  const edge = await createTestEdge({ tlog: true });
  const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  const real = loadRealSession({ now: edge.clock.now });
  await enrollDevice(edge, real.device, { email: 'dev@acme.test', org: org.slug });
  return { edge, org, real };
}

const syslogConfig = (over: Partial<Extract<SinkConfig, { kind: 'syslog' }>>): SinkConfig => ({
  kind: 'syslog',
  host: '127.0.0.1',
  port: rsyslog.tcpPort,
  transport: 'tcp',
  facility: 13,
  pen: 32473,
  appName: 'ceros',
  maxMessageBytes: 64 * 1024,
  detail: 'arguments',
  ...over,
});

/** Each delivered seq of one device, counted: exactly once means every count is 1. */
function counts(seqs: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of seqs) out.set(s, (out.get(s) ?? 0) + 1);
  return out;
}

describe('syslog to rsyslog', () => {
  for (const transport of ['tcp', 'tls'] as const)
    test(`over ${transport.toUpperCase()}: every entry arrives once as RFC 5424 with the ceros@32473 structured data`, async () => {
      const { edge, org, real } = await edgeWithSession();
      expect((await ingest(edge, real.device, real.entries)).status).toBe(200);
      const before = rsyslog.lines().length;
      const config = syslogConfig(
        transport === 'tcp' ? {} : { transport: 'tls', port: rsyslog.tlsPort, ca: rsyslog.ca.caPem },
      );
      await edge.store.addSink(
        { id: `s-${transport}`, orgId: org.id, name: transport, config, from: 'start' },
        edge.clock.now(),
      );
      const exporter = createSiemExporter({
        store: edge.store,
        now: edge.clock.now,
        productVersion: '0.1.0',
        batchSize: 25,
      });
      await exporter.runOnce();
      const [sink] = await edge.store.listSinks(org.id);
      expect(sink).toMatchObject({ delivered: real.entries.length, pending: 0, failures: 0 });
      const lines = (await rsyslog.waitForLines(before + real.entries.length)).slice(before);
      expect(lines.map((l) => Number(l.sd['ceros@32473']?.seq))).toEqual(real.entries.map((e) => e.seq));
      for (const line of lines) {
        const sd = line.sd['ceros@32473'] ?? {};
        const event = JSON.parse(line.msg) as {
          metadata: { uid: string; sequence: number };
          class_uid: number;
        };
        expect(event.metadata.uid).toBe(sd.entry_hash as string);
        expect(String(event.class_uid)).toBe(sd.class_uid as string);
        expect(line.msgid).toBe(`ocsf.${event.class_uid}`);
        expect(line.appName).toBe('ceros');
        expect(sd.device).toBe(real.device.id);
        expect(sd.log_index).toBe(sd.seq);
      }
      // The enforced Write denial: a Detection Finding at warning severity (facility 13 * 8 + 4).
      const denial = lines.find((l) => l.msgid === 'ocsf.2004' && l.msg.includes('Denied Write call'));
      expect(denial?.pri).toBe(13 * 8 + 4);
    });

  test('a receiver that is down for minutes and comes back gets every entry exactly once', async () => {
    const { edge, org, real } = await edgeWithSession();
    const config = syslogConfig({});
    await edge.store.addSink(
      { id: 's-down', orgId: org.id, name: 'down', config, from: 'start' },
      edge.clock.now(),
    );
    const exporter = createSiemExporter({
      store: edge.store,
      now: edge.clock.now,
      productVersion: '0.1.0',
      batchSize: 10,
      backoffBaseMs: 1000,
      backoffMaxMs: 30_000,
    });
    const before = rsyslog.lines().length;
    const third = Math.floor(real.entries.length / 3);
    expect((await ingest(edge, real.device, real.entries.slice(0, third))).status).toBe(200);
    await exporter.runOnce();
    await rsyslog.stop();
    expect((await ingest(edge, real.device, real.entries.slice(third))).status).toBe(200);
    for (let s = 0; s < 5 * 60; s += 10) {
      await exporter.runOnce();
      edge.clock.advance(10_000);
    }
    const [down] = await edge.store.listSinks(org.id);
    expect(down?.lastError).toBe(`Cannot reach "tcp://127.0.0.1:${rsyslog.tcpPort}": connection refused`);
    expect(down?.failures).toBeGreaterThan(5);
    await rsyslog.restart();
    edge.clock.advance(60_000);
    await exporter.runOnce();
    await rsyslog.waitForLines(before + real.entries.length);
    // A moment more, so that a duplicate still in rsyslog's queue would be written and counted.
    await Bun.sleep(300);
    const seqs = rsyslog
      .lines()
      .slice(before)
      .map((l) => Number(l.sd['ceros@32473']?.seq));
    expect([...counts(seqs).entries()]).toEqual(real.entries.map((e) => [e.seq, 1]));
    const [back] = await edge.store.listSinks(org.id);
    expect(back).toMatchObject({ failures: 0, pending: 0, delivered: real.entries.length });
  });

  test('a certificate from another CA is refused with a clear error, and so is a closed port', async () => {
    const bad = await testSink(
      syslogConfig({ transport: 'tls', port: rsyslog.tlsPort, ca: rsyslog.ca.otherCaPem }),
      'org',
      Date.now(),
    );
    expect(bad.ok).toBe(false);
    expect(bad.ok ? '' : bad.error).toStartWith(
      `Cannot verify the TLS certificate of "tls://127.0.0.1:${rsyslog.tlsPort}"`,
    );
    const closed = await freePort();
    expect(await testSink(syslogConfig({ port: closed }), 'org', Date.now())).toEqual({
      ok: false,
      error: `Cannot reach "tcp://127.0.0.1:${closed}": connection refused`,
    });
    expect(await testSink(syslogConfig({}), 'org', Date.now())).toEqual({
      ok: true,
      message: 'The receiver took a test event',
    });
  });
});

describe('OTLP/HTTP logs', () => {
  test('every entry arrives once as a log record whose body is its OCSF event', async () => {
    const { edge, org, real } = await edgeWithSession();
    expect((await ingest(edge, real.device, real.entries)).status).toBe(200);
    const receiver = startOtlpReceiver();
    try {
      const config: SinkConfig = { kind: 'otlp', url: receiver.url, headers: {}, detail: 'arguments' };
      await edge.store.addSink(
        { id: 'o', orgId: org.id, name: 'otel', config, from: 'start' },
        edge.clock.now(),
      );
      const exporter = createSiemExporter({
        store: edge.store,
        now: edge.clock.now,
        productVersion: '0.1.0',
        batchSize: 30,
      });
      await exporter.runOnce();
      expect(receiver.records.map((r) => Number(r.attributes['ceros.entry.seq']))).toEqual(
        real.entries.map((e) => e.seq),
      );
      for (const r of receiver.records) {
        const event = JSON.parse(r.record.body?.stringValue ?? '{}') as {
          metadata: { uid: string };
          class_uid: number;
        };
        expect(event.metadata.uid).toBe(r.attributes['ceros.entry.hash'] as string);
        expect(Number(r.attributes['ocsf.class_uid'])).toBe(event.class_uid);
        expect(r.record.eventName).toBe(`ocsf.${event.class_uid}`);
        expect(r.resource).toEqual({ 'service.name': 'ceros-edge', 'ceros.org': org.id });
        expect(r.scope.name).toBe('ceros.siem');
      }
      const denial = receiver.records.find((r) => r.record.body?.stringValue?.includes('Denied Write call'));
      expect(denial?.record.severityNumber).toBe(13);
    } finally {
      await receiver.close();
    }
  });

  test('down, then busy (503), then back: every entry exactly once; a 400 makes dead letters', async () => {
    const { edge, org, real } = await edgeWithSession();
    const receiver = startOtlpReceiver();
    try {
      const config: SinkConfig = { kind: 'otlp', url: receiver.url, headers: {}, detail: 'arguments' };
      await edge.store.addSink(
        { id: 'o2', orgId: org.id, name: 'otel', config, from: 'start' },
        edge.clock.now(),
      );
      const exporter = createSiemExporter({
        store: edge.store,
        now: edge.clock.now,
        productVersion: '0.1.0',
        batchSize: 8,
        backoffMaxMs: 20_000,
      });
      const half = Math.floor(real.entries.length / 2);
      expect((await ingest(edge, real.device, real.entries.slice(0, half))).status).toBe(200);
      await receiver.down();
      for (let s = 0; s < 120; s += 10) {
        await exporter.runOnce();
        edge.clock.advance(10_000);
      }
      receiver.up();
      receiver.failWith(503);
      for (let s = 0; s < 120; s += 10) {
        await exporter.runOnce();
        edge.clock.advance(10_000);
      }
      const [busy] = await edge.store.listSinks(org.id);
      expect(busy?.lastError).toBe(
        `The OTLP collector at "${receiver.url}" answered 503: refused by the test`,
      );
      receiver.failWith(null);
      edge.clock.advance(60_000);
      await exporter.runOnce();
      expect((await ingest(edge, real.device, real.entries.slice(half))).status).toBe(200);
      await exporter.runOnce();
      const seqs = receiver.records.map((r) => Number(r.attributes['ceros.entry.seq']));
      expect([...counts(seqs).entries()]).toEqual(real.entries.map((e) => [e.seq, 1]));

      // Bad data: the collector refuses every record with 400; each becomes a dead letter, once.
      const other = createFakeDevice({ now: edge.clock.now });
      await enrollDevice(edge, other, { email: 'two@acme.test', org: org.slug });
      const more = [await other.startSession('s-more'), other.append('prompt', { text: 'x' })];
      expect((await ingest(edge, other, more)).status).toBe(200);
      receiver.failWith(400);
      await exporter.runOnce();
      const [dead] = await edge.store.listSinks(org.id);
      expect(dead).toMatchObject({ deadLetters: 2, pending: 0, delivered: real.entries.length });
    } finally {
      await receiver.close();
    }
  });
});
