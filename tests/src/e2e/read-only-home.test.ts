import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCeros } from './ceros.ts';

const root = process.getuid?.() === 0;
let mount: string;

beforeAll(() => {
  if (!root) return;
  mount = mkdtempSync(join(tmpdir(), 'ceros-ro-'));
  const mounted = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mount]);
  if (mounted.exitCode !== 0) throw new Error(`mount failed: ${mounted.stderr.toString()}`);
});
afterAll(() => {
  if (!root) return;
  Bun.spawnSync(['umount', '--lazy', mount]);
  rmSync(mount, { recursive: true, force: true });
});

describe('a fresh CEROS_HOME on a read-only file system', () => {
  test.skipIf(!root).each(['claude -p hi', 'enroll http://127.0.0.1:9', 'witness keygen'])(
    '`ceros %s` says so in one line and exits 1, without a stack trace',
    (command) => {
      const args = command.split(' ');
      const home = join(mount, '.ceros');
      const r = runCeros(args, {
        PATH: process.env.PATH ?? '',
        CEROS_HOME: home,
        CEROS_CLAUDE_PATH: '/bin/true',
      });
      expect(r.stderr).toContain(
        `ceros: Cannot create the folder "${home}": the file system is read-only (EROFS); set CEROS_HOME to a writable folder`,
      );
      expect(r.stderr).not.toContain('    at ');
      expect(r.stderr).not.toContain('unexpected failure');
      expect(r.exitCode).toBe(1);
    },
  );
});
