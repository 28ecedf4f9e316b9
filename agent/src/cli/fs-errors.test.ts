import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalError } from '../journal/journal-error.ts';
import { describeFsError } from './fs-errors.ts';
import { runCli } from './run.ts';

const errno = (code: string, syscall: string, path?: string) =>
  Object.assign(new Error(`${code}: boom, ${syscall}`), { code, syscall, ...(path ? { path } : {}) });

describe('describeFsError()', () => {
  const cases: [Error, string][] = [
    [
      errno('EROFS', 'mkdir', '/ro/.ceros'),
      'Cannot create the folder "/ro/.ceros": the file system is read-only (EROFS); set CEROS_HOME to a writable folder',
    ],
    [
      errno('EACCES', 'open', '/x/journal.jsonl'),
      'Cannot open "/x/journal.jsonl": permission denied (EACCES)',
    ],
    [errno('ENOSPC', 'write'), 'Cannot write: the disk is full (ENOSPC); free some space'],
    [
      errno('ENOTDIR', 'mkdir', '/f/.ceros'),
      'Cannot create the folder "/f/.ceros": a part of the path is a file',
    ],
    [errno('EWHATEVER', 'rename', '/a'), 'Cannot replace "/a": EWHATEVER'],
  ];
  test('an errno error reads as one sentence: what was done, to which path, what it means', () => {
    for (const [error, expected] of cases) expect(describeFsError(error)).toStartWith(expected);
  });

  test("a journal error keeps its own message; errors that are not the file system's are left alone", () => {
    expect(describeFsError(new JournalError('DISK_FULL', 'Cannot write entry seq 3'))).toBe(
      'Cannot write entry seq 3',
    );
    expect(describeFsError(new TypeError('x is undefined'))).toBeNull();
    expect(describeFsError(Object.assign(new Error('edge'), { code: 'CHAIN_CONFLICT' }))).toBeNull();
    expect(describeFsError('a string')).toBeNull();
  });

  test('runCli turns a file system error of a command into exit 1 and one line, without a stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ceros-fs-errors-'));
    try {
      writeFileSync(join(dir, 'file'), '');
      const home = join(dir, 'file', '.ceros');
      const r = await runCli(
        ['witness', 'keygen'],
        { env: { CEROS_HOME: home }, cwd: dir, readStdin: async () => '', progress: () => {} },
        { cerosBinary: '/bin/ceros', uid: 1000 },
      );
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toStartWith(`ceros: Cannot create the folder "${home}`);
      expect(r.stderr).toContain('a part of the path is a file, not a folder (ENOTDIR)');
      expect(r.stderr).not.toContain('    at ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
