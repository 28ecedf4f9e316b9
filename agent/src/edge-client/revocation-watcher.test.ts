import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEdgeClient, type EdgeClient } from './client.ts';
import { createRevocationWatcher, fetchDeviceStatus, REVOCATION_POLL_MS } from './revocation-watcher.ts';
import { sessionRequestSigner } from './signed-request.ts';
import { createJournalWriter, type EdgeWithDevice, edgeWithDevice, waitFor } from './test-support.ts';

let dir: string;
let edge: EdgeWithDevice;
let client: EdgeClient;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-revocation-'));
  edge = await edgeWithDevice(dir);
  const journal = createJournalWriter(join(dir, 'journal.jsonl'), edge.deviceId, edge.key);
  await journal.startSession('s1');
  const session = journal.sessionKey();
  // Signed by the session key: the device key may be a slow TPM, and the watcher polls often.
  client = createEdgeClient({
    baseUrl: 'http://edge.test',
    signer: sessionRequestSigner({ deviceId: edge.deviceId, ...session }),
    fetch: async (input, init) => edge.app.fetch(new Request(input, init)),
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the revocation watcher', () => {
  test('its default poll period plus the request timeout stays within the 10 s budget', () => {
    expect(REVOCATION_POLL_MS + 4000).toBeLessThanOrEqual(10_000);
  });

  test('fetchDeviceStatus() reports an active device as allowed', async () => {
    expect(await fetchDeviceStatus(client)).toMatchObject({ kind: 'allowed', status: { status: 'active' } });
  });

  test('fires onRevoked within one poll of an admin revoking the device', async () => {
    const revocations: { code: string; reason: string }[] = [];
    const watcher = createRevocationWatcher({
      client,
      intervalMs: 50,
      onRevoked: (r) => revocations.push(r),
    });
    watcher.start();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(revocations).toEqual([]);
    const revokedAt = Date.now();
    await edge.store.setDeviceStatus(edge.orgId, edge.deviceId, 'revoked', revokedAt, 'offboarded');
    await waitFor(() => revocations.length > 0, 2000);
    expect(Date.now() - revokedAt).toBeLessThan(500);
    watcher.stop();
    expect(revocations).toEqual([{ code: 'DEVICE_REVOKED', reason: expect.stringContaining('offboarded') }]);
    expect(watcher.revoked).toBe(true);
  });

  test('revoking the user revokes their running sessions too', async () => {
    const device = await edge.store.getDevice(edge.orgId, edge.deviceId);
    await edge.store.revokeUser(edge.orgId, device?.userId ?? '', Date.now());
    expect(await fetchDeviceStatus(client)).toMatchObject({ kind: 'revoked', code: 'USER_REVOKED' });
  });

  test('an unreachable edge is not a revocation', async () => {
    const offline = createEdgeClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 });
    const check = await fetchDeviceStatus(offline);
    expect(check).toMatchObject({ kind: 'unknown', error: { code: 'UNREACHABLE' } });
  });
});
