import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../state/secure-fs.ts';
import type { WitnessRecord, WitnessStore } from './store.ts';

/**
 * One 0600 JSON file per log under `<dir>/logs/`, replaced atomically (temp file, fsync,
 * rename) so a crash leaves the old or the new state, never a torn one.
 */
export function createFileWitnessStore(dir: string): WitnessStore {
  const logs = join(dir, 'logs');
  const pathOf = (origin: string) =>
    join(logs, `${createHash('sha256').update(origin).digest('hex').slice(0, 32)}.json`);
  return {
    async load(origin) {
      const path = pathOf(origin);
      if (!existsSync(path)) return undefined;
      const record = JSON.parse(readFileSync(path, 'utf8')) as WitnessRecord;
      if (record.origin !== origin) throw new Error(`Witness state file "${path}" belongs to another log`);
      return record;
    },
    async save(record) {
      ensurePrivateDir(logs);
      writePrivateFile(pathOf(record.origin), `${JSON.stringify(record, null, 2)}\n`);
    },
  };
}
