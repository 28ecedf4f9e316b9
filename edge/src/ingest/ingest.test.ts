import { describe, expect, test } from 'bun:test';
import { entryBytes, type JournalEntry } from '@ceros/protocol';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import {
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  type TestEdge,
} from '../testing/test-edge.ts';

async function enrolled(
  options: Parameters<typeof createTestEdge>[0] = {},
): Promise<{ edge: TestEdge; device: FakeDevice }> {
  const edge = await createTestEdge(options);
  await createOrgWithAdmin(edge, { org: 'Acme', admin: 'boss@acme.test' });
  const device = createFakeDevice({ now: edge.clock.now });
  await enrollDevice(edge, device, { email: 'dev@acme.test', org: 'acme' });
  return { edge, device };
}

async function sessionEntries(device: FakeDevice, sessionId: string, count: number): Promise<JournalEntry[]> {
  const entries = [await device.startSession(sessionId)];
  for (let i = 0; i < count; i++) entries.push(device.append('prompt', { text: `prompt ${i}` }));
  return entries;
}

const bodyOf = async (res: Response) =>
  (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> };

describe('ingest', () => {
  test('a signed batch is verified, stored, and acknowledged with the new head', async () => {
    const { edge, device } = await enrolled();
    const entries = await sessionEntries(device, 's1', 3);
    const res = await ingest(edge, device, entries);
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toMatchObject({ accepted: 4, duplicates: 0, head: { seq: 3 } });
    const org = await edge.store.getOrgBySlug('acme');
    const stored = await edge.store.exportEntries(org?.id ?? '', device.id, -1, 100);
    expect(stored.map((row) => row.bytes)).toEqual(entries.map(entryBytes));
  });

  test('re-sending a stored batch stores nothing twice and still acknowledges it', async () => {
    const { edge, device } = await enrolled();
    const entries = await sessionEntries(device, 's1', 3);
    await ingest(edge, device, entries.slice(0, 2));
    const res = await ingest(edge, device, entries);
    expect(await bodyOf(res)).toMatchObject({ accepted: 2, duplicates: 2, head: { seq: 3 } });
    const again = await ingest(edge, device, entries);
    expect(await bodyOf(again)).toMatchObject({ accepted: 0, duplicates: 4 });
    const org = await edge.store.getOrgBySlug('acme');
    expect(await edge.store.exportEntries(org?.id ?? '', device.id, -1, 100)).toHaveLength(4);
    const [conversation] = (await edge.store.listConversations(org?.id ?? '', {}, null, 10)).items;
    expect(conversation?.prompts).toBe(3);
  });

  test('a batch that skips entries is refused with the seq the edge expects', async () => {
    const { edge, device } = await enrolled();
    const entries = await sessionEntries(device, 's1', 4);
    await ingest(edge, device, entries.slice(0, 2));
    const res = await ingest(edge, device, entries.slice(3));
    expect(res.status).toBe(409);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'CHAIN_GAP', expectedSeq: 2 });
  });

  test('a session continues across batches: later batches verify against the stored certificate', async () => {
    const { edge, device } = await enrolled();
    const entries = await sessionEntries(device, 's1', 6);
    for (const slice of [entries.slice(0, 1), entries.slice(1, 4), entries.slice(4)])
      expect((await ingest(edge, device, slice)).status).toBe(200);
  });

  test('a different entry at a stored seq is refused as a chain conflict', async () => {
    const { edge, device } = await enrolled();
    const entries = await sessionEntries(device, 's1', 1);
    await ingest(edge, device, entries);
    // The same seq as a stored entry, with different content: a fork of the device's chain.
    const forged = { ...entries[1], payload: { text: 'rewritten history' } };
    const res = await ingest(edge, device, [forged]);
    expect(res.status).toBe(409);
    expect((await bodyOf(res)).error?.code).toBe('CHAIN_CONFLICT');
  });

  test('a tampered entry is refused and nothing of the batch is stored', async () => {
    const { edge, device } = await enrolled();
    const entries = await sessionEntries(device, 's1', 3);
    const tampered = entries.map((e, i) => (i === 2 ? { ...e, payload: { text: 'tampered' } } : e));
    const res = await ingest(edge, device, tampered);
    expect(res.status).toBe(422);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'VERIFY_FAILED', seq: 2 });
    const org = await edge.store.getOrgBySlug('acme');
    expect(await edge.store.exportEntries(org?.id ?? '', device.id, -1, 100)).toHaveLength(0);
  });

  test("a device cannot upload another device's entries", async () => {
    const { edge, device } = await enrolled();
    const other = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, other, { email: 'dev2@acme.test', org: 'acme' });
    const theirs = await sessionEntries(other, 's9', 1);
    const res = await ingest(edge, device, theirs);
    expect(res.status).toBe(403);
    expect((await bodyOf(res)).error?.code).toBe('CROSS_DEVICE');
  });

  test('a session key not certified by the registered device key is refused', async () => {
    const { edge, device } = await enrolled();
    const impostor = createFakeDevice({ now: edge.clock.now });
    // The impostor writes entries claiming to be the device; its certificate is signed by its own key.
    const forged = await sessionEntries(impostor, 's1', 1);
    const relabeled = forged.map((e) => ({ ...e, device: device.id }));
    const res = await ingest(edge, device, relabeled);
    expect(res.status).toBe(422);
    expect((await bodyOf(res)).error?.code).toBe('VERIFY_FAILED');
  });

  test('an oversized body is refused with 413 before it is read', async () => {
    const { edge, device } = await enrolled({ settings: { maxIngestBytes: 2048 } });
    const entries = await sessionEntries(device, 's1', 1);
    entries.push(device.append('prompt', { text: 'x'.repeat(4096) }));
    const res = await ingest(edge, device, entries);
    expect(res.status).toBe(413);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'BODY_TOO_LARGE', maxBytes: 2048 });
  });

  test('a batch with too many entries is refused with a clear error', async () => {
    const { edge, device } = await enrolled({ settings: { maxIngestEntries: 2 } });
    const res = await ingest(edge, device, await sessionEntries(device, 's1', 2));
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('malformed JSON gets 400 MALFORMED_BODY and a malformed entry gets 422 naming it', async () => {
    const { edge, device } = await enrolled();
    const body = '{"entries": [';
    const res = await edge.request('/v1/agent/ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...device.headers('POST', '/v1/agent/ingest', body) },
      body,
    });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error?.code).toBe('MALFORMED_BODY');
    const bad = await ingest(edge, device, [{ v: 1, device: device.id, seq: 'zero' }]);
    expect(bad.status).toBe(422);
    expect(String((await bodyOf(bad)).error?.message)).toContain('seq');
  });

  test('the wrong content type is refused with 415', async () => {
    const { edge, device } = await enrolled();
    const body = '{"entries":[]}';
    const res = await edge.request('/v1/agent/ingest', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...device.headers('POST', '/v1/agent/ingest', body) },
      body,
    });
    expect(res.status).toBe(415);
  });

  test('newly stored entries go to the ledger in seq order, duplicates do not', async () => {
    const appended: { orgId: string; bytes: readonly string[] }[] = [];
    const { edge, device } = await enrolled({
      ledger: { append: async (orgId, bytes) => void appended.push({ orgId, bytes }) },
    });
    const entries = await sessionEntries(device, 's1', 2);
    await ingest(edge, device, entries.slice(0, 2));
    await ingest(edge, device, entries);
    const org = await edge.store.getOrgBySlug('acme');
    expect(appended).toEqual([
      { orgId: org?.id ?? '', bytes: entries.slice(0, 2).map(entryBytes) },
      { orgId: org?.id ?? '', bytes: entries.slice(2).map(entryBytes) },
    ]);
  });

  test('the ingest head endpoint reports what the edge holds', async () => {
    const { edge, device } = await enrolled();
    const head0 = await edge.request('/v1/agent/ingest/head', {
      headers: device.headers('GET', '/v1/agent/ingest/head'),
    });
    expect(await head0.json()).toEqual({ head: null });
    await ingest(edge, device, await sessionEntries(device, 's1', 1));
    const head1 = await edge.request('/v1/agent/ingest/head', {
      headers: device.headers('GET', '/v1/agent/ingest/head'),
    });
    expect(await head1.json()).toMatchObject({ head: { seq: 1 } });
  });
});
