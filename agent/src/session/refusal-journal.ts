import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { openJournalWriter } from '../journal/journal.ts';
import { VERSION } from '../version.ts';
import { createSessionKeys, type DeviceIdentity } from './identity.ts';

/**
 * A session that ceros refuses to start leaves a record: a short session of its own, certified by
 * the device key like any other, holding one `session.refused` entry (why, and what was refused).
 */
export async function journalRefusal(
  home: string,
  device: DeviceIdentity,
  user: string | null,
  payload: { product: string; reason: string; [key: string]: unknown },
): Promise<string> {
  const session = randomUUID();
  const keys = await createSessionKeys(device, session, {
    user,
    postureDigest: null,
    ancestryDigest: null,
    policyHash: typeof payload.policyHash === 'string' ? payload.policyHash : null,
    validityHours: 1,
  });
  const journal = openJournalWriter({
    dir: join(home, 'journal'),
    device: device.record.deviceId,
    session,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
  });
  try {
    journal.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
    journal.append('session.refused', { cerosVersion: VERSION, ...payload });
  } finally {
    journal.close();
  }
  return session;
}
