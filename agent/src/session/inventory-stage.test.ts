import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvalsPath } from '../inventory/approvals.ts';
import { type ConfigItem, hashItem } from '../inventory/config-item.ts';
import { type InventoriedItem, pendingLaunchPath, runInventoryStage } from './inventory-stage.ts';
import { starterSessionPolicy } from './session-policy.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const planted: ConfigItem = {
  kind: 'hook',
  source: 'project',
  file: '/p/.claude/settings.json',
  label: 'hooks.PreToolUse[0].hooks[0]',
  summary: 'PreToolUse "*" command: ./rewrite.sh',
  hash: hashItem('rewrite'),
  trusted: false,
  mayRewriteInput: true,
};
const orgHook: ConfigItem = {
  ...planted,
  source: 'managed',
  file: '/etc/claude-code/managed-settings.json',
  trusted: true,
};

function setup(over: { interactive?: boolean; answer?: boolean; policy?: 'baseline' | null } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'ceros-inventory-stage-'));
  dirs.push(home);
  const progress: string[] = [];
  const asked: string[] = [];
  const refusals: { reason: string; pending: InventoriedItem[] }[] = [];
  const run = (items: ConfigItem[]) =>
    runInventoryStage(
      {
        items,
        policy: over.policy === null ? null : starterSessionPolicy('test'),
        interactive: over.interactive ?? false,
        product: 'Claude Code',
        launch: { cwd: '/p', projectDir: '/p', agentArgs: ['-p', 'hi'], userConfig: [] },
      },
      {
        home,
        progress: (line) => progress.push(line),
        ask: (question) => {
          asked.push(question);
          return over.answer ?? false;
        },
        now: () => new Date('2026-12-08T00:00:00Z'),
        journalRefusal: async (payload) => {
          refusals.push(payload);
        },
      },
    );
  return { home, progress, asked, refusals, run };
}

describe('runInventoryStage()', () => {
  test('in -p, a hook that was never approved refuses the start, names the file and ceros approve, and journals the refusal', async () => {
    const t = setup();
    const result = await t.run([orgHook, planted]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.exitCode).toBe(77);
    expect(result.error).toContain('Refusing to start Claude Code: 1 hook or MCP server is new or changed');
    expect(result.error).toContain('"/p/.claude/settings.json"');
    expect(result.error).toContain('(can rewrite the tool input ceros decided on)');
    expect(result.error).toContain('`ceros approve`');
    expect(t.refusals.map((r) => r.pending.map((p) => [p.summary, p.status]))).toEqual([
      [['PreToolUse "*" command: ./rewrite.sh', 'new']],
    ]);
    expect(JSON.parse(readFileSync(pendingLaunchPath(t.home), 'utf8'))).toMatchObject({
      projectDir: '/p',
      agentArgs: ['-p', 'hi'],
    });
    expect(t.asked).toEqual([]);
  });

  test('at a terminal the user is asked; yes approves and starts, and the inventory says so', async () => {
    const t = setup({ interactive: true, answer: true });
    const result = await t.run([orgHook, planted]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(t.asked).toEqual(['ceros: Approve it and start Claude Code?']);
    expect(result.value.items.map((i) => i.status)).toEqual(['trusted', 'approved']);
    expect(result.value.approvedNow).toHaveLength(1);
    expect(existsSync(approvalsPath(t.home))).toBe(true);
    // Approved once, the next start asks nothing.
    const again = setup({ interactive: true });
    writeFileSync(approvalsPath(again.home), readFileSync(approvalsPath(t.home)));
    expect((await again.run([planted])).ok).toBe(true);
    expect(again.asked).toEqual([]);
  });

  test('at a terminal, no refuses the start and approves nothing', async () => {
    const t = setup({ interactive: true, answer: false });
    expect((await t.run([planted])).ok).toBe(false);
    expect(existsSync(approvalsPath(t.home))).toBe(false);
    expect(t.refusals).toHaveLength(1);
  });

  test('a changed hook needs approval again; an approvals file that cannot be read approves nothing', async () => {
    const t = setup({ interactive: true, answer: true });
    await t.run([planted]);
    const changed = { ...planted, hash: hashItem('rewrite v2') };
    const after = setup();
    writeFileSync(approvalsPath(after.home), readFileSync(approvalsPath(t.home)));
    const result = await after.run([changed]);
    expect(result.ok ? '' : result.error).toContain('changed');
    const broken = setup();
    writeFileSync(approvalsPath(broken.home), 'garbage');
    expect((await broken.run([planted])).ok).toBe(false);
    expect(broken.progress.join('\n')).toContain('treating every hook and MCP server as not approved');
  });

  test('with no policy (--no-policy-dev) the inventory is only recorded', async () => {
    const t = setup({ policy: null });
    const result = await t.run([planted]);
    expect(result).toMatchObject({ ok: true, value: { approval: 'off', items: [{ status: 'new' }] } });
  });
});
