import { describe, expect } from 'bun:test';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnRetrying } from '../harness/claude.ts';
import { forEachClaudeVersion } from '../harness/claude-versions.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import {
  cerosBinary,
  cerosSessionOn,
  ROOT,
  readJournal,
  readLiveJournal,
  runCeros,
  runCerosClaude,
} from './ceros.ts';

describe('fail closed', () => {
  forEachClaudeVersion(
    'with the hook binary removed mid-session, the next tool call does not run (2.1.337: no binary is on the tool-call path)',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const t = await session((_request, index) => {
        if (index === 0) return turn(toolUseBlock('Bash', { command: 'echo first' }, 'toolu_1'));
        if (index === 1) {
          rmSync(binary, { force: true });
          return turn(toolUseBlock('Bash', { command: 'touch marker' }, 'toolu_2'));
        }
        return undefined;
      });
      const binary = join(t.sandbox.home, 'ceros-copy');
      copyFileSync(cerosBinary(), binary);
      try {
        const run = await runCerosClaude(
          t,
          ['-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'],
          {
            binary,
          },
        );
        expect(t.api.toolResultFor('toolu_1')?.content).toContain('first');
        expect(run.exitCode).toBe(0);
        if (claudeVersion === '2.1.197') {
          expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(false);
          expect(t.api.toolResultFor('toolu_2')?.isError).toBe(true);
        } else {
          // Blocking hooks go over HTTP (onFailure "block"): a tool call spawns no ceros process,
          // so removing the binary changes nothing, and the call is still decided and journaled.
          expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(true);
          expect(
            readJournal(t.home).some((e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_2'),
          ).toBe(true);
        }
      } finally {
        await t.close();
      }
    },
    90_000,
  );

  forEachClaudeVersion(
    'with the session daemon killed mid-session, Claude Code dies with it and the next tool call does not run',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const t = await session([
        turn(
          toolUseBlock('Bash', { command: 'sleep 3; echo slept' }, 'toolu_sleep'),
          toolUseBlock('Bash', { command: 'touch marker' }, 'toolu_touch'),
        ),
      ]);
      try {
        const child = await spawnRetrying(() =>
          Bun.spawn(
            [cerosBinary(), 'claude', '-p', 'go', '--output-format', 'json', '--allowedTools', 'Bash'],
            {
              env: t.env,
              cwd: t.sandbox.project,
              stdout: 'pipe',
              stderr: 'pipe',
            },
          ),
        );
        // Wait until the first call was decided (it is now sleeping), then kill the daemon outright.
        const deadline = Date.now() + 30_000;
        while (
          !readLiveJournal(t.home).some(
            (e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_sleep',
          )
        ) {
          if (Date.now() > deadline) throw new Error('the first tool call was never decided');
          await Bun.sleep(50);
        }
        const start = readLiveJournal(t.home).find((e) => e.type === 'session.start');
        const claudePid = Number(start?.payload.claudePid);
        expect(start?.payload.agentDiesWithCeros).toBe(true);
        child.kill('SIGKILL');
        await child.exited;
        // The kernel kills Claude Code with ceros (its parent-death signal): nothing is left for a
        // process of the agent's to fool by taking over the freed socket or port.
        const alive = () => {
          try {
            process.kill(claudePid, 0);
            return !/^State:\s+Z/m.test(readFileSync(`/proc/${claudePid}/status`, 'utf8'));
          } catch {
            return false;
          }
        };
        const until = Date.now() + 10_000;
        while (alive() && Date.now() < until) await Bun.sleep(50);
        expect(alive()).toBe(false);
        await Bun.sleep(4_000);
        expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(false);
        expect(
          readJournal(t.home).some(
            (e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_touch',
          ),
        ).toBe(false);
      } finally {
        Bun.spawnSync(['pkill', '-f', t.sandbox.home]);
        await t.close();
      }
    },
    90_000,
  );

  forEachClaudeVersion(
    'a session whose settings Claude Code drops gets no API access: the proxy refuses it',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const t = await session([
        turn(toolUseBlock('Bash', { command: 'touch marker' }, 'toolu_x')),
        turn('ok'),
      ]);
      try {
        // One invalid value makes Claude Code skip the whole --settings file (claude-code-surface.md 2.1).
        const file = join(t.sandbox.home, 'broken.json');
        writeFileSync(file, JSON.stringify({ permissions: { defaultMode: 'nonsense' } }));
        const run = await runCerosClaude(t, [
          '--settings',
          file,
          '-p',
          'go',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ]);
        expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(false);
        expect(t.api.turnsUsed()).toBe(0);
        expect(readJournal(t.home).some((e) => e.type === 'api.refused')).toBe(true);
        expect(run.exitCode).not.toBe(0);
      } finally {
        await t.close();
      }
    },
    90_000,
  );

  forEachClaudeVersion(
    "a process that is not one of the session's hooks is refused whatever it sends, journaled as an alert, and the daemon keeps serving",
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const t = await session((_request, index) => {
        if (index === 0) {
          const socket = socketOf();
          const cases: [string, Buffer][] = [
            ['not json', Buffer.from('this is not json')],
            [
              'a real payload',
              Buffer.from(readFileSync(join(ROOT, 'tests/fixtures/hooks/PreToolUse-bash.json'))),
            ],
            ['huge', Buffer.alloc(17 * 1024 * 1024, 0x61)],
          ];
          for (const [name, input] of cases) {
            // Run by the test, not by Claude Code: right socket, wrong caller.
            const result = Bun.spawnSync([cerosBinary(), 'hook', 'PreToolUse', '--socket', socket], {
              env: t.env,
              stdin: input,
              stdout: 'pipe',
              stderr: 'pipe',
            });
            answers.push({
              name,
              exitCode: result.exitCode,
              stdout: result.stdout.toString(),
              stderr: result.stderr.toString(),
            });
          }
          return turn(toolUseBlock('Bash', { command: 'echo still-served' }, 'toolu_after'));
        }
        return undefined;
      });
      const answers: { name: string; exitCode: number; stdout: string; stderr: string }[] = [];
      const socketOf = () => {
        const start = readLiveJournal(t.home).find((e) => e.type === 'session.start');
        return String(start?.payload.socket ?? '');
      };
      try {
        const run = await runCerosClaude(t, [
          '-p',
          'go',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ]);
        expect(run.exitCode).toBe(0);
        expect(answers.map((a) => a.name)).toEqual(['not json', 'a real payload', 'huge']);
        for (const answer of answers) {
          expect({ name: answer.name, exitCode: answer.exitCode }).toEqual({
            name: answer.name,
            exitCode: 2,
          });
          expect(JSON.parse(answer.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
          expect(answer.stderr).toContain('Refused: not a hook of this ceros session');
        }
        const alerts = readJournal(t.home).filter(
          (e) => e.type === 'alert' && e.payload.kind === 'hook-peer',
        );
        expect(alerts).toHaveLength(3);
        expect(String(alerts[0]?.payload.message)).toContain('is not a hook of this session');
        // Nothing it sent was believed: no decision for the forged call.
        expect(
          readJournal(t.home)
            .filter((e) => e.type === 'tool.decision')
            .map((e) => e.payload.toolUseId),
        ).toEqual(['toolu_after']);
        expect(t.api.toolResultFor('toolu_after')?.content).toContain('still-served');
        expect(runCeros(['log', 'verify'], t.env).exitCode).toBe(0);
      } finally {
        await t.close();
      }
    },
    90_000,
  );
});
