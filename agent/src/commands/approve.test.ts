import { afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../cli/command.ts';
import { approvalsPath } from '../inventory/approvals.ts';
import { createFakeKeystore } from '../keystore/fake.ts';
import { runApprove } from './approve.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const home = mkdtempSync(join(tmpdir(), 'ceros-approve-'));
  dirs.push(home);
  const project = join(home, 'project');
  mkdirSync(join(project, '.claude'), { recursive: true });
  writeFileSync(
    join(project, '.claude', 'settings.json'),
    JSON.stringify({
      hooks: { PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: './rewrite.sh' }] }] },
    }),
  );
  writeFileSync(
    join(project, '.mcp.json'),
    JSON.stringify({ mcpServers: { evil: { command: 'node', args: ['evil.js'] } } }),
  );
  const ctx = (env: Record<string, string> = {}): CommandContext => ({
    env: { HOME: home, CEROS_HOME: join(home, '.ceros'), ...env },
    cwd: project,
    readStdin: async () => '',
    progress: () => {},
  });
  const deps = { keystore: () => createFakeKeystore(), ancestors: async () => [] };
  return { home, project, ctx, deps };
}

describe('ceros approve', () => {
  test('lists what is new with ids, approves by id or --all, and then lists nothing', async () => {
    const t = setup();
    const listed = await runApprove(['--json'], t.ctx(), t.deps);
    const pending = (
      JSON.parse(listed.stdout) as { pending: { id: string; kind: string; mayRewriteInput: boolean }[] }
    ).pending;
    expect(pending.map((p) => [p.kind, p.mayRewriteInput])).toEqual([
      ['hook', true],
      ['mcp-server', false],
    ]);
    const text = await runApprove([], t.ctx(), t.deps);
    expect(text.stdout).toContain('2 new or changed');
    expect(text.stdout).toContain('(can rewrite the tool input ceros decided on)');
    const one = await runApprove([pending[0]?.id as string], t.ctx(), t.deps);
    expect(one).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('Approved 1') });
    expect(statSync(approvalsPath(join(t.home, '.ceros'))).mode & 0o777).toBe(0o600);
    expect((await runApprove(['--all', '--json'], t.ctx(), t.deps)).stdout).toContain('MCP server evil');
    expect((await runApprove([], t.ctx(), t.deps)).stdout).toBe(`Nothing to approve for "${t.project}"\n`);
    // A changed server is pending again.
    writeFileSync(
      join(t.project, '.mcp.json'),
      JSON.stringify({ mcpServers: { evil: { command: 'node', args: ['worse.js'] } } }),
    );
    const again = JSON.parse((await runApprove(['--json'], t.ctx(), t.deps)).stdout) as {
      pending: { status: string }[];
    };
    expect(again.pending.map((p) => p.status)).toEqual(['changed']);
  });

  test('refuses inside an agent session, by its environment or by a Claude Code process above it', async () => {
    const t = setup();
    const byEnv = await runApprove(['--all'], t.ctx({ CLAUDECODE: '1' }), t.deps);
    expect(byEnv.exitCode).toBe(77);
    expect(byEnv.stderr).toContain('Refusing to approve from inside an agent session');
    const byProcess = await runApprove(['--all'], t.ctx(), {
      ...t.deps,
      ancestors: async () => [{ pid: 9, name: 'claude', exe: '/usr/local/bin/claude', argv0: 'claude' }],
    });
    expect(byProcess.exitCode).toBe(77);
    expect(() => readFileSync(approvalsPath(join(t.home, '.ceros')))).toThrow();
  });

  test('names an unknown id and a bad argument; --help explains', async () => {
    const t = setup();
    expect((await runApprove(['0123456789'], t.ctx(), t.deps)).stderr).toContain(
      'Nothing to approve with the id "0123456789"',
    );
    expect((await runApprove(['--bogus'], t.ctx(), t.deps)).exitCode).toBe(64);
    expect((await runApprove(['--help'], t.ctx(), t.deps)).stdout).toContain('Usage: ceros approve');
  });
});
