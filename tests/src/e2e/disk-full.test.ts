import { describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosSession, readJournal, runCeros, runCerosClaude } from './ceros.ts';

const CALLS = 20;

/** Fills the file system under `dir` until `leave` bytes are free. */
function fillUntil(dir: string, leave: number): void {
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, free - leave)));
}

describe('a full disk under CEROS_HOME', () => {
  test.skipIf(process.getuid?.() !== 0)(
    'fails closed: a call whose decision cannot be recorded does not run, the session says so once, and the next session works',
    async () => {
      const t = await cerosSession((_request, index) => {
        if (index === 0) {
          // The session is up (session.start is on disk before the first request goes upstream):
          // leave the journal 8 KB, room for a decision or two.
          fillUntil(mount, 8 * 1024);
          return turn(
            ...Array.from({ length: CALLS }, (_, i) =>
              toolUseBlock('Bash', { command: `touch marker-${i}` }, `toolu_${i}`),
            ),
          );
        }
        if (index === 1) return turn('done');
        return undefined;
      });
      const mount = join(t.sandbox.home, 'tmpfs');
      mkdirSync(mount, { mode: 0o700 });
      const mounted = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
      if (mounted.exitCode !== 0) throw new Error(`mount failed: ${mounted.stderr.toString()}`);
      const home = join(mount, '.ceros');
      const env = { CEROS_HOME: home };
      try {
        const run = await runCerosClaude(
          t,
          ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'],
          { env },
        );
        const decided = new Map<string, string>();
        for (const e of readJournal(home))
          if (e.type === 'tool.decision')
            decided.set(
              String(e.payload.toolUseId),
              String((e.payload.decision as { effect: string }).effect),
            );
        let ran = 0;
        let refused = 0;
        for (let i = 0; i < CALLS; i++) {
          const marker = existsSync(join(t.sandbox.project, `marker-${i}`));
          // Every call that ran has its allow on disk; every other one was refused.
          expect({ i, ran: marker }).toEqual({ i, ran: decided.get(`toolu_${i}`) === 'allow' });
          if (marker) ran++;
          else {
            refused++;
            const result = t.api.toolResultFor(`toolu_${i}`);
            expect(result?.isError).toBe(true);
            expect(result?.content).toContain('the disk is full');
          }
        }
        expect(refused).toBeGreaterThan(CALLS / 2);
        expect(ran + refused).toBe(CALLS);
        // Said once on stderr, not once per refused call.
        expect(run.stderr.split('every tool call is denied').length - 1).toBe(1);
        expect(run.stderr).toContain('the disk is full (ENOSPC)');

        // Room again: the next session records and runs its call, and the journal verifies.
        rmSync(join(mount, 'filler'));
        t.api.requests.length = 0;
        const again = await cerosSession([
          turn(toolUseBlock('Bash', { command: 'touch after' }, 'toolu_after')),
          turn('ok'),
        ]);
        try {
          await runCerosClaude(again, ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'], {
            env,
          });
          expect(existsSync(join(again.sandbox.project, 'after'))).toBe(true);
          expect(
            readJournal(home).some(
              (e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_after',
            ),
          ).toBe(true);
          const verify = runCeros(['log', 'verify'], { ...again.env, ...env });
          expect(verify.stdout).toContain('Journal verified');
          expect(verify.exitCode).toBe(0);
        } finally {
          await again.close();
        }
      } finally {
        Bun.spawnSync(['umount', '--lazy', mount]);
        await t.close();
      }
    },
    120_000,
  );
});
