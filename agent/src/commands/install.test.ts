import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { managedDropIn, runInstall } from './install.ts';

const ctx = { env: {}, cwd: '/', readStdin: async () => '', progress: () => {} };

describe('ceros install --system', () => {
  test('writes a world-readable drop-in that reports sessions and pins CLAUDE_CODE_SIMPLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ceros-managed-'));
    const result = await runInstall(['--system', '--dir', dir], ctx, {
      cerosBinary: '/opt/ceros/bin/ceros',
      uid: 1000,
    });
    expect(result.exitCode).toBe(0);
    const file = join(dir, 'managed-settings.d', '50-ceros.json');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const content = JSON.parse(readFileSync(file, 'utf8'));
    expect(content).toEqual(managedDropIn('/opt/ceros/bin/ceros', false));
    expect(content.env).toEqual({ CLAUDE_CODE_SIMPLE: '0' });
    expect(content.hooks.PreToolUse).toBeUndefined();
  });

  test('--deny-unwrapped adds a fail-closed PreToolUse hook', () => {
    const content = managedDropIn('/c', true) as {
      hooks: { PreToolUse: { hooks: { command: string }[] }[] };
    };
    expect(content.hooks.PreToolUse[0]?.hooks[0]?.command).toBe(`'/c' unwrapped PreToolUse --deny || exit 2`);
  });

  test('refuses the real managed folder without root', async () => {
    const result = await runInstall(['--system'], ctx, { cerosBinary: '/c', uid: 1000 });
    expect(result.exitCode).toBe(77);
    expect(result.stderr).toContain('must run as root');
  });
});
