import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatSignerKey, NOTE_COSIGNATURE_V1, type NoteSigner, parseSignerKey } from '@ceros/protocol';
import { writePrivateFile } from '../state/secure-fs.ts';

/**
 * The witness's Ed25519 cosigning key, as a C2SP signer key string
 * (`PRIVATE+KEY+name+keyid+base64(0x04 || seed)`) in `<dir>/witness.key`, mode 0600.
 */
export const WITNESS_KEY_FILE = 'witness.key';

export class WitnessKeyError extends Error {
  readonly code: 'KEY_EXISTS' | 'NO_KEY' | 'KEY_CORRUPT' | 'KEY_EXPOSED';
  constructor(code: WitnessKeyError['code'], message: string) {
    super(message);
    this.name = 'WitnessKeyError';
    this.code = code;
  }
}

export function createWitnessKey(dir: string, name: string, options: { force?: boolean } = {}): NoteSigner {
  const path = join(dir, WITNESS_KEY_FILE);
  if (existsSync(path) && !options.force)
    throw new WitnessKeyError(
      'KEY_EXISTS',
      `Cannot create a witness key: "${path}" exists (use --force to replace it)`,
    );
  const text = formatSignerKey(name, NOTE_COSIGNATURE_V1, new Uint8Array(randomBytes(32)));
  writePrivateFile(path, `${text}\n`);
  return loadWitnessKey(dir);
}

export function loadWitnessKey(dir: string): NoteSigner {
  const path = join(dir, WITNESS_KEY_FILE);
  if (!existsSync(path))
    throw new WitnessKeyError(
      'NO_KEY',
      `No witness key in "${dir}": run \`ceros witness keygen --state ${dir}\``,
    );
  if ((statSync(path).mode & 0o077) !== 0)
    throw new WitnessKeyError(
      'KEY_EXPOSED',
      `Refusing witness key "${path}": other users can read it (chmod 600)`,
    );
  const parsed = parseSignerKey(readFileSync(path, 'utf8').trim());
  if (!parsed.ok)
    throw new WitnessKeyError('KEY_CORRUPT', `Cannot read witness key "${path}": ${parsed.error}`);
  if (parsed.value.type !== NOTE_COSIGNATURE_V1)
    throw new WitnessKeyError('KEY_CORRUPT', `Witness key "${path}" is not a cosignature key (type 0x04)`);
  return parsed.value;
}
