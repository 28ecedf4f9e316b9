import { afterAll, describe, expect, test } from 'bun:test';
import {
  createNoteSigner,
  NOTE_COSIGNATURE_V1,
  type NoteVerifierKey,
  openCheckpoint,
  parseVerifierKey,
  proveConsistency,
  verifyExport,
} from '@ceros/protocol';
// The real C2SP witness of the agent package, on a loopback port: edge and agent never import
// each other, but this test is about the two talking.
import { serveWitness } from '../../../agent/src/witness/serve.ts';
import { createMemoryWitnessStore } from '../../../agent/src/witness/store.ts';
import { createWitness, type Witness, witnessLogsFromKeys } from '../../../agent/src/witness/witness.ts';
import { createFakeDevice } from '../testing/fake-device.ts';
import { createOrgWithAdmin, createTestEdge, enrollDevice, ingest } from '../testing/test-edge.ts';
import { type LedgerEdge, ledgerEdge, sessionEntries } from './ledger-test-kit.ts';
import { exportPeriod } from './period-export.ts';
import { parseWitnessEndpoint, submitCheckpoint, type WitnessEndpoint } from './witnesses.ts';

const signer = createNoteSigner('witness.test/w1', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(7));
const witnessKey = (parseVerifierKey(signer.verifierKey) as { value: NoteVerifierKey }).value;

/** A witness server that starts answering once `follow(logKey)` tells it which log to follow. */
function startWitness() {
  let witness: Witness | undefined;
  let clock = 1_767_600_000;
  const records = createMemoryWitnessStore();
  const server = serveWitness(
    {
      name: signer.name,
      verifierKey: signer.verifierKey,
      addCheckpoint: (body) => {
        if (!witness) throw new Error('follow() first');
        return witness.addCheckpoint(body);
      },
    },
    { port: 0, hostname: '127.0.0.1' },
  );
  const endpoint: WitnessEndpoint = { url: server.url, key: witnessKey };
  return {
    endpoint,
    records,
    server,
    follow(logKey: string) {
      witness = createWitness({
        signer,
        logs: witnessLogsFromKeys([logKey]),
        store: records,
        now: () => clock++,
      });
    },
  };
}

const servers: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function witnessedEdge() {
  const w = startWitness();
  servers.push(w.server);
  const l = await ledgerEdge({ tlog: { witnesses: [w.endpoint] }, devices: 1 });
  const logKey = (await l.tlog.logKey(l.org.id)).verifierKey;
  w.follow(logKey);
  return { w, l, logKey, device: l.devices[0] as LedgerEdge['devices'][0] };
}

const cosigners = (note: string | undefined, logKey: string) => {
  const opened = openCheckpoint(note ?? '', { logKey, witnessKeys: [witnessKey] });
  return opened.ok ? opened.value.cosignatures.map((c) => c.name) : [opened.error];
};

