import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import { readEdgeConfig } from '../edge-client/config.ts';
import type { Keystore } from '../keystore/keystore.ts';
import { createSessionKeys, loadOrCreateDevice, readDeviceRecord } from '../session/identity.ts';
import { VERSION } from '../version.ts';
import { lockExclusive, unlock } from './flock.ts';
import { type JournalWriter, openJournalWriter } from './journal.ts';

/**
 * A short session of its own for a command that changes the journal (`ceros log repair`): its
 * key is certified by the device key like any session's, so what it records about the change is
 * signed and chained like everything else. Null when this machine has no device key yet.
 */
export async function openMaintenanceJournal(
  home: string,
  keystore: () => Keystore,
  command: string,
): Promise<{ journal: JournalWriter; session: string } | null> {
  if (!readDeviceRecord(home)) return null;
  const device = await loadOrCreateDevice(home, keystore());
  const config = readEdgeConfig(home);
  const session = randomUUID();
  const keys = await createSessionKeys(device, session, {
    user: config.ok ? (config.value?.userEmail ?? null) : null,
    postureDigest: null,
    ancestryDigest: null,
    policyHash: null,
    validityHours: 1,
  });
  const journal = openJournalWriter({
    dir: join(home, 'journal'),
    device: device.record.deviceId,
    session,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
  });
  journal.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
  journal.append('maintenance.start', { command, cerosVersion: VERSION });
  return { journal, session };
}
