/**
 * Issue 17's export figure: journal entries mapped to OCSF and delivered to a local Splunk HEC
 * receiver (edge/src/siem/testing/hec-receiver.ts, which parses every event) by the real exporter,
 * reading from a libSQL store with its cursors, against a baseline of POSTing the same HEC bytes
 * raw to the same receiver in the same batches in this run. The ratio is what mapping, encoding,
 * reading entries and moving cursors cost on top of the wire.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSiemExporter } from '@ceros/edge/src/siem/exporter.ts';
import { type OcsfOptions, toOcsf } from '@ceros/edge/src/siem/ocsf.ts';
import type { HecConfig } from '@ceros/edge/src/siem/sink-config.ts';
import { hecBody } from '@ceros/edge/src/siem/sinks/hec.ts';
import { startHecReceiver } from '@ceros/edge/src/siem/testing/hec-receiver.ts';
import { createFakeDevice } from '@ceros/edge/src/testing/fake-device.ts';
import { REAL_SESSION_DIR } from '@ceros/edge/src/testing/real-session.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
} from '@ceros/edge/src/testing/test-edge.ts';
import type { JsonValue } from '@ceros/protocol';
import type { BenchLine } from './stats.ts';

const TOKEN = 'bench-token';

export async function runSiemBench(
  options: { entries?: number; batchSize?: number } = {},
): Promise<BenchLine[]> {
  const total = options.entries ?? 20_000;
  const batchSize = options.batchSize ?? 500;
  const dir = mkdtempSync(join(tmpdir(), 'ceros-siem-bench-'));
  const receiver = startHecReceiver({ token: TOKEN });
  try {
    const edge = await createTestEdge({ url: `file:${join(dir, 'edge.db')}` });
    const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const device = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, device, { email: 'dev@acme.test', org: org.slug });
    // Real payloads, cycled: every entry type of the golden session.
    const payloads = readFileSync(join(REAL_SESSION_DIR, 'real-session.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; payload: JsonValue })
      .filter((e) => e.type !== 'session.key');
    const entries = [await device.startSession('bench')];
    for (let i = 1; i < total; i++) {
      const p = payloads[i % payloads.length] as { type: string; payload: JsonValue };
      entries.push(device.append(p.type, p.payload));
    }
    for (let i = 0; i < entries.length; i += 1000) {
      const response = await ingest(edge, device, entries.slice(i, i + 1000));
      if (response.status !== 200) throw new Error(`ingest: ${response.status} ${await response.text()}`);
    }
    const config: HecConfig = {
      kind: 'hec',
      url: receiver.url,
      token: TOKEN,
      sourcetype: 'ocsf',
      source: 'ceros',
      detail: 'arguments',
    };

    // The same bytes the exporter sends, built before the clock starts.
    const ocsf: OcsfOptions = { detail: 'arguments', productVersion: '0.1.0' };
    await edge.store.addSink(
      { id: 'probe', orgId: org.id, name: 'probe', config, from: 'start' },
      edge.clock.now(),
    );
    const probe = (await edge.store.listSinks(org.id))[0];
    if (!probe) throw new Error('no probe sink');
    const records = await edge.store.pendingEntries(probe, total);
    await edge.store.removeSink(org.id, 'probe');
    const bodies: string[] = [];
    let mapMs = performance.now();
    const events = records.map((record) => ({ record, event: toOcsf(record, ocsf) }));
    mapMs = performance.now() - mapMs;
    for (let i = 0; i < events.length; i += batchSize)
      bodies.push(hecBody(config, events.slice(i, i + batchSize)));
    const bytes = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);

    const raw = async () => {
      const started = performance.now();
      for (const body of bodies) {
        const r = await fetch(`${receiver.url}/services/collector/event`, {
          method: 'POST',
          headers: { authorization: `Splunk ${TOKEN}`, 'content-type': 'application/json' },
          body,
        });
        if (!r.ok) throw new Error(`raw post: ${r.status}`);
      }
      return performance.now() - started;
    };
    const exported = async (n: number) => {
      await edge.store.addSink(
        { id: `s${n}`, orgId: org.id, name: `s${n}`, config, from: 'start' },
        edge.clock.now(),
      );
      const exporter = createSiemExporter({
        store: edge.store,
        now: edge.clock.now,
        productVersion: '0.1.0',
        batchSize,
      });
      const before = receiver.events.length;
      const started = performance.now();
      await exporter.runOnce();
      const ms = performance.now() - started;
      if (receiver.events.length - before !== records.length)
        throw new Error(`the exporter delivered ${receiver.events.length - before} of ${records.length}`);
      await edge.store.removeSink(org.id, `s${n}`);
      return ms;
    };
    // Warm both paths, then alternate three rounds each and keep the best of each.
    await raw();
    await exported(0);
    const rawMs: number[] = [];
    const exportMs: number[] = [];
    for (let round = 1; round <= 3; round++) {
      rawMs.push(await raw());
      exportMs.push(await exported(round));
    }
    receiver.events.length = 0;
    const best = (xs: number[]) => Math.min(...xs);
    const perSecond = (ms: number) => Math.round((records.length / ms) * 1000);
    return [
      {
        name: `mapped and delivered to a local HEC receiver (${records.length} entries, batches of ${batchSize})`,
        value: `${perSecond(best(exportMs))} events/s`,
      },
      {
        name: 'baseline: the same HEC bytes POSTed raw to the same receiver',
        value: `${perSecond(best(rawMs))} events/s (${(bytes / 1024 / 1024).toFixed(1)} MiB, ${Math.round(bytes / records.length)} B/event)`,
      },
      {
        name: 'export cost over raw posting',
        value: `${(best(exportMs) / best(rawMs)).toFixed(2)}x the time`,
      },
      { name: 'toOcsf() alone, one core', value: `${perSecond(mapMs)} entries/s` },
    ];
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { printLines } = await import('./stats.ts');
  process.stdout.write(printLines('siem', await runSiemBench()));
}
