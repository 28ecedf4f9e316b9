import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  addAdmin,
  createApp,
  createLibsqlStore,
  createOutboxMailer,
  type EdgeDeps,
  type EdgeStore,
  orgKeyId,
} from '@ceros/edge';
import type { SessionCertificate } from '@ceros/protocol';
import {
  ed25519PublicKeyToRaw,
  entryBytes,
  entryHash,
  type JournalEntry,
  type JsonValue,
  signEntry,
  signSessionCertificate,
  ZERO_HASH,
} from '@ceros/protocol';
import { createFileKeystore } from '../keystore/file.ts';
import type { DeviceKeyHandle } from '../keystore/keystore.ts';
import { deviceIdFromSpki } from './signed-request.ts';

/**
 * Test support for the edge client: a real edge app (libSQL :memory:) with one enrolled device
 * whose key lives in a file keystore, and a journal writer that appends real signed entries to a
 * JSONL file the way the agent's journal does. (Only tests import this; the edge dependency is
 * test-only.)
 */
export interface EdgeWithDevice {
  app: ReturnType<typeof createApp>;
  store: EdgeStore;
  orgId: string;
  orgSigningKey: string;
  /** What the agent trusts for bundles after enrollment (config.json). */
  trustedKeys: { keyId: string; publicKey: string }[];
  deviceId: string;
  key: DeviceKeyHandle;
  /** Every entry the ledger received, in order. */
  ledger: string[];
  /** Calls the admin API as the org's admin (signed in through the mailed code). */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
}

export async function edgeWithDevice(dir: string, deps: Partial<EdgeDeps> = {}): Promise<EdgeWithDevice> {
  const store = createLibsqlStore({ url: ':memory:' });
  await store.migrate();
  const now = Date.now();
  const { org } = await addAdmin(store, { email: 'boss@acme.test', orgName: 'Acme', role: 'admin' }, now);
  const user = await store.ensureUser(org.id, 'dev@acme.test', 'active', now);
  const key = await createFileKeystore(`${dir}/keys`).create('device');
  const deviceId = deviceIdFromSpki(key.publicKeySpki);
  await store.registerDevice({
    orgId: org.id,
    id: deviceId,
    userId: user.id,
    publicKey: key.publicKeySpki,
    keyProtection: key.protection,
    status: 'active',
    info: { hostname: 'test', os: 'linux', arch: 'x64', cerosVersion: '0.1.0' },
    nowMs: now,
  });
  const ledger: string[] = [];
  const outbox = createOutboxMailer();
  const app = createApp({
    store,
    mailer: outbox,
    ledger: { append: async (_org, bytes) => void ledger.push(...bytes) },
    ...deps,
  });
  let session: { cookie: string; csrf: string } | undefined;
  const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    app.fetch(
      new Request(`http://edge.test${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  const admin = async (method: string, path: string, body?: unknown) => {
    if (!session) {
      await call('POST', '/v1/admin/login/start', {}, { email: 'boss@acme.test' });
      const code = outbox.messages.at(-1)?.text.match(/Your code: (\d{6})/)?.[1];
      const verified = await call('POST', '/v1/admin/login/verify', {}, { email: 'boss@acme.test', code });
      const cookie = /ceros_admin=[^;]+/.exec(verified.headers.get('set-cookie') ?? '')?.[0] ?? '';
      session = { cookie, csrf: ((await verified.json()) as { csrfToken: string }).csrfToken };
    }
    return call(method, path, { cookie: session.cookie, 'x-csrf-token': session.csrf }, body);
  };
  return {
    app,
    store,
    orgId: org.id,
    orgSigningKey: org.signingPublicKey,
    trustedKeys: [{ keyId: orgKeyId(org.signingPublicKey), publicKey: org.signingPublicKey }],
    deviceId,
    key,
    ledger,
    admin,
  };
}

export interface JournalWriter {
  path: string;
  entries: JournalEntry[];
  startSession(id: string): Promise<void>;
  write(count: number): void;
  sessionKey(): { privateKey: KeyObject; certificate: SessionCertificate; sessionId: string };
}

export function createJournalWriter(path: string, deviceId: string, key: DeviceKeyHandle): JournalWriter {
  mkdirSync(dirname(path), { recursive: true });
  const entries: JournalEntry[] = [];
  let prev = ZERO_HASH;
  let session: { id: string; key: KeyObject; certificate: SessionCertificate } | undefined;
  const append = (type: string, payload: JsonValue) => {
    if (!session) throw new Error('startSession() first');
    const entry = signEntry(
      {
        v: 1,
        device: deviceId,
        seq: entries.length,
        prev,
        time: new Date().toISOString(),
        session: session.id,
        type,
        payload,
      },
      session.key,
    );
    prev = entryHash(entry);
    entries.push(entry);
    appendFileSync(path, `${entryBytes(entry)}\n`);
  };
  return {
    path,
    entries,
    async startSession(id) {
      const keys = generateKeyPairSync('ed25519');
      const certificate = await signSessionCertificate(
        {
          v: 1,
          device: deviceId,
          user: 'dev@acme.test',
          session: id,
          sessionKey: ed25519PublicKeyToRaw(keys.publicKey),
          notBefore: new Date(Date.now() - 1000).toISOString(),
          notAfter: new Date(Date.now() + 3600_000).toISOString(),
          postureDigest: null,
          ancestryDigest: null,
          policyHash: null,
          keyProtection: key.protection,
        },
        (message) => key.sign(message),
      );
      session = { id, key: keys.privateKey, certificate };
      append('session.key', {
        publicKey: certificate.sessionKey,
        certificate: certificate as unknown as JsonValue,
      });
    },
    write(count) {
      for (let i = 0; i < count; i++) append('prompt', { text: `prompt ${entries.length}` });
    },
    sessionKey() {
      if (!session) throw new Error('startSession() first');
      return { privateKey: session.key, certificate: session.certificate, sessionId: session.id };
    },
  };
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
