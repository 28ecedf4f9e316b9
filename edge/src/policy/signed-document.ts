import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  canonicalJson,
  ed25519PrivateKeyFromPkcs8,
  ed25519PublicKeyToRaw,
  fromBase64Url,
  type JsonValue,
  sha256Hex,
  toBase64Url,
} from '@ceros/protocol';

/**
 * What the edge hands to agents is signed with the organization's Ed25519 key, so a cached copy
 * can be checked offline and a compromised cache or proxy cannot change what an agent enforces.
 * Policy bundles use @ceros/policy's format (signBundle / verifyBundle); the managed MCP list uses
 * the envelope below, with its own domain-separation prefix. The agent learns the public key and
 * its id at enrollment.
 */
export const MANAGED_MCP_PREFIX = 'ceros/managed-mcp/v1\n';

export interface ManagedMcpBody {
  v: 1;
  kind: 'managed-mcp';
  org: string;
  issuedAt: string;
  servers: (
    | { name: string; transport: 'stdio'; command: string; args: string[]; env: Record<string, string> }
    | { name: string; transport: 'http'; url: string; headers: Record<string, string> }
  )[];
}

export type Signed<T> = T & { sig: string };

/** A fresh org signing key pair: PKCS#8 DER (base64url) and the raw public key (base64url). */
export function generateOrgSigningKey(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: toBase64Url(privateKey.export({ format: 'der', type: 'pkcs8' })),
    publicKey: ed25519PublicKeyToRaw(publicKey),
  };
}

/** The key id bundles are signed under: the first 16 hex digits of SHA-256 over the raw public key. */
export function orgKeyId(publicKeyRaw: string): string {
  return sha256Hex(fromBase64Url(publicKeyRaw)).slice(0, 16);
}

export function orgPrivateKey(privateKeyPkcs8: string): KeyObject {
  return ed25519PrivateKeyFromPkcs8(fromBase64Url(privateKeyPkcs8));
}

export function signDocument<T extends ManagedMcpBody>(
  body: T,
  prefix: string,
  privateKeyPkcs8: string,
): Signed<T> {
  const key = ed25519PrivateKeyFromPkcs8(fromBase64Url(privateKeyPkcs8));
  const message = Buffer.from(prefix + canonicalJson(body as unknown as JsonValue));
  return { ...body, sig: toBase64Url(sign(null, message, key)) };
}

/** A strong ETag over the exact document bytes. */
export function etagOf(document: string): string {
  return `"${sha256Hex(document).slice(0, 32)}"`;
}
