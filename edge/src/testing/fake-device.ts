import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  canonicalJson,
  type EntryBody,
  ed25519PublicKeyToRaw,
  enrollmentSigningBytes,
  entryHash,
  type JournalEntry,
  type JsonValue,
  type SessionCertificate,
  signEntry,
  signSessionCertificate,
  softwareDeviceSigner,
  ZERO_HASH,
} from '@ceros/protocol';
import { deviceIdFromSpki } from '../auth/secrets.ts';
import { HEADER, requestSigningString } from '../auth/signed-request.ts';

/**
 * A software stand-in for an agent, for edge tests and the bench: a P-256 device key, a journal
 * writer that produces real signed, chained entries, and request signing in the agent's format.
 */
export interface FakeDevice {
  readonly id: string;
  readonly publicKeySpki: string;
  readonly privateKey: KeyObject;
  /** Next seq to write. */
  readonly seq: number;
  /** Starts a session: returns its `session.key` entry (and remembers the session key). */
  startSession(
    sessionId: string,
    options?: { user?: string | null; notAfterMs?: number },
  ): Promise<JournalEntry>;
  /** Appends an entry to the current session. */
  append(type: string, payload: JsonValue, time?: Date): JournalEntry;
  /** Signed headers for a request, by the device key or the current session key. */
  headers(
    method: string,
    pathAndQuery: string,
    body?: string,
    options?: { by?: 'device' | 'session'; now?: number; nonce?: string },
  ): Record<string, string>;
  /** The signed body of POST /v1/enroll/start. */
  enrollStartBody(org?: string, now?: number): Record<string, JsonValue>;
  readonly certificate: SessionCertificate | undefined;
}

export function createFakeDevice(
  options: { now?: () => number; id?: string; privateKey?: KeyObject } = {},
): FakeDevice {
  const now = options.now ?? Date.now;
  // A given key (a golden fixture's) makes the device the one that signed those entries.
  const privateKey = options.privateKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const publicKey = createPublicKey(privateKey);
  const publicKeySpki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64url');
  const id = options.id ?? deviceIdFromSpki(publicKeySpki);
  let seq = 0;
  let prev = ZERO_HASH;
  let session: { id: string; key: KeyObject; certificate: SessionCertificate } | undefined;

  const write = (body: Omit<EntryBody, 'v' | 'device' | 'seq' | 'prev'>, key: KeyObject): JournalEntry => {
    const entry = signEntry({ v: 1, device: id, seq, prev, ...body }, key);
    prev = entryHash(entry);
    seq++;
    return entry;
  };

  return {
    id,
    publicKeySpki,
    privateKey,
    get seq() {
      return seq;
    },
    get certificate() {
      return session?.certificate;
    },
    async startSession(sessionId, sessionOptions = {}) {
      const keys = generateKeyPairSync('ed25519');
      const startMs = now();
      const certificate = await signSessionCertificate(
        {
          v: 1,
          device: id,
          user: sessionOptions.user ?? null,
          session: sessionId,
          sessionKey: ed25519PublicKeyToRaw(keys.publicKey),
          notBefore: new Date(startMs - 1000).toISOString(),
          notAfter: new Date(sessionOptions.notAfterMs ?? startMs + 24 * 3600_000).toISOString(),
          postureDigest: null,
          ancestryDigest: null,
          policyHash: null,
          keyProtection: 'software',
        },
        softwareDeviceSigner(privateKey),
      );
      session = { id: sessionId, key: keys.privateKey, certificate };
      return write(
        {
          time: new Date(startMs).toISOString(),
          session: sessionId,
          type: 'session.key',
          payload: {
            publicKey: certificate.sessionKey,
            certificate: certificate as unknown as JsonValue,
          },
        },
        keys.privateKey,
      );
    },
    append(type, payload, time = new Date(now())) {
      if (!session) throw new Error('FakeDevice: startSession() first');
      return write({ time: time.toISOString(), session: session.id, type, payload }, session.key);
    },
    headers(method, pathAndQuery, body = '', headerOptions = {}) {
      const by = headerOptions.by ?? 'device';
      if (by === 'session' && !session) throw new Error('FakeDevice: no session to sign with');
      const keyId = by === 'device' ? 'device' : `session:${session?.id}`;
      const timestamp = String(headerOptions.now ?? now());
      const nonce = headerOptions.nonce ?? randomBytes(18).toString('base64url');
      const message = Buffer.from(
        requestSigningString({
          method,
          pathAndQuery,
          device: id,
          key: keyId,
          timestamp,
          nonce,
          body: Buffer.from(body),
        }),
      );
      const signature =
        by === 'device'
          ? sign('sha256', message, { key: privateKey, dsaEncoding: 'der' })
          : sign(null, message, session?.key as KeyObject);
      const headers: Record<string, string> = {
        [HEADER.device]: id,
        [HEADER.key]: keyId,
        [HEADER.timestamp]: timestamp,
        [HEADER.nonce]: nonce,
        [HEADER.signature]: signature.toString('base64url'),
      };
      if (by === 'session' && session)
        headers[HEADER.certificate] = Buffer.from(
          canonicalJson(session.certificate as unknown as JsonValue),
        ).toString('base64url');
      return headers;
    },
    enrollStartBody(org, at = now()) {
      const body: Record<string, JsonValue> = {
        publicKey: publicKeySpki,
        keyProtection: 'software',
        device: { hostname: 'test-host', os: 'linux', arch: 'x64', cerosVersion: '0.1.0' },
        timestamp: at,
      };
      if (options.id !== undefined) body.deviceId = options.id;
      if (org !== undefined) body.org = org;
      const signature = sign('sha256', enrollmentSigningBytes(body), {
        key: privateKey,
        dsaEncoding: 'der',
      });
      return { ...body, signature: signature.toString('base64url') };
    },
  };
}
