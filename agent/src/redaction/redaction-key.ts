import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../state/secure-fs.ts';

export const REDACTION_KEY_FILE = 'redaction.key';

/**
 * The device's redaction key (32 random bytes, base64url, 0600 in CEROS_HOME): placeholders carry
 * HMAC-SHA256(key, secret), so equal secrets correlate on this device while the placeholder reveals
 * nothing to anyone without the key (an offline guess needs it). Created on first use.
 */
export function loadOrCreateRedactionKey(home: string): Buffer {
  const path = join(home, REDACTION_KEY_FILE);
  try {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
    if (key.length >= 32) return key;
  } catch {
    // Missing or unreadable: a new key follows (earlier placeholders then stop correlating).
  }
  ensurePrivateDir(home);
  const key = randomBytes(32);
  writePrivateFile(path, `${key.toString('base64url')}\n`);
  return key;
}

export function keyedHasher(key: Buffer): (secret: string) => string {
  return (secret) => createHmac('sha256', key).update(secret, 'utf8').digest('hex');
}
