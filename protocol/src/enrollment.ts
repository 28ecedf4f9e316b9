import { canonicalJson, type JsonValue } from './canonical.ts';

/**
 * The enrollment exchange between agent and edge: the device proves it holds its key by signing
 * the start request (every field but `signature`, canonical JSON, after a domain-separation
 * prefix), then polls until a verified human bound it.
 */
export const ENROLL_SIGNING_PREFIX = 'ceros/enroll/v1\n';

/** The bytes the device key signs for `POST /v1/enroll/start`: the body without `signature`. */
export function enrollmentSigningBytes(body: Readonly<Record<string, JsonValue>>): Buffer {
  return Buffer.from(ENROLL_SIGNING_PREFIX + canonicalJson(body as JsonValue));
}

/** The answer to `POST /v1/enroll/poll`. */
export type EnrollmentPollResponse =
  | { status: 'pending' | 'awaiting_approval'; pollIntervalMs: number; expiresAt: string }
  | { status: 'denied'; message: string }
  | {
      status: 'complete';
      deviceId: string;
      org: { id: string; slug: string; name: string };
      userEmail: string;
      /** Raw Ed25519 key (base64url) that signs the org's policy bundles and managed MCP lists. */
      orgSigningKey: string;
      /** The key id policy bundles name (@ceros/policy TrustedKey.keyId). */
      orgSigningKeyId: string;
      edgeUrl: string;
      /** The C2SP verifier key of the org's transparency log, for the device to pin (absent without one). */
      logKey?: string;
    };

/**
 * The answer to `GET /v1/agent/status`, which the revocation watcher polls. Answered even for
 * revoked devices (authenticated by their still-valid signature) so the agent can tell "revoked"
 * from "unreachable".
 */
export interface DeviceStatusResponse {
  deviceId: string;
  status: 'active' | 'pending' | 'revoked';
  userEmail: string;
  userStatus: 'provisioned' | 'active' | 'revoked';
  /** The one thing the agent acts on: false means deny every tool call and end the session. */
  allowed: boolean;
  reason: string | null;
  checkedAt: string;
}
