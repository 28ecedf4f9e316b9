import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ed25519PublicKeyToRaw,
  type SessionCertificate,
  type SessionCertificateBody,
  signSessionCertificate,
} from '@ceros/protocol';
import type { DeviceKeyHandle, Keystore } from '../keystore/keystore.ts';
import { writePrivateFile } from '../state/secure-fs.ts';

export const DEVICE_KEY_NAME = 'device';

/** What ceros knows about this device; `device.json` under CEROS_HOME, 0600. */
export interface DeviceRecord {
  deviceId: string;
  publicKeySpki: string;
  protection: DeviceKeyHandle['protection'];
  createdAt: string;
}

export interface DeviceIdentity {
  record: DeviceRecord;
  key: DeviceKeyHandle;
}

export function deviceRecordPath(home: string): string {
  return join(home, 'device.json');
}

export function readDeviceRecord(home: string): DeviceRecord | undefined {
  const path = deviceRecordPath(home);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as DeviceRecord;
}

/**
 * Loads this device's identity, creating the device key on first use. The record and the key must
 * agree: a key that changed under an existing device id is refused rather than silently re-bound.
 */
export async function loadOrCreateDevice(
  home: string,
  keystore: Keystore,
  now = new Date(),
): Promise<DeviceIdentity> {
  const existing = readDeviceRecord(home);
  if (existing) {
    const key = await keystore.load(DEVICE_KEY_NAME);
    if (!key)
      throw new Error(
        `Cannot load the device key of device "${existing.deviceId}" from the ${keystore.kind} keystore`,
      );
    if (key.publicKeySpki !== existing.publicKeySpki) {
      throw new Error(`Refusing to start: the device key no longer matches device "${existing.deviceId}"`);
    }
    return { record: existing, key };
  }
  const key = await keystore.create(DEVICE_KEY_NAME);
  const record: DeviceRecord = {
    deviceId: `dev_${randomUUID()}`,
    publicKeySpki: key.publicKeySpki,
    protection: key.protection,
    createdAt: now.toISOString(),
  };
  writePrivateFile(deviceRecordPath(home), `${JSON.stringify(record, null, 2)}\n`);
  return { record, key };
}

export interface SessionKeys {
  sessionId: string;
  privateKey: KeyObject;
  publicKeyRaw: string;
  certificate: SessionCertificate;
}

export interface CertifyOptions {
  user: string | null;
  postureDigest: string | null;
  ancestryDigest: string | null;
  policyHash: string | null;
  validityHours?: number;
  now?: Date;
}

/** A fresh in-memory Ed25519 key for one session, certified once by the device key. */
export async function createSessionKeys(
  device: DeviceIdentity,
  sessionId: string,
  options: CertifyOptions,
): Promise<SessionKeys> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const now = options.now ?? new Date();
  const publicKeyRaw = ed25519PublicKeyToRaw(publicKey);
  const body: SessionCertificateBody = {
    v: 1,
    device: device.record.deviceId,
    user: options.user,
    session: sessionId,
    sessionKey: publicKeyRaw,
    notBefore: now.toISOString(),
    notAfter: new Date(now.getTime() + (options.validityHours ?? 72) * 3_600_000).toISOString(),
    postureDigest: options.postureDigest,
    ancestryDigest: options.ancestryDigest,
    policyHash: options.policyHash,
    keyProtection: device.key.protection,
  };
  const certificate = await signSessionCertificate(body, device.key.sign);
  return { sessionId, privateKey, publicKeyRaw, certificate };
}
