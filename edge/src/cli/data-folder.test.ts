import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_FILES, secureDataFolder } from './data-folder.ts';
import { runEdgeCli, serveDeps } from './run.ts';

const root = mkdtempSync(join(tmpdir(), 'ceros-edge-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const io = { env: {}, cwd: root, defaultDistDir: root, now: () => 1_000 };
const mode = (path: string) => statSync(path).mode & 0o777;

/** A data folder as an earlier edge left it under umask 022: 0755, and the database files 0644. */
function worldReadable(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  for (const file of DATABASE_FILES) {
    closeSync(openSync(join(dir, file), 'w'));
    chmodSync(join(dir, file), 0o644);
  }
  return dir;
}

describe('the data folder', () => {
  test('serve creates the folder 0700, and the database and its WAL files 0600 under umask 022', async () => {
    const dir = join(root, 'fresh', 'nested');
    const outcome = await runEdgeCli(['serve', '--data', dir, '--dev-outbox'], io);
    if (outcome.kind !== 'serve') throw new Error(JSON.stringify(outcome));
    const lines: string[] = [];
    const previous = process.umask(0o022);
    try {
      const deps = await serveDeps(outcome.config, (line) => lines.push(line));
      // A write makes SQLite create edge.db-wal and edge.db-shm.
      await deps.store.setting('probe', () => 'x');
      expect(DATABASE_FILES.map((file) => mode(join(dir, file)))).toEqual([0o600, 0o600, 0o600]);
      deps.store.close();
    } finally {
      process.umask(previous);
    }
    expect(mode(dir)).toBe(0o700);
    expect(lines.filter((line) => line.startsWith('warning:'))).toEqual([]);
  });

  test('migrate tightens a 0755 folder and 0644 database files and says which', async () => {
    const dir = worldReadable('old-migrate');
    const outcome = await runEdgeCli(['migrate', '--data', dir], io);
    expect(outcome).toMatchObject({ kind: 'done', exitCode: 0 });
    expect(mode(dir)).toBe(0o700);
    for (const file of DATABASE_FILES) expect(mode(join(dir, file))).toBe(0o600);
    const stderr = outcome.kind === 'done' ? outcome.stderr : '';
    expect(stderr).toContain(`ceros-edge: Tightened "${dir}" from 0755 to 0700`);
    for (const file of DATABASE_FILES)
      expect(stderr).toContain(`Tightened "${join(dir, file)}" from 0644 to 0600`);
  });

  test('serve logs a warning for each file it tightened', async () => {
    const dir = worldReadable('old-serve');
    const outcome = await runEdgeCli(['serve', '--data', dir, '--dev-outbox'], io);
    if (outcome.kind !== 'serve') throw new Error(JSON.stringify(outcome));
    const lines: string[] = [];
    const deps = await serveDeps(outcome.config, (line) => lines.push(line));
    deps.store.close();
    expect(lines.filter((line) => line.startsWith('warning: Tightened'))).toHaveLength(4);
    expect(mode(join(dir, 'edge.db'))).toBe(0o600);
  });

  test('a private folder is left as it is, without a warning', () => {
    const dir = join(root, 'private');
    mkdirSync(dir, { mode: 0o700 });
    expect(secureDataFolder(dir)).toEqual({ ok: true, warnings: [] });
    expect(secureDataFolder(dir)).toEqual({ ok: true, warnings: [] });
    expect(mode(join(dir, 'edge.db'))).toBe(0o600);
  });

  test('a file in place of the folder is refused with its path', () => {
    const file = join(root, 'not-a-folder');
    closeSync(openSync(file, 'w'));
    expect(secureDataFolder(file)).toEqual({ ok: false, error: `Cannot use "${file}": it is not a folder` });
  });
});
