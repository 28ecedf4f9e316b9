import { describe, expect, test } from 'bun:test';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnRetrying } from '../harness/claude.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import {
  cerosBinary,
  cerosSession,
  readJournal,
  readLiveJournal,
  runCeros,
  runCerosClaude,
} from './ceros.ts';

const PRINT = ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'];

describe('journal faults, with the real Claude Code', () => {
  test('a garbage line refuses the next session before Claude starts, naming `ceros log repair`; after the repair sessions run', async () => {
    const t = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'touch first' }, 'toolu_1')),
      turn('ok'),
      turn(toolUseBlock('Bash', { command: 'touch after-repair' }, 'toolu_2')),
      turn('ok'),
    ]);
    try {
      await runCerosClaude(t, PRINT);
      expect(existsSync(join(t.sandbox.project, 'first'))).toBe(true);
      appendFileSync(join(t.home, 'journal', 'journal.jsonl'), 'garbage from somewhere else\n');

      const refused = await runCerosClaude(t, PRINT);
      expect(refused.exitCode).toBe(77);
      expect(refused.stderr).toContain('Refusing to start Claude Code');
      expect(refused.stderr).toContain('Run `ceros log repair`');
      expect(t.api.turnsUsed()).toBe(2);

      const repair = runCeros(['log', 'repair'], t.env);
      expect(repair.exitCode).toBe(0);
      expect(repair.stdout).toContain('Set aside 1 line');

      const after = await runCerosClaude(t, PRINT);
      expect(after.exitCode).toBe(0);
      expect(existsSync(join(t.sandbox.project, 'after-repair'))).toBe(true);
      const journal = readJournal(t.home);
      expect(journal.some((e) => e.type === 'alert' && e.payload.kind === 'journal-repaired')).toBe(true);
      expect(journal.some((e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_2')).toBe(true);
      expect(runCeros(['log', 'verify'], t.env).exitCode).toBe(0);
    } finally {
      await t.close();
    }
  }, 120_000);

  test('a wrapper killed with -9 leaves its run files; the next session removes them and journals the end', async () => {
    const t = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'sleep 2; echo slept' }, 'toolu_sleep')),
      turn('ok'),
      turn('second session'),
    ]);
    try {
      const child = await spawnRetrying(() =>
        Bun.spawn([cerosBinary(), 'claude', ...PRINT], {
          env: t.env,
          cwd: t.sandbox.project,
          stdout: 'ignore',
          stderr: 'ignore',
        }),
      );
      const deadline = Date.now() + 30_000;
      while (!readLiveJournal(t.home).some((e) => e.type === 'tool.decision')) {
        if (Date.now() > deadline) throw new Error('the tool call was never decided');
        await Bun.sleep(50);
      }
      child.kill('SIGKILL');
      await child.exited;
      const start = readLiveJournal(t.home).find((e) => e.type === 'session.start');
      const prefix = String(start?.session).slice(0, 8);
      // Claude Code dies with its wrapper (parent-death signal); this is in case it had not yet.
      try {
        process.kill(Number(start?.payload.claudePid), 'SIGKILL');
      } catch {
        // It had already exited.
      }
      // The socket is abstract and Claude Code 2.1.337 got its settings as an unlinked fd: what is
      // left on disk is the session's marker (the wrapper's pid and start time).
      const runDir = join(t.home, 'run');
      expect(
        readdirSync(runDir)
          .filter((n) => n.startsWith(prefix))
          .sort(),
      ).toEqual([`${prefix}.session`]);

      const next = await runCerosClaude(t, ['-p', 'hello', '--output-format', 'json']);
      expect(next.exitCode).toBe(0);
      expect(next.stderr).toContain(`An earlier session (${prefix}) ended without its wrapper`);
      expect(readdirSync(runDir).filter((n) => n.startsWith(prefix))).toEqual([]);
      const journal = readJournal(t.home);
      const second = journal.filter((e) => e.type === 'session.start').at(-1)?.session;
      const ended = journal.filter((e) => e.type === 'session.abandoned');
      expect(ended).toHaveLength(1);
      expect(ended[0]?.session).toBe(String(second));
      expect(ended[0]?.payload).toMatchObject({ session: start?.session, reason: 'wrapper died' });
      expect(runCeros(['log', 'verify'], t.env).exitCode).toBe(0);
    } finally {
      await t.close();
    }
  }, 120_000);

  test('a journal truncated at a line boundary fails `ceros log verify`; the next session journals the rewind and opens a new epoch', async () => {
    const t = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'echo one' }, 'toolu_1')),
      turn('ok'),
      turn('second'),
    ]);
    try {
      await runCerosClaude(t, PRINT);
      const path = join(t.home, 'journal', 'journal.jsonl');
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(6);
      writeFileSync(path, `${lines.slice(0, 4).join('\n')}\n`);

      const verify = runCeros(['log', 'verify'], t.env);
      expect(verify.exitCode).toBe(3);
      expect(verify.stderr).toContain(
        `The journal was rewound: it ends at seq 3, but this device wrote up to seq ${lines.length - 1}`,
      );

      const next = await runCerosClaude(t, ['-p', 'again', '--output-format', 'json']);
      expect(next.exitCode).toBe(0);
      expect(next.stderr).toContain('A new chain epoch begins here');
      const journal = readJournal(t.home);
      expect(journal.some((e) => e.type === 'alert' && e.payload.kind === 'journal-rewound')).toBe(true);
      const after = runCeros(['log', 'verify'], t.env);
      expect(after.exitCode).toBe(0);
      expect(after.stdout).toContain('Chain epoch from seq 4');
    } finally {
      await t.close();
    }
  }, 120_000);
});
