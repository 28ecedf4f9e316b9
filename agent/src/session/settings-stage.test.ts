import { describe, expect, test } from 'bun:test';
import type { AgentAdapter, LaunchContext } from './agent-adapter.ts';
import { runSettingsStage } from './settings-stage.ts';

const session = { runDir: '/nonexistent/run' } as LaunchContext;

describe('runSettingsStage()', () => {
  test("returns the adapter's launch plan", () => {
    const adapter = {
      product: 'Test Agent',
      prepareLaunch: () => ({ args: ['--x'], env: { A: '1' }, files: ['/r/f'], mcpServers: [] }),
    } as unknown as AgentAdapter;
    expect(runSettingsStage(adapter, {} as never, {}, session)).toEqual({
      ok: true,
      value: { args: ['--x'], env: { A: '1' }, files: ['/r/f'], mcpServers: [] },
    });
  });

  test('a settings file that cannot be written stops the session before the agent starts', () => {
    const adapter = {
      product: 'Test Agent',
      prepareLaunch: () => {
        throw new Error('EACCES: permission denied, open "/r/f"');
      },
    } as unknown as AgentAdapter;
    expect(runSettingsStage(adapter, {} as never, {}, session)).toEqual({
      ok: false,
      error: 'Cannot write the Test Agent settings for this session: EACCES: permission denied, open "/r/f"',
      exitCode: 1,
    });
  });
});
