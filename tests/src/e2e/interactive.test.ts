import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CURRENT_CLAUDE_VERSION } from '../harness/claude.ts';
import { startPty } from '../harness/pty.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosBinary, cerosSession, readJournal } from './ceros.ts';

describe('ceros claude in interactive mode (real pseudo-terminal)', () => {
  test('Claude Code gets the TTY, a denied tool does not run, and Ctrl-C and the exit code pass through', async () => {
    const s = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'touch marker' }, 'toolu_pty')),
      turn('Hello from the scripted API'),
    ]);
    const policy = join(s.sandbox.home, 'policy.json');
    await Bun.write(
      policy,
      JSON.stringify({
        version: 1,
        default: 'allow',
        rules: [{ id: 'no-bash', tools: ['Bash'], effect: 'deny', reason: 'Bash is disabled' }],
      }),
    );
    const pty = await startPty(
      [cerosBinary(), 'claude', '--policy', policy, '--allow-unsigned-policy'],
      s.env,
      s.sandbox.project,
    );
    try {
      await pty.waitFor('❯', 30_000);
      expect(await pty.screen()).toContain(`Claude Code v${CURRENT_CLAUDE_VERSION}`);
      await pty.sendKeys('say hello', 'Enter');
      await pty.waitFor('Hello from the scripted API', 30_000);
      // The turn ends with the Stop hook; wait for the idle prompt before pressing Ctrl-C
      // (2.1.197 shows "? for shortcuts", 2.1.337 "Cooked for 0s · done").
      await pty.waitFor(/\? for shortcuts|· done /, 30_000);
      await Bun.sleep(500);
      await pty.sendKeys('C-c');
      await pty.waitFor('Press Ctrl-C again to exit');
      await pty.sendKeys('C-c');
      expect(await pty.exitCode(15_000)).toBe(0);
      // Interactive, not print mode: the user agent says "cli" rather than "sdk-cli".
      expect(s.api.turnRequests()[0]?.headers['user-agent']).toContain('(external, cli)');
      expect(existsSync(join(s.sandbox.project, 'marker'))).toBe(false);
      const entries = readJournal(s.home);
      expect(entries.find((e) => e.type === 'tool.decision')?.payload.decision).toMatchObject({
        effect: 'deny',
      });
      expect(entries.at(-1)?.type).toBe('session.end');
    } finally {
      await pty.kill();
      await s.close();
    }
  }, 90_000);

  test('the exit code of Claude Code is the exit code of ceros', async () => {
    const s = await cerosSession([]);
    try {
      // An unknown option makes Claude Code exit 1 before any session starts.
      const direct = Bun.spawnSync([join(s.sandbox.binDir, 'claude'), '--no-such-option'], {
        env: s.env,
        cwd: s.sandbox.project,
      });
      const wrapped = Bun.spawnSync([cerosBinary(), 'claude', '--no-such-option'], {
        env: s.env,
        cwd: s.sandbox.project,
      });
      expect(direct.exitCode).not.toBe(0);
      expect(wrapped.exitCode).toBe(direct.exitCode);
      const pty = await startPty([cerosBinary(), 'claude'], s.env, s.sandbox.project);
      try {
        await pty.waitFor('❯', 30_000);
        Bun.spawnSync(['pkill', '-TERM', '-f', `${cerosBinary()} claude`]);
        expect(await pty.exitCode(15_000)).toBe(143);
      } finally {
        await pty.kill();
      }
    } finally {
      await s.close();
    }
  }, 90_000);
});
