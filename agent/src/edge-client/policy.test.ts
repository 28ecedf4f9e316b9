import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEdgeClient, type EdgeClient, EdgeClientError, type FetchLike } from './client.ts';
import { fetchManagedMcpServers, fetchPolicyBundle, reportAdoptionGap } from './policy.ts';
import { deviceRequestSigner } from './signed-request.ts';
import { type EdgeWithDevice, edgeWithDevice } from './test-support.ts';

let dir: string;
let edge: EdgeWithDevice;
const clientWith = (fetchImpl?: FetchLike): EdgeClient =>
  createEdgeClient({
    baseUrl: 'http://edge.test',
    signer: deviceRequestSigner(edge.deviceId, edge.key),
    fetch: fetchImpl ?? (async (input, init) => edge.app.fetch(new Request(input, init))),
  });

const POLICY = 'version: 1\ndefault: allow\nrules: []\n';

async function publish(source: string): Promise<void> {
  const created = await edge.admin('POST', '/v1/admin/policies', {
    name: `p${crypto.randomUUID().slice(0, 8)}`,
    source,
  });
  const { id, version } = (await created.json()) as { id: string; version: number };
  const published = await edge.admin('POST', `/v1/admin/policies/${id}/publish`, { version });
  expect(published.status).toBe(200);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-policy-'));
  edge = await edgeWithDevice(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('policy and managed MCP fetches', () => {
  test('fetchPolicyBundle() says none before anything is published', async () => {
    expect(await fetchPolicyBundle(clientWith(), { trustedKeys: edge.trustedKeys })).toEqual({
      status: 'none',
    });
  });

  test('fetchPolicyBundle() verifies the bundle with @ceros/policy, then answers not-modified for its ETag', async () => {
    await publish(POLICY);
    const first = await fetchPolicyBundle(clientWith(), { trustedKeys: edge.trustedKeys });
    expect(first.status).toBe('ok');
    if (first.status !== 'ok') return;
    expect(first.document).toMatchObject({
      version: 1,
      organization: edge.orgId,
      policy: { default: 'allow' },
    });
    expect(first.document.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.etag).toMatch(/^"/);
    const second = await fetchPolicyBundle(clientWith(), {
      trustedKeys: edge.trustedKeys,
      etag: first.etag ?? '',
    });
    expect(second).toEqual({ status: 'not-modified' });
  });

  test('an older bundle than the last accepted one is refused as a rollback', async () => {
    await publish(POLICY);
    const error = await fetchPolicyBundle(clientWith(), {
      trustedKeys: edge.trustedKeys,
      lastVersion: 2,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(EdgeClientError);
    expect(error.code).toBe('BUNDLE_ROLLBACK');
  });

  test('a bundle altered on the way is refused', async () => {
    await publish(POLICY);
    const tampering: FetchLike = async (input, init) => {
      const response = await edge.app.fetch(new Request(input, init));
      const body = (await response.json()) as { bundle: { payload: string } };
      const payload = JSON.parse(Buffer.from(body.bundle.payload, 'base64url').toString());
      payload.policy.default = 'deny';
      body.bundle.payload = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
    };
    const error = await fetchPolicyBundle(clientWith(tampering), { trustedKeys: edge.trustedKeys }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(EdgeClientError);
    expect(error.code).toBe('BAD_SIGNATURE');
  });

  test('fetchManagedMcpServers() returns the signed list', async () => {
    await edge.store.createManagedMcp(edge.orgId, {
      id: 'mcp_1',
      name: 'github',
      config: { transport: 'stdio', command: 'npx', args: ['@github/mcp'], env: {} },
      createdMs: 1,
      updatedMs: 1,
    });
    const result = await fetchManagedMcpServers(clientWith(), { orgSigningKey: edge.orgSigningKey });
    expect(result.status === 'ok' && result.document.servers).toEqual([
      { name: 'github', transport: 'stdio', command: 'npx', args: ['@github/mcp'], env: {} },
    ]);
  });

  test('reportAdoptionGap() records a Claude Code session started without ceros, once', async () => {
    expect(await reportAdoptionGap(clientWith(), { claudeSessionId: 'c1', cwd: '/w' })).toEqual({
      recorded: true,
    });
    expect(await reportAdoptionGap(clientWith(), { claudeSessionId: 'c1' })).toEqual({ recorded: false });
  });
});
