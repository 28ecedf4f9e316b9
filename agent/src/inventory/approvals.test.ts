import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvalStatus, approvalsPath, pendingItems, readApprovals, writeApprovals } from './approvals.ts';
import { type ConfigItem, hashItem, itemId, itemKey } from './config-item.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const home = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ceros-approvals-'));
  dirs.push(dir);
  return dir;
};

const item = (over: Partial<ConfigItem> = {}): ConfigItem => ({
  kind: 'hook',
  source: 'project',
  file: '/p/.claude/settings.json',
  label: 'hooks.PreToolUse[0].hooks[0]',
  summary: 'PreToolUse "*" command: ./x.sh',
  hash: hashItem({ command: './x.sh' }),
  trusted: false,
  ...over,
});

describe('approvals', () => {
  test('an item is new until approved, approved with the same hash, changed with another', () => {
    const h = home();
    const empty = readApprovals(h);
    expect(empty).toEqual({ ok: true, value: { items: {} } });
    if (!empty.ok) return;
    expect(approvalStatus(item(), empty.value)).toBe('new');
    const approved = writeApprovals(h, empty.value, [item()], new Date('2026-12-08T00:00:00Z'));
    expect(approvalStatus(item(), approved)).toBe('approved');
    expect(approvalStatus(item({ hash: hashItem({ command: './y.sh' }) }), approved)).toBe('changed');
    expect(approvalStatus(item({ trusted: true, source: 'managed' }), empty.value)).toBe('trusted');
    const reread = readApprovals(h);
    expect(reread.ok && reread.value.items[itemKey(item())]?.approvedAt).toBe('2026-12-08T00:00:00.000Z');
    expect(statSync(approvalsPath(h)).mode & 0o777).toBe(0o600);
    expect(
      pendingItems([item(), item({ label: 'other' })], approved).map((i) => [i.label, i.status]),
    ).toEqual([['other', 'new']]);
  });

  test('a file that cannot be parsed approves nothing and says where', () => {
    const h = home();
    writeFileSync(approvalsPath(h), '{"version":1,"items":{"k":{"hash":"nothex"}}}');
    const read = readApprovals(h);
    expect(read.ok).toBe(false);
    expect(read.ok ? '' : read.error).toContain('items.k.hash');
    writeFileSync(approvalsPath(h), '{');
    expect(readApprovals(h).ok).toBe(false);
  });

  test('ids are short, stable and differ by place', () => {
    expect(itemId(item())).toMatch(/^[0-9a-f]{10}$/);
    expect(itemId(item())).toBe(itemId(item({ hash: 'x' })));
    expect(itemId(item())).not.toBe(itemId(item({ source: 'local' })));
  });
});
