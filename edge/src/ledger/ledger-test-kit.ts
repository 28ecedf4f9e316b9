import { entryBytes, type JournalEntry, leafHash } from '@ceros/protocol';
import type { Org } from '../store/store.ts';
import { createFakeDevice, type FakeDevice } from '../testing/fake-device.ts';
import {
  type AdminSessionForTest,
  agentGet,
  createOrgWithAdmin,
  createTestEdge,
  enrollDevice,
  ingest,
  signInAdmin,
  type TestEdge,
} from '../testing/test-edge.ts';
import type { TransparencyLog } from './transparency-log.ts';

/** Tests of the transparency log: an edge with a log, an org, enrolled fake devices, an admin. */
export interface LedgerEdge {
  edge: TestEdge;
  tlog: TransparencyLog;
  org: Org;
  devices: FakeDevice[];
  admin: AdminSessionForTest;
  /** Uploads entries as their device; fails the test on anything but 200. */
  upload(device: FakeDevice, entries: readonly JournalEntry[]): Promise<Record<string, unknown>>;
  /** A signed GET as the device, parsed as JSON (or text). */
  get(device: FakeDevice, path: string, accept?: string): Promise<Response>;
}

export async function ledgerEdge(
  options: Parameters<typeof createTestEdge>[0] & { devices?: number; slug?: string } = {},
): Promise<LedgerEdge> {
  const edge = await createTestEdge({ tlog: true, ...options });
  if (!edge.tlog) throw new Error('no tlog');
  const name = options.slug ?? 'Acme';
  const org = await createOrgWithAdmin(edge, { org: name, admin: `boss@${orgDomain(name)}` });
  const devices: FakeDevice[] = [];
  for (let i = 0; i < (options.devices ?? 2); i++) {
    const device = createFakeDevice({ now: edge.clock.now });
    await enrollDevice(edge, device, { email: `dev${i}@${orgDomain(name)}`, org: org.slug });
    devices.push(device);
  }
  const admin = await signInAdmin(edge, `boss@${orgDomain(name)}`, org.slug);
  return {
    edge,
    tlog: edge.tlog,
    org,
    devices,
    admin,
    async upload(device, entries) {
      const res = await ingest(edge, device, entries);
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status !== 200) throw new Error(`ingest: ${res.status} ${JSON.stringify(body)}`);
      return body;
    },
    get: (device, path, accept = 'application/json') => agentGet(edge, device, path, { accept }),
  };
}

function orgDomain(name: string): string {
  return `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.test`;
}

/** A session of `count` prompts after its session.key entry. */
export async function sessionEntries(
  device: FakeDevice,
  sessionId: string,
  count: number,
): Promise<JournalEntry[]> {
  const entries = [await device.startSession(sessionId)];
  for (let i = 0; i < count; i++) entries.push(device.append('prompt', { text: `${sessionId} prompt ${i}` }));
  return entries;
}

export const leafOf = (entry: JournalEntry): Uint8Array => leafHash(Buffer.from(entryBytes(entry)));

export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
