import { verify } from 'node:crypto';
import { canonicalJson, ed25519PublicKeyFromRaw, fromBase64Url, type JsonValue } from '@ceros/protocol';
import { type EdgeClient, EdgeClientError } from './client.ts';

/** Must match edge/src/policy/signed-document.ts. */
export const POLICY_BUNDLE_PREFIX = 'ceros/policy-bundle/v1\n';
export const MANAGED_MCP_PREFIX = 'ceros/managed-mcp/v1\n';

export interface PolicyBundle {
  v: 1;
  kind: 'policy-bundle';
  org: string;
  /** Increases with every publish in the org. */
  version: number;
  issuedAt: string;
  policies: { id: string; name: string; version: number; hash: string; source: string }[];
  sig: string;
}

export type ManagedMcpServer =
  | { name: string; transport: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { name: string; transport: 'http'; url: string; headers: Record<string, string> };

export interface ManagedMcpList {
  v: 1;
  kind: 'managed-mcp';
  org: string;
  issuedAt: string;
  servers: ManagedMcpServer[];
  sig: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Checks a signed edge document against the org key learned at enrollment (config.json). */
export function verifySignedDocument(
  document: { sig?: unknown; kind?: unknown },
  prefix: string,
  orgSigningKey: string,
): VerifyResult {
  const { sig, ...body } = document;
  if (typeof sig !== 'string') return { ok: false, reason: 'the document has no signature' };
  try {
    const good = verify(
      null,
      Buffer.from(prefix + canonicalJson(body as JsonValue)),
      ed25519PublicKeyFromRaw(orgSigningKey),
      fromBase64Url(sig),
    );
    return good
      ? { ok: true }
      : { ok: false, reason: `the ${String(body.kind)} signature does not match the org key` };
  } catch (error) {
    return { ok: false, reason: `cannot check the signature: ${(error as Error).message}` };
  }
}

export type FetchResult<T> =
  | { status: 'ok'; document: T; etag: string | null; raw: string }
  | { status: 'not-modified' }
  /** The org has published nothing yet. */
  | { status: 'none' };

async function fetchSigned<T extends { sig: string }>(
  client: EdgeClient,
  path: string,
  field: string,
  prefix: string,
  options: { etag?: string; orgSigningKey: string },
): Promise<FetchResult<T>> {
  const response = await client.request(
    'GET',
    path,
    options.etag ? { headers: { 'if-none-match': options.etag } } : {},
  );
  if (response.status === 304) return { status: 'not-modified' };
  const document = (response.body as Record<string, unknown> | null)?.[field] as T | null | undefined;
  if (!document) return { status: 'none' };
  const verdict = verifySignedDocument(document, prefix, options.orgSigningKey);
  if (!verdict.ok)
    throw new EdgeClientError(
      'BAD_SIGNATURE',
      `Cannot trust the ${field} from the edge: ${verdict.reason}`,
      200,
    );
  return {
    status: 'ok',
    document,
    etag: response.headers.get('etag'),
    raw: canonicalJson(document as unknown as JsonValue),
  };
}

/**
 * Fetches the org's policy bundle (at session start, then polled with the last ETag) and verifies
 * its signature. Cache `raw` and `etag` as the last good bundle for offline starts.
 */
export function fetchPolicyBundle(
  client: EdgeClient,
  options: { etag?: string; orgSigningKey: string },
): Promise<FetchResult<PolicyBundle>> {
  return fetchSigned<PolicyBundle>(client, '/v1/agent/policy', 'bundle', POLICY_BUNDLE_PREFIX, options);
}

/** Fetches the admin-approved MCP servers for this org, signature-checked. */
export function fetchManagedMcpServers(
  client: EdgeClient,
  options: { etag?: string; orgSigningKey: string },
): Promise<FetchResult<ManagedMcpList>> {
  return fetchSigned<ManagedMcpList>(client, '/v1/agent/mcp-servers', 'managed', MANAGED_MCP_PREFIX, options);
}

/**
 * What the managed hook reports when Claude Code runs without ceros: the edge counts these per user
 * and device as adoption gaps. Idempotent per Claude session id.
 */
export async function reportAdoptionGap(
  client: EdgeClient,
  gap: { claudeSessionId: string; cwd?: string; details?: Record<string, unknown> },
): Promise<{ recorded: boolean }> {
  const response = await client.request('POST', '/v1/agent/adoption-gaps', { json: gap });
  return response.body as { recorded: boolean };
}
