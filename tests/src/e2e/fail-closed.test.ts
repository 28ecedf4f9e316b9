import { describe, expect } from 'bun:test';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnRetrying } from '../harness/claude.ts';
import { forEachClaudeVersion } from '../harness/claude-versions.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import {
  cerosBinary,
  cerosSessionOn,
  readJournal,
  readLiveJournal,
  runCeros,
  runCerosClaude,
} from './ceros.ts';

describe('fail closed', () => {
  forEachClaudeVersion(
    'with the hook binary removed mid-session, the next tool call does not run',
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
        expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(false);
        expect(t.api.toolResultFor('toolu_1')?.content).toContain('first');
        expect(t.api.toolResultFor('toolu_2')?.isError).toBe(true);
        expect(run.exitCode).toBe(0);
      } finally {
        await t.close();
      }
    },
    90_000,
  );

  forEachClaudeVersion(
    'with the session daemon killed mid-session, the next tool call does not run',
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
        child.kill('SIGKILL');
        await child.exited;
        // Claude Code, orphaned, goes on to the second call; its hook cannot reach the daemon. Its own
        // transcript shows what the model was told.
        const transcript = () =>
          Bun.spawnSync([
            'sh',
            '-c',
            `cat ${t.sandbox.home}/.claude/projects/*/*.jsonl 2>/dev/null`,
          ]).stdout.toString();
        const until = Date.now() + 30_000;
        while (!transcript().includes('"tool_use_id":"toolu_touch"') && Date.now() < until)
          await Bun.sleep(100);
        const result = transcript()
          .split('\n')
          .find((line) => line.includes('"tool_use_id":"toolu_touch"') && line.includes('tool_result'));
        expect(result).toContain('Cannot reach the ceros session daemon');
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
    'malformed hook input gets a deny naming the problem, and the daemon keeps serving',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const t = await session((_request, index) => {
        if (index === 0) {
          const socket = readLiveJournal(t.home).length > 0 ? socketOf() : '';
          const cases: [string, Buffer][] = [
            ['not json', Buffer.from('this is not json')],
            [
              'wrong types',
              Buffer.from(JSON.stringify({ session_id: 42, cwd: [], tool_name: 7, tool_input: 'x' })),
            ],
            ['huge', Buffer.alloc(17 * 1024 * 1024, 0x61)],
          ];
          for (const [name, input] of cases) {
            const result = Bun.spawnSync([cerosBinary(), 'hook', 'PreToolUse'], {
              env: { ...t.env, CEROS_SOCKET: socket },
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
        const start = readJournal(t.home).find((e) => e.type === 'session.start');
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
        expect(answers.map((a) => a.name)).toEqual(['not json', 'wrong types', 'huge']);
        for (const answer of answers) {
          expect({ name: answer.name, exitCode: answer.exitCode }).toEqual({
            name: answer.name,
            exitCode: 2,
          });
          expect(JSON.parse(answer.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
        }
        expect(answers[0]?.stderr).toContain('is not JSON');
        expect(answers[1]?.stderr).toContain('"session_id" must be a string');
        expect(answers[2]?.stderr).toContain('over the 16777216-byte limit');
        expect(t.api.toolResultFor('toolu_after')?.content).toContain('still-served');
        expect(runCeros(['log', 'verify'], t.env).exitCode).toBe(0);
      } finally {
        await t.close();
      }
    },
    90_000,
  );
});
