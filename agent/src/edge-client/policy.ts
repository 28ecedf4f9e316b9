import { verify } from 'node:crypto';
import { type TrustedKey, type VerifiedBundle, verifyBundle } from '@ceros/policy';
import { canonicalJson, ed25519PublicKeyFromRaw, fromBase64Url, type JsonValue } from '@ceros/protocol';
import { type EdgeClient, EdgeClientError } from './client.ts';

/** Must match edge/src/policy/signed-document.ts. Policy bundles use @ceros/policy's format. */
export const MANAGED_MCP_PREFIX = 'ceros/managed-mcp/v1\n';

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

/**
 * Fetches the org's policy bundle (at session start, then polled with the last ETag) and checks
 * it with @ceros/policy's verifyBundle: signed by the org key learned at enrollment, not older
 * than `lastVersion` (no rollback), and a valid policy. Cache `raw` and `etag` as the last good
 * bundle for offline starts; `document` is what compilePolicy takes.
 */
export async function fetchPolicyBundle(
  client: EdgeClient,
  options: { etag?: string; trustedKeys: readonly TrustedKey[]; lastVersion?: number },
): Promise<FetchResult<VerifiedBundle>> {
  const response = await client.request(
    'GET',
    '/v1/agent/policy',
    options.etag ? { headers: { 'if-none-match': options.etag } } : {},
  );
  if (response.status === 304) return { status: 'not-modified' };
  const bundle = (response.body as { bundle?: unknown } | null)?.bundle;
  if (!bundle) return { status: 'none' };
  const verdict = verifyBundle(bundle, options.trustedKeys, options.lastVersion);
  if (!verdict.ok)
    throw new EdgeClientError(
      verdict.code === 'BAD_SIGNATURE' || verdict.code === 'UNTRUSTED_KEY'
        ? 'BAD_SIGNATURE'
        : `BUNDLE_${verdict.code}`,
      verdict.message,
      response.status,
    );
  return {
    status: 'ok',
    document: verdict.value,
    etag: response.headers.get('etag'),
    raw: canonicalJson(bundle as JsonValue),
  };
}

/** Fetches the admin-approved MCP servers for this org, signature-checked against the org key. */
export async function fetchManagedMcpServers(
  client: EdgeClient,
  options: { etag?: string; orgSigningKey: string },
): Promise<FetchResult<ManagedMcpList>> {
  const response = await client.request(
    'GET',
    '/v1/agent/mcp-servers',
    options.etag ? { headers: { 'if-none-match': options.etag } } : {},
  );
  if (response.status === 304) return { status: 'not-modified' };
  const document = (response.body as { managed?: ManagedMcpList | null } | null)?.managed;
  if (!document) return { status: 'none' };
  const verdict = verifySignedDocument(document, MANAGED_MCP_PREFIX, options.orgSigningKey);
  if (!verdict.ok)
    throw new EdgeClientError(
      'BAD_SIGNATURE',
      `Cannot trust the managed MCP list from the edge: ${verdict.reason}`,
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
