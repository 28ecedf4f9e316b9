import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '@ceros/protocol';
import { createFakeDevice, type FakeDevice } from './fake-device.ts';

/** tests/fixtures/journal: a session the real agent recorded around the real Claude Code. */
export const REAL_SESSION_DIR = join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures', 'journal');

export interface RealSession {
  /** The device that signed the fixture (its fixed test key), to enroll and upload as. */
  device: FakeDevice;
  entries: JournalEntry[];
  sessionId: string;
}

/**
 * The golden real session (tests/fixtures/journal/real-session.jsonl, see generate.ts there):
 * signed, chained entries exactly as the agent writes them, and a device holding the key that
 * signed them. Enroll `device` (its id is the journal's), then ingest `entries` as they are.
 */
export function loadRealSession(options: { now?: () => number } = {}): RealSession {
  const keys = JSON.parse(readFileSync(join(REAL_SESSION_DIR, 'real-session.keys.json'), 'utf8')) as {
    deviceId: string;
    devicePrivateKeyPkcs8: string;
  };
  const entries = readFileSync(join(REAL_SESSION_DIR, 'real-session.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JournalEntry);
  const privateKey = createPrivateKey({
    key: Buffer.from(keys.devicePrivateKeyPkcs8, 'base64url'),
    format: 'der',
    type: 'pkcs8',
  });
  const device = createFakeDevice({
    id: keys.deviceId,
    privateKey,
    ...(options.now ? { now: options.now } : {}),
  });
  return { device, entries, sessionId: entries[0]?.session ?? '' };
}
