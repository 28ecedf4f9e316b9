import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeBase64Strict,
  encodeBase64,
  entryBytes,
  type JournalEntry,
  leafHash,
  MemoryMerkleTree,
  type NodeId,
  openCheckpoint,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '@ceros/protocol';
import { createClient } from '@libsql/client';
import { createApp } from '../app.ts';
import { EdgeError } from '../errors.ts';
import { createOutboxMailer } from '../mail/mailer.ts';
import type { EdgeStore } from '../store/store.ts';
import { createFakeDevice } from '../testing/fake-device.ts';
import { writeSampleSession } from '../testing/sample-session.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  type TestEdge,
} from '../testing/test-edge.ts';
import { fromBase64, type LedgerEdge, leafOf, ledgerEdge, sessionEntries } from './ledger-test-kit.ts';
import { createTransparencyLog } from './transparency-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'ceros-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every stored entry's leaf hash, in log order, read back from the entries table. */
async function storedLeaves(store: EdgeStore, orgId: string): Promise<Uint8Array[]> {
  const size = await store.logSize(orgId);
  return (await store.logEntries(orgId, 0, size)).map((bytes) => leafHash(Buffer.from(bytes)));
}

async function rootOf(l: LedgerEdge): Promise<Uint8Array> {
  const checkpoint = await l.tlog.signCheckpoint(l.org.id);
  const key = await l.tlog.logKey(l.org.id);
  const opened = openCheckpoint(checkpoint.note, { logKey: key.verifierKey });
  if (!opened.ok) throw new Error(opened.error);
  return opened.value.checkpoint.rootHash;
}

/** Two devices uploading interleaved batches of two sessions each. */
async function interleaved(l: LedgerEdge): Promise<JournalEntry[]> {
  const [a, b] = l.devices as [LedgerEdge['devices'][0], LedgerEdge['devices'][0]];
  const sent: JournalEntry[] = [];
  const journals = [await writeSampleSession(a, 'a1'), await sessionEntries(b, 'b1', 7)];
  for (let round = 0; round < 3; round++)
    for (const [i, device] of [a, b].entries()) {
      const batch = (journals[i] as JournalEntry[]).slice(round * 8, round * 8 + 8);
      if (batch.length === 0) continue;
      await l.upload(device, batch);
      sent.push(...batch);
      l.edge.clock.advance(1000);
    }
  return sent;
}

