import { describe, expect, test } from 'bun:test';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosSession, readJournal, runCeros, runCerosClaude } from './ceros.ts';

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
});