describe('witnesses', () => {
  test('parseWitnessEndpoint() reads "URL KEY" and refuses a log key or a bad URL', () => {
    expect(parseWitnessEndpoint(`http://127.0.0.1:9000/ ${signer.verifierKey}`)).toMatchObject({
      ok: true,
      value: { url: 'http://127.0.0.1:9000', key: { name: 'witness.test/w1' } },
    });
    const logKey = createNoteSigner('edge.test/acme', 0x01, new Uint8Array(32)).verifierKey;
    expect(parseWitnessEndpoint(`http://w ${logKey}`).ok).toBe(false);
    expect(parseWitnessEndpoint(`ftp://w ${signer.verifierKey}`).ok).toBe(false);
    expect(parseWitnessEndpoint('http://w').ok).toBe(false);
  });

  test('a real witness cosigns each checkpoint that extends the last, and the cosigned note is stored', async () => {
    const { w, l, logKey, device } = await witnessedEdge();
    const entries = await sessionEntries(device, 's1', 30);
    await l.upload(device, entries.slice(0, 11));
    await l.tlog.tick();
    const first = await l.edge.store.getCheckpoint(l.org.id);
    expect(first?.size).toBe(11);
    expect(cosigners(first?.note, logKey)).toEqual(['witness.test/w1']);
    expect(
      openCheckpoint(first?.note ?? '', { logKey, witnessKeys: [witnessKey], requireCosignatures: 1 }).ok,
    ).toBe(true);

    await l.upload(device, entries.slice(11));
    await l.tlog.tick();
    const second = await l.edge.store.getCheckpoint(l.org.id);
    expect(second?.size).toBe(31);
    expect(cosigners(second?.note, logKey)).toEqual(['witness.test/w1']);
    expect(w.records.records.get(`edge.test/acme`)?.size).toBe(31);
    expect(await l.edge.store.listWitnessStates(l.org.id)).toMatchObject([
      { witness: 'witness.test/w1', size: 31, lastError: null },
    ]);
    // Devices get the cosigned note.
    const res = await l.get(device, '/v1/agent/checkpoint', 'text/plain');
    expect(cosigners(await res.text(), logKey)).toEqual(['witness.test/w1']);
    // Nothing new: the next round sends nothing.
    await l.tlog.tick();
    expect(w.records.records.get('edge.test/acme')?.cosignedAt).toBe(1_767_600_001);
  });

  test('a witness that is ahead of what the edge recorded answers 409 with its size, and the retry is cosigned', async () => {
    const { w, l, logKey, device } = await witnessedEdge();
    const entries = await sessionEntries(device, 's1', 20);
    await l.upload(device, entries.slice(0, 5));
    await l.tlog.tick();
    await l.upload(device, entries.slice(5));
    const latest = await l.tlog.signCheckpoint(l.org.id);
    // Someone else (another edge instance that then lost its state) brought the witness to 21.
    const direct = await submitCheckpoint({
      witness: w.endpoint,
      note: latest.note,
      size: latest.size,
      oldSize: 5,
      prove: (from) => proveConsistency(l.tlog.nodeReader(l.org.id), from, latest.size),
      logKey,
      fetch: (input, init) => fetch(input, init),
      timeoutMs: 5000,
    });
    expect(direct.kind).toBe('cosigned');
    expect((await l.edge.store.listWitnessStates(l.org.id))[0]?.size).toBe(5);
    await l.tlog.witness(l.org.id);
    expect(cosigners((await l.edge.store.getCheckpoint(l.org.id))?.note, logKey)).toEqual([
      'witness.test/w1',
    ]);
    expect((await l.edge.store.listWitnessStates(l.org.id))[0]?.size).toBe(21);
  });

  test('a witness refuses a rewritten tree signed with the same key, and the edge records the incident', async () => {
    const { w, l, logKey, device } = await witnessedEdge();
    await l.upload(device, await sessionEntries(device, 's1', 9));
    await l.tlog.tick();
    expect(w.records.records.get('edge.test/acme')?.size).toBe(10);

    // The operator rebuilds the log elsewhere from other entries, with the same org and log key.
    const forged = await createTestEdge({ tlog: { witnesses: [w.endpoint] } });
    await forged.store.createOrg({ ...l.org, signingPrivateKey: await l.edge.store.orgSigningKey(l.org.id) });
    const key = await l.edge.store.logKey(l.org.id);
    if (key) await forged.store.createLogKey(l.org.id, key);
    await createOrgWithAdmin(forged, { org: 'Acme', admin: 'boss@acme.test' });
    const other = createFakeDevice({ now: forged.clock.now });
    await enrollDevice(forged, other, { email: 'dev@acme.test', org: 'acme' });
    const rewritten = await sessionEntries(other, 'x', 12);
    expect((await ingest(forged, other, rewritten.slice(0, 10))).status).toBe(200);
    await forged.tlog?.tick();
    // Same size, another root: the witness calls it a fork.
    const forkCheckpoint = await forged.store.getCheckpoint(l.org.id);
    expect(forkCheckpoint?.size).toBe(10);
    expect(cosigners(forkCheckpoint?.note, logKey)).toEqual([]);
    const activity = async () =>
      (await forged.store.listActivity(l.org.id, null, 50)).items.filter((a) =>
        a.action.startsWith('ledger.'),
      );
    expect(await activity()).toMatchObject([{ action: 'ledger.incident.fork', target: 'witness.test/w1' }]);

    // Grown further, the rewritten tree cannot be proven consistent with what the witness holds.
    expect((await ingest(forged, other, rewritten.slice(10))).status).toBe(200);
    forged.clock.advance(6 * 60_000);
    await forged.tlog?.tick();
    expect(cosigners((await forged.store.getCheckpoint(l.org.id))?.note, logKey)).toEqual([]);
    expect((await activity()).map((a) => a.action)).toEqual([
      'ledger.incident.inconsistent',
      'ledger.incident.fork',
    ]);
    // The witness still holds the honest tree, and the honest edge keeps getting cosignatures.
    expect(w.records.records.get('edge.test/acme')?.size).toBe(10);
    await l.upload(device, [device.append('prompt', { text: 'honest' })]);
    await l.tlog.tick();
    expect(cosigners((await l.edge.store.getCheckpoint(l.org.id))?.note, logKey)).toEqual([
      'witness.test/w1',
    ]);
  });

  test('the export of a period ending now is cosigned, and verifyExport can require the witness', async () => {
    const { l, logKey, device } = await witnessedEdge();
    const entries = await sessionEntries(device, 's1', 6);
    await l.upload(device, entries.slice(0, 3));
    await l.tlog.tick();
    await l.upload(device, entries.slice(3));
    const doc = await exportPeriod({
      store: l.edge.store,
      tlog: l.tlog,
      orgId: l.org.id,
      fromMs: 0,
      toMs: l.edge.clock.now() + 1,
    });
    expect(doc.period.toIndex).toBe(7);
    const result = await verifyExport(doc, {
      logKey,
      witnessKeys: [signer.verifierKey],
      requireWitness: true,
    });
    expect(result).toMatchObject({
      ok: true,
      checkpoints: { end: { size: 7, cosignatures: [{ name: 'witness.test/w1' }] } },
    });
  });

  test('a checkpoint smaller than what the witness cosigned is refused as a rollback', async () => {
    const { w, l, logKey, device } = await witnessedEdge();
    await l.upload(device, await sessionEntries(device, 's1', 9));
    await l.tlog.tick();
    const older = await l.tlog.checkpointAt(l.org.id, 4);
    const outcome = await submitCheckpoint({
      witness: w.endpoint,
      note: older.note,
      size: older.size,
      oldSize: 0,
      prove: (from) => proveConsistency(l.tlog.nodeReader(l.org.id), from, older.size),
      logKey,
      fetch: (input, init) => fetch(input, init),
      timeoutMs: 5000,
    });
    expect(outcome).toMatchObject({ kind: 'incident', code: 'ROLLBACK', witnessSize: 10 });
  });

  test('an unreachable witness is retried later without an incident', async () => {
    const logs: string[] = [];
    const l = await ledgerEdge({
      tlog: { witnesses: [{ url: 'http://127.0.0.1:9', key: witnessKey }], log: (line) => logs.push(line) },
      devices: 1,
    });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    await l.upload(device, await sessionEntries(device, 's1', 2));
    await l.tlog.tick();
    expect((await l.edge.store.getCheckpoint(l.org.id))?.size).toBe(3);
    expect(logs.some((line) => line.includes('Cannot reach witness "witness.test/w1"'))).toBe(true);
    expect(
      (await l.edge.store.listActivity(l.org.id, null, 50)).items.filter((a) =>
        a.action.startsWith('ledger.'),
      ),
    ).toEqual([]);
  });
});
