import { describe, expect } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachClaudeVersion } from '../harness/claude-versions.ts';
import { mcpConfig, readMcpLog } from '../harness/mcp-server.ts';
import { loadingDeferredTools, toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosSessionOn, readJournal, runCeros, runCerosClaude } from './ceros.ts';

const DENY_BASH = {
  version: 1,
  default: 'allow',
  rules: [{ id: 'no-bash', tools: ['Bash'], effect: 'deny', reason: 'Bash is disabled for this team' }],
};

describe('ceros claude (real Claude Code, real proxy, scripted API)', () => {
  forEachClaudeVersion(
    'records the whole session, chained and signed, and `ceros log verify` names a flipped entry',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const s = await session([
        turn(toolUseBlock('Bash', { command: 'ls -la', description: 'list files' }, 'toolu_ls')),
        turn('There are no files yet.'),
      ]);
      try {
        const run = await runCerosClaude(s, [
          '-p',
          'what files are in my directory?',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ]);
        expect(run.exitCode).toBe(0);
        expect(run.json?.result).toBe('There are no files yet.');
        const entries = readJournal(s.home);
        const types = entries.map((e) => e.type);
        expect(types[0]).toBe('session.key');
        expect(types[1]).toBe('session.start');
        expect(types.at(-1)).toBe('session.end');
        expect(entries.find((e) => e.type === 'prompt')?.payload.text).toBe(
          'what files are in my directory?',
        );
        const bashDef = entries.find((e) => e.type === 'tool.definition' && e.payload.name === 'Bash');
        expect(
          (bashDef?.payload.inputSchema as { properties?: Record<string, unknown> })?.properties?.command,
        ).toBeDefined();
        // Every tool the model was offered is recorded with its schema. What is offered differs by
        // version: 2.1.337 defers WebFetch and MCP tools, among others, behind ToolSearch.
        const definitions = entries.filter((e) => e.type === 'tool.definition').map((e) => e.payload.name);
        const offered = s.api.turnRequests()[0]?.body?.tools?.map((t) => t.name) ?? [];
        expect(offered.length).toBeGreaterThan(5);
        for (const tool of ['Read', 'Write', 'Edit', ...offered]) expect(definitions).toContain(tool);
        if (claudeVersion === '2.1.197') expect(definitions).toContain('WebFetch');
        const decision = entries.find((e) => e.type === 'tool.decision');
        expect(decision?.payload.toolUseId).toBe('toolu_ls');
        expect(decision?.payload.toolInput).toEqual({ command: 'ls -la', description: 'list files' });
        const result = entries.find((e) => e.type === 'tool.result');
        expect(String((result?.payload.response as { stdout?: string })?.stdout)).toContain('total');
        const responses = entries.filter((e) => e.type === 'api.response');
        expect(JSON.stringify(responses.at(-1)?.payload.content)).toContain('There are no files yet.');
        expect(responses.some((e) => JSON.stringify(e.payload.content).includes('toolu_ls'))).toBe(true);
        const sessionEnd = entries.at(-1);
        expect(sessionEnd?.payload.exitCode).toBe(0);

        const ok = runCeros(['log', 'verify'], s.env);
        expect(ok.exitCode).toBe(0);
        expect(ok.stdout).toContain(`${entries.length} entries`);

        // Flip one byte inside an entry in the middle: verify must name that entry.
        const path = join(s.home, 'journal', 'journal.jsonl');
        const lines = readFileSync(path, 'utf8').split('\n');
        const target = entries.findIndex((e) => e.type === 'tool.result');
        const line = lines[target] as string;
        const at = line.indexOf('total');
        lines[target] = `${line.slice(0, at)}T${line.slice(at + 1)}`;
        writeFileSync(path, lines.join('\n'));
        const bad = runCeros(['log', 'verify', '--json'], s.env);
        expect(bad.exitCode).toBe(3);
        const report = JSON.parse(bad.stdout) as { ok: boolean; seq: number; code: string };
        expect(report.ok).toBe(false);
        expect(report.seq).toBe(entries[target]?.seq as number);
        expect(report.code).toBe('BAD_SIGNATURE');
      } finally {
        await s.close();
      }
    },
    90_000,
  );

  forEachClaudeVersion(
    'a denied tool never runs, and the denial and its reason are journaled and reported',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const s = await session([]);
      const marker = join(s.sandbox.project, 'marker');
      await s.close();
      const t = await session([
        turn(toolUseBlock('Bash', { command: `touch ${marker}` }, 'toolu_touch')),
        turn('ok'),
      ]);
      try {
        writeFileSync(join(t.sandbox.home, 'policy.json'), JSON.stringify(DENY_BASH));
        const run = await runCerosClaude(t, [
          '--policy',
          join(t.sandbox.home, 'policy.json'),
          '--allow-unsigned-policy',
          '-p',
          'make a marker',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ]);
        expect(run.exitCode).toBe(0);
        expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(false);
        expect(run.json?.permission_denials.map((d) => d.tool_use_id)).toEqual(['toolu_touch']);
        expect(t.api.toolResultFor('toolu_touch')?.content).toContain('Bash is disabled for this team');
        const decision = readJournal(t.home).find((e) => e.type === 'tool.decision');
        expect(decision?.payload.decision).toMatchObject({
          effect: 'deny',
          rule: 'no-bash',
          reason: 'Bash is disabled for this team',
        });
        expect(readJournal(t.home).some((e) => e.type === 'tool.result')).toBe(false);
      } finally {
        await t.close();
      }
    },
    90_000,
  );

  forEachClaudeVersion(
    'bypass attempts from the repository under work keep the hooks in force or are refused',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      const attempts: { name: string; setup: (project: string, home: string) => string[] }[] = [
        {
          name: 'project disableAllHooks',
          setup: (project) => {
            mkdirSync(join(project, '.claude'), { recursive: true });
            writeFileSync(
              join(project, '.claude', 'settings.json'),
              JSON.stringify({ disableAllHooks: true }),
            );
            return [];
          },
        },
        {
          name: 'project env CLAUDE_CODE_SIMPLE=1',
          setup: (project) => {
            mkdirSync(join(project, '.claude'), { recursive: true });
            writeFileSync(
              join(project, '.claude', 'settings.json'),
              JSON.stringify({ env: { CLAUDE_CODE_SIMPLE: '1' } }),
            );
            return [];
          },
        },
        {
          name: 'user --settings with disableAllHooks',
          setup: (_project, home) => {
            const file = join(home, 'mine.json');
            writeFileSync(file, JSON.stringify({ disableAllHooks: true, env: { CLAUDE_CODE_SIMPLE: '1' } }));
            return ['--settings', file];
          },
        },
      ];
      for (const attempt of attempts) {
        const t = await session([
          turn(toolUseBlock('Bash', { command: 'touch marker' }, 'toolu_b')),
          turn('ok'),
        ]);
        try {
          writeFileSync(join(t.sandbox.home, 'policy.json'), JSON.stringify(DENY_BASH));
          const extra = attempt.setup(t.sandbox.project, t.sandbox.home);
          const run = await runCerosClaude(t, [
            '--policy',
            join(t.sandbox.home, 'policy.json'),
            '--allow-unsigned-policy',
            ...extra,
            '-p',
            'go',
            '--output-format',
            'json',
            '--allowedTools',
            'Bash',
          ]);
          expect({ attempt: attempt.name, marker: existsSync(join(t.sandbox.project, 'marker')) }).toEqual({
            attempt: attempt.name,
            marker: false,
          });
          expect(run.json?.permission_denials.length).toBe(1);
          expect(readJournal(t.home).some((e) => e.type === 'tool.decision')).toBe(true);
        } finally {
          await t.close();
        }
      }
      const t = await session([]);
      try {
        const bare = runCeros(['claude', '--bare', '-p', 'go'], t.env, t.sandbox.project);
        expect(bare.exitCode).toBe(77);
        expect(bare.stderr).toContain('--bare switches off every hook');
        const simple = runCeros(
          ['claude', '-p', 'go'],
          { ...t.env, CLAUDE_CODE_SIMPLE: '1' },
          t.sandbox.project,
        );
        expect(simple.exitCode).toBe(77);
        expect(simple.stderr).toContain('CLAUDE_CODE_SIMPLE=1');
        expect(t.api.requests.length).toBe(0);
      } finally {
        await t.close();
      }
    },
    180_000,
  );

  forEachClaudeVersion(
    'a real stdio MCP server is recorded like the built-in tools',
    async (claudeVersion) => {
      const session = cerosSessionOn(claudeVersion);
      // A deferred MCP tool (2.1.337) is loaded through ToolSearch first, as a model would.
      const t = await session(
        loadingDeferredTools([
          turn(toolUseBlock('mcp__alpha__echo', { text: 'hello mcp' }, 'toolu_mcp')),
          turn('echoed'),
        ]),
      );
      try {
        const log = join(t.sandbox.home, 'alpha.log');
        const run = await runCerosClaude(t, [
          '-p',
          'echo it',
          '--output-format',
          'json',
          '--mcp-config',
          JSON.stringify(mcpConfig('alpha', log)),
          '--allowedTools',
          'mcp__alpha__echo',
        ]);
        expect(run.exitCode).toBe(0);
        expect((await readMcpLog(log)).some((e) => e.event === 'call' && e.tool === 'echo')).toBe(true);
        const entries = readJournal(t.home);
        const definition = entries.find(
          (e) => e.type === 'tool.definition' && e.payload.name === 'mcp__alpha__echo',
        );
        expect(definition?.payload.mcpServer).toBe('alpha');
        expect(JSON.stringify(definition?.payload.inputSchema)).toContain('text');
        expect(
          entries.find((e) => e.type === 'tool.decision' && e.payload.toolName === 'mcp__alpha__echo')
            ?.payload.toolInput,
        ).toEqual({ text: 'hello mcp' });
        expect(
          JSON.stringify(
            entries.find((e) => e.type === 'tool.result' && e.payload.toolUseId === 'toolu_mcp')?.payload
              .response,
          ),
        ).toContain('hello mcp');
      } finally {
        await t.close();
      }
    },
    90_000,
  );
});