describe('the transparency log grows with ingest', () => {
  test('entries accepted through the real ingest build a tree whose root is rootFromLeafHashes of the stored entries', async () => {
    const l = await ledgerEdge();
    const sent = await interleaved(l);
    expect(await l.tlog.size(l.org.id)).toBe(sent.length);
    // The leaves are the exact stored bytes, each entry once, in the order the edge accepted them.
    expect((await l.edge.store.logEntries(l.org.id, 0, sent.length)).map((b) => b)).toEqual(
      sent.map(entryBytes),
    );
    expect(encodeBase64(await rootOf(l))).toBe(encodeBase64(rootFromLeafHashes(sent.map(leafOf))));
    expect(encodeBase64(rootFromLeafHashes(await storedLeaves(l.edge.store, l.org.id)))).toBe(
      encodeBase64(await rootOf(l)),
    );
  });

  test('a re-sent batch is acknowledged as duplicates and never appended twice', async () => {
    const l = await ledgerEdge({ devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const entries = await sessionEntries(device, 's1', 5);
    await l.upload(device, entries.slice(0, 4));
    expect(await l.upload(device, entries)).toMatchObject({ accepted: 2, duplicates: 4 });
    expect(await l.upload(device, entries)).toMatchObject({ accepted: 0, duplicates: 6 });
    expect(await l.tlog.size(l.org.id)).toBe(6);
    expect(encodeBase64(await rootOf(l))).toBe(encodeBase64(rootFromLeafHashes(entries.map(leafOf))));
  });

  test('a batch whose storage failed is appended once when the device retries it', async () => {
    // The store fails once before committing, then once after committing (a remote database that
    // lost the reply): each retry must find the entries and the log exactly as committed.
    const l = await ledgerEdge({ devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const store = l.edge.store;
    let mode: 'fail' | 'commit-then-fail' | 'ok' = 'fail';
    const flaky: EdgeStore = {
      ...store,
      async storeEntries(input) {
        if (mode === 'fail') {
          mode = 'commit-then-fail';
          throw new Error('disk I/O error');
        }
        await store.storeEntries(input);
        if (mode === 'commit-then-fail') {
          mode = 'ok';
          throw new Error('connection reset after commit');
        }
      },
    };
    const tlog = createTransparencyLog({ store: flaky, name: 'edge.test', now: l.edge.clock.now });
    const app = createApp({ store: flaky, mailer: createOutboxMailer(), clock: l.edge.clock, tlog });
    const other: TestEdge = {
      ...l.edge,
      app,
      tlog,
      request: async (path, init, ip = '192.0.2.1') => app.request(`http://edge.test${path}`, init, { ip }),
    };
    const entries = await sessionEntries(device, 's1', 5);
    expect((await ingest(other, device, entries.slice(0, 3))).status).toBe(500);
    expect((await ingest(other, device, entries.slice(0, 3))).status).toBe(500);
    expect(await (await ingest(other, device, entries.slice(0, 3))).json()).toMatchObject({
      accepted: 0,
      duplicates: 3,
    });
    expect(await (await ingest(other, device, entries)).json()).toMatchObject({ accepted: 3, duplicates: 3 });
    expect(await store.logSize(l.org.id)).toBe(6);
    expect(encodeBase64(rootFromLeafHashes(await storedLeaves(store, l.org.id)))).toBe(
      encodeBase64(rootFromLeafHashes(entries.map(leafOf))),
    );
  });

  test('entries stored before the edge kept a log are caught up from the entries table, oldest first', async () => {
    const url = `file:${join(dir, 'catch-up.db')}`;
    const before = await createTestEdge({ url });
    const org = await createOrgWithAdmin(before, { org: 'Acme', admin: 'boss@acme.test' });
    const devices = [
      createFakeDevice({ now: before.clock.now }),
      createFakeDevice({ now: before.clock.now }),
    ];
    for (const [i, device] of devices.entries())
      await enrollDevice(before, device, { email: `dev${i}@acme.test`, org: 'acme' });
    // 640 entries in alternating batches: more than one catch-up chunk, two devices interleaved.
    const journals = await Promise.all(devices.map((d, i) => sessionEntries(d, `s${i}`, 319)));
    const accepted: JournalEntry[] = [];
    for (let at = 0; at < 320; at += 40)
      for (const [i, device] of devices.entries()) {
        const batch = (journals[i] as JournalEntry[]).slice(at, at + 40);
        expect((await ingest(before, device, batch)).status).toBe(200);
        accepted.push(...batch);
        before.clock.advance(10);
      }
    expect(await before.store.logSize(org.id)).toBe(0);

    const logs: string[] = [];
    const after = await createTestEdge({ url, tlog: { log: (line) => logs.push(line) } });
    after.clock.set(before.clock.now());
    const device = devices[0] as (typeof devices)[0];
    const late = [device.append('prompt', { text: 'after the upgrade' })];
    expect((await ingest(after, device, late)).status).toBe(200);
    const all = [...accepted, ...late];
    expect(await after.store.logSize(org.id)).toBe(all.length);
    expect(logs).toContain(`ledger: appended 640 earlier entries to the log of organization ${org.id}`);
    expect(await after.store.logEntries(org.id, 0, all.length)).toEqual(all.map(entryBytes));
    const key = await after.tlog?.logKey(org.id);
    const checkpoint = await after.tlog?.signCheckpoint(org.id);
    const opened = openCheckpoint(checkpoint?.note ?? '', { logKey: key?.verifierKey ?? '' });
    expect(opened.ok && encodeBase64(opened.value.checkpoint.rootHash)).toBe(
      encodeBase64(rootFromLeafHashes(all.map(leafOf))),
    );
  });

  test('concurrent batches of several devices share commits, each appended and counted once, a racing re-send failing alone', async () => {
    const l = await ledgerEdge({ devices: 6 });
    let groups = 0;
    const store = l.edge.store;
    const storeEntryGroup = store.storeEntryGroup;
    store.storeEntryGroup = (inputs) => {
      groups++;
      return storeEntryGroup(inputs);
    };
    const journals = await Promise.all(l.devices.map((d, i) => sessionEntries(d, `s${i}`, 9)));
    const first = l.devices[0] as LedgerEdge['devices'][0];
    // Every device's batch at once, and device 0's batch twice: both copies passed the duplicate
    // check before either was stored, so the group conflicts and the copy stored second fails alone.
    const results = await Promise.all([
      ...l.devices.map((device, i) => ingest(l.edge, device, journals[i] as JournalEntry[])),
      ingest(l.edge, first, journals[0] as JournalEntry[]),
    ]);
    const codes = await Promise.all(
      results.map(async (res) =>
        res.status === 200 ? 'ok' : ((await res.json()) as { error: { code: string } }).error.code,
      ),
    );
    expect(codes.filter((c) => c === 'ok')).toHaveLength(6);
    expect(codes.filter((c) => c !== 'ok')).toEqual(['INGEST_CONFLICT']);
    expect(groups).toBeGreaterThan(0);
    const total = journals.flat().length;
    expect(await l.tlog.size(l.org.id)).toBe(total);
    const leaves = await store.logEntries(l.org.id, 0, total);
    expect([...leaves].sort()).toEqual(journals.flat().map(entryBytes).sort());
    expect(encodeBase64(await rootOf(l))).toBe(
      encodeBase64(rootFromLeafHashes(await storedLeaves(store, l.org.id))),
    );
    const sessions = (await store.listConversations(l.org.id, {}, null, 50)).items;
    expect(sessions.map((s) => s.prompts)).toEqual(sessions.map(() => 9));
    for (const device of l.devices) expect((await store.getDeviceForAuth(device.id))?.headSeq).toBe(9);
  });

  test('two edge instances appending to one database never lose, repeat or reorder a leaf', async () => {
    const url = `file:${join(dir, 'two-instances.db')}`;
    const first = await ledgerEdge({ url, devices: 4 });
    const second = await createTestEdge({ url, tlog: true });
    const journals = await Promise.all(first.devices.map((d, i) => sessionEntries(d, `s${i}`, 39)));
    // Device i uploads through instance i % 2, five batches of eight, all at once.
    await Promise.all(
      first.devices.map(async (device, i) => {
        const edge = i % 2 === 0 ? first.edge : second;
        const journal = journals[i] as JournalEntry[];
        for (let at = 0; at < journal.length; at += 8) {
          for (let attempt = 0; ; attempt++) {
            const res = await ingest(edge, device, journal.slice(at, at + 8));
            if (res.status === 200) break;
            const body = (await res.json()) as { error: { code: string } };
            // INGEST_CONFLICT is the retryable answer when both instances raced twice in a row.
            if (body.error.code !== 'INGEST_CONFLICT' || attempt > 5) throw new Error(JSON.stringify(body));
          }
        }
      }),
    );
    const total = journals.flat().length;
    expect(await first.edge.store.logSize(first.org.id)).toBe(total);
    const leaves = await first.edge.store.logEntries(first.org.id, 0, total);
    expect(new Set(leaves).size).toBe(total);
    expect(leaves.sort()).toEqual(journals.flat().map(entryBytes).sort());
    // Both instances sign the same root for the final size.
    const [a, b] = [
      await first.tlog.signCheckpoint(first.org.id),
      await second.tlog?.signCheckpoint(first.org.id),
    ];
    expect(a.size).toBe(total);
    expect(b?.rootHash).toBe(a.rootHash);
    expect(a.rootHash).toBe(
      encodeBase64(
        rootFromLeafHashes(leaves.length ? await storedLeaves(first.edge.store, first.org.id) : []),
      ),
    );
  });
});

describe('the stored tree', () => {
  test('every subtree, stored or hashed from leaves, equals the one MemoryMerkleTree computes', async () => {
    const l = await ledgerEdge({ devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const entries = await sessionEntries(device, 's1', 69);
    for (let at = 0; at < entries.length; at += 13) await l.upload(device, entries.slice(at, at + 13));
    const memory = new MemoryMerkleTree();
    for (const entry of entries) memory.append(Buffer.from(entryBytes(entry)));
    const ids: NodeId[] = [];
    for (let level = 0; 2 ** level <= entries.length; level++)
      for (let index = 0; (index + 1) * 2 ** level <= entries.length; index++) ids.push({ level, index });
    const stored = await l.tlog.nodeReader(l.org.id).readNodes(ids);
    expect(stored.map(encodeBase64)).toEqual(memory.readNodes(ids).map(encodeBase64));
    // Few rows: the leaves, and one subtree per 16 of them at most.
    const nodes = await l.edge.store.readLogNodes(l.org.id, ids);
    expect(nodes.filter((h) => h !== undefined)).toHaveLength(ids.filter((id) => id.level >= 4).length);
    await expect(l.tlog.nodeReader(l.org.id).readNodes([{ level: 3, index: 9 }])).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  });
});

describe('signed checkpoints', () => {
  test('the latest checkpoint verifies with openCheckpoint against the log key the admin API publishes', async () => {
    const l = await ledgerEdge();
    const sent = await interleaved(l);
    const keyRes = await l.edge.request('/v1/admin/log-key', { headers: l.admin.read });
    const key = (await keyRes.json()) as { origin: string; verifierKey: string };
    expect(key.origin).toBe('edge.test/acme');
    expect(key.verifierKey.startsWith('edge.test/acme+')).toBe(true);
    await l.tlog.tick();
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const res = await l.get(device, '/v1/agent/checkpoint', 'text/plain');
    expect(res.headers.get('content-type')).toStartWith('text/plain');
    const opened = openCheckpoint(await res.text(), { logKey: key.verifierKey, origin: key.origin });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.value.checkpoint.size).toBe(sent.length);
    expect(encodeBase64(opened.value.checkpoint.rootHash)).toBe(
      encodeBase64(rootFromLeafHashes(sent.map(leafOf))),
    );
    const json = (await (await l.get(device, '/v1/agent/checkpoint')).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ origin: key.origin, logKey: key.verifierKey, size: sent.length });
  });

  test('enrollment hands the device the log key to pin', async () => {
    const edge = await createTestEdge({ tlog: true });
    const { createOrgWithAdmin } = await import('../testing/test-edge.ts');
    const org = await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const enrolled = await enrollDevice(edge, createFakeDevice({ now: edge.clock.now }), {
      email: 'dev@acme.test',
      org: 'acme',
    });
    expect(enrolled.poll).toMatchObject({
      status: 'complete',
      logKey: (await edge.tlog?.logKey(org.id))?.verifierKey,
    });
  });

  test('a checkpoint is signed only when the tree grew, and the ingest answer carries the latest', async () => {
    const l = await ledgerEdge({ devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const entries = await sessionEntries(device, 's1', 9);
    await l.upload(device, entries.slice(0, 5));
    await l.tlog.tick();
    const first = await l.edge.store.getCheckpoint(l.org.id);
    await l.tlog.tick();
    expect(await l.edge.store.getCheckpoint(l.org.id)).toEqual(first);
    const answer = await l.upload(device, entries.slice(5));
    expect(answer.checkpoint).toBe(first?.note);
    await l.tlog.tick();
    expect((await l.edge.store.getCheckpoint(l.org.id))?.size).toBe(10);
  });

  test('two checkpoints never share a size with different roots', async () => {
    const l = await ledgerEdge({ devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    await l.upload(device, await sessionEntries(device, 's1', 6));
    const signed = await l.tlog.signCheckpoint(l.org.id);
    // A second signing of the same size, concurrent ones, and an explicit request all return it.
    const again = await Promise.all([1, 2, 3].map(() => l.tlog.signCheckpoint(l.org.id)));
    expect(again.every((c) => c.note === signed.note)).toBe(true);
    expect((await l.tlog.checkpointAt(l.org.id, signed.size)).note).toBe(signed.note);
    // The store keeps the first root of a size: a different one is not stored.
    const other = { ...signed, rootHash: encodeBase64(new Uint8Array(32)), note: 'forged' };
    expect(await l.edge.store.saveCheckpoint(l.org.id, other)).toEqual(signed);
  });

  test('the schema refuses to change a stored root, node or leaf', async () => {
    const url = `file:${join(dir, 'append-only.db')}`;
    const l = await ledgerEdge({ url, devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    await l.upload(device, await sessionEntries(device, 's1', 19));
    await l.tlog.signCheckpoint(l.org.id);
    const raw = createClient({ url });
    for (const sql of [
      'UPDATE checkpoints SET root_hash = ? WHERE org_id = ?',
      'UPDATE merkle_nodes SET hash = zeroblob(32) WHERE org_id = ? AND ? IS NOT NULL',
      'UPDATE leaves SET hash = zeroblob(32) WHERE org_id = ? AND idx = ?',
      'DELETE FROM leaves WHERE org_id = ? AND ? IS NOT NULL',
      'DELETE FROM checkpoints WHERE org_id = ? AND ? IS NOT NULL',
    ])
      await expect(
        raw.execute({ sql, args: sql.startsWith('UPDATE checkpoints') ? ['x', l.org.id] : [l.org.id, 1] }),
      ).rejects.toThrow(/append-only|never/);
    raw.close();
  });

  test('an older size gets its own checkpoint whose root is consistent with the newer ones', async () => {
    const l = await ledgerEdge({ devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const entries = await sessionEntries(device, 's1', 19);
    await l.upload(device, entries);
    const head = await l.tlog.signCheckpoint(l.org.id);
    const old = await l.tlog.checkpointAt(l.org.id, 7);
    const key = (await l.tlog.logKey(l.org.id)).verifierKey;
    const opened = openCheckpoint(old.note, { logKey: key });
    expect(opened.ok && encodeBase64(opened.value.checkpoint.rootHash)).toBe(
      encodeBase64(rootFromLeafHashes(entries.slice(0, 7).map(leafOf))),
    );
    const proof = await l.tlog.consistencyProof(l.org.id, 7, head.size);
    expect(
      verifyConsistency(
        7,
        head.size,
        proof.proof.map(fromBase64),
        fromBase64(old.rootHash),
        fromBase64(head.rootHash),
      ),
    ).toEqual({ ok: true });
    await expect(l.tlog.checkpointAt(l.org.id, 21)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('proofs for devices', () => {
  test('inclusion proofs from the endpoint verify for every entry against the checkpoint they come with', async () => {
    const l = await ledgerEdge();
    const sent = await interleaved(l);
    const key = (await l.tlog.logKey(l.org.id)).verifierKey;
    const asker = l.devices[1] as LedgerEdge['devices'][0];
    for (const entry of sent) {
      const res = await l.get(asker, `/v1/agent/inclusion?device=${entry.device}&seq=${entry.seq}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        index: number;
        size: number;
        proof: string[];
        checkpoint: string;
        leafHash: string;
      };
      const opened = openCheckpoint(body.checkpoint, { logKey: key });
      if (!opened.ok) throw new Error(opened.error);
      expect(body.leafHash).toBe(encodeBase64(leafOf(entry)));
      expect(
        verifyInclusion(
          leafOf(entry),
          body.index,
          opened.value.checkpoint.size,
          body.proof.map(fromBase64),
          opened.value.checkpoint.rootHash,
        ),
      ).toEqual({ ok: true });
    }
    const missing = await l.get(asker, `/v1/agent/inclusion?device=${asker.id}&seq=999`);
    expect(missing.status).toBe(404);
  });

  test('receipt requests right after uploads share on-demand checkpoints instead of signing one each', async () => {
    const l = await ledgerEdge({ tlog: { onDemandIntervalMs: 200 } });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const saved: number[] = [];
    const save = l.edge.store.saveCheckpoint.bind(l.edge.store);
    l.edge.store.saveCheckpoint = async (orgId, checkpoint) => {
      saved.push(checkpoint.size);
      return save(orgId, checkpoint);
    };
    const entries = await sessionEntries(device, 's-burst', 29);
    // Ten uploads of three entries, each followed at once by the receipt request of its last entry.
    const requests: Promise<Response>[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = entries.slice(i * 3, i * 3 + 3);
      await l.upload(device, batch);
      const last = batch.at(-1) as JournalEntry;
      requests.push(l.get(device, `/v1/agent/inclusion?device=${device.id}&seq=${last.seq}`));
    }
    const answers = await Promise.all(requests);
    for (const res of answers) expect(res.status).toBe(200);
    const proofs = (await Promise.all(answers.map((r) => r.json()))) as { index: number; size: number }[];
    for (const p of proofs) expect(p.size).toBeGreaterThan(p.index);
    // Ten log sizes were asked about; a few signatures served them all.
    expect(saved.length).toBeGreaterThanOrEqual(1);
    expect(saved.length).toBeLessThanOrEqual(3);
  });

  test('consistency proofs from the endpoint verify between every pair of signed checkpoints', async () => {
    const l = await ledgerEdge({ devices: 1 });
    const device = l.devices[0] as LedgerEdge['devices'][0];
    const entries = await sessionEntries(device, 's1', 40);
    const checkpoints: { size: number; root: Uint8Array }[] = [];
    for (const cut of [1, 2, 3, 7, 8, 9, 16, 17, 30, 41]) {
      const prior = checkpoints.at(-1)?.size ?? 0;
      await l.upload(device, entries.slice(prior, cut));
      const c = await l.tlog.signCheckpoint(l.org.id);
      checkpoints.push({ size: c.size, root: decodeBase64Strict(c.rootHash) as Uint8Array });
    }
    for (const older of checkpoints)
      for (const newer of checkpoints) {
        if (newer.size < older.size) continue;
        const res = await l.get(device, `/v1/agent/consistency?from=${older.size}&to=${newer.size}`);
        const body = (await res.json()) as { proof: string[]; checkpoint: string | null };
        expect(body.checkpoint).not.toBeNull();
        expect(
          verifyConsistency(older.size, newer.size, body.proof.map(fromBase64), older.root, newer.root),
        ).toEqual({
          ok: true,
        });
      }
    const bad = await l.get(device, '/v1/agent/consistency?from=5&to=99');
    expect(bad.status).toBe(400);
  });

  test('the log endpoints need a signed request and show a device only its own organization', async () => {
    const acme = await ledgerEdge({ devices: 1 });
    const device = acme.devices[0] as LedgerEdge['devices'][0];
    await acme.upload(device, await sessionEntries(device, 's1', 2));
    expect((await acme.edge.request('/v1/agent/checkpoint')).status).toBe(401);
    // A second organization on the same edge has its own log, key and origin.
    const { createOrgWithAdmin } = await import('../testing/test-edge.ts');
    await createOrgWithAdmin(acme.edge, { org: 'Globex', admin: 'boss@globex.test' });
    const stranger = createFakeDevice({ now: acme.edge.clock.now });
    await enrollDevice(acme.edge, stranger, { email: 'dev@globex.test', org: 'globex' });
    const theirs = (await (await acme.get(stranger, '/v1/agent/checkpoint')).json()) as {
      origin: string;
      size: number;
    };
    expect(theirs).toMatchObject({ origin: 'edge.test/globex', size: 0 });
    const probe = await acme.get(stranger, `/v1/agent/inclusion?device=${device.id}&seq=0`);
    expect(probe.status).toBe(404);
  });

  test('an edge without a transparency log answers the log endpoints with NOT_FOUND', async () => {
    const edge = await createTestEdge();
    const { createOrgWithAdmin, agentGet } = await import('../testing/test-edge.ts');
    await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
    const device = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
    const res = await agentGet(edge, device, '/v1/agent/checkpoint');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect(new EdgeError('NOT_FOUND', 'x').status).toBe(404);
  });
});
