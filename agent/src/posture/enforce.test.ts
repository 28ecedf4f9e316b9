import { expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { decidePostureAction, endProcess, nodeProcessControl, type ProcessControl } from './enforce.ts';
import { createFakeSnapshot } from './fake-snapshot.ts';
import { checkRequirements } from './requirements.ts';

const unmet = checkRequirements(
  createFakeSnapshot({
    firewall: { status: 'failed', value: { enabled: false, source: 'ufw' }, evidence: 'ENABLED=no', ms: 1 },
  }),
  { firewall: 'required' },
);

test('decidePostureAction() refuses at start and denies or ends mid-session per policy', () => {
  expect(decidePostureAction('start', [])).toEqual({ action: 'allow' });
  expect(decidePostureAction('start', unmet)).toMatchObject({ action: 'refuse-session' });
  expect(decidePostureAction('session', unmet)).toMatchObject({ action: 'deny-tool-calls' });
  const end = decidePostureAction('session', unmet, 'end');
  expect(end).toMatchObject({ action: 'end-claude' });
  if (end.action === 'end-claude') expect(end.message).toContain('Turn on a firewall');
});

function fakeControl(exitsOn: 'SIGTERM' | 'SIGKILL' | 'never'): ProcessControl & { sent: string[] } {
  let alive = true;
  const sent: string[] = [];
  return {
    sent,
    signal: (_pid, signal) => {
      sent.push(signal);
      if (signal === exitsOn || signal === 'SIGKILL') alive = false;
    },
    isAlive: () => alive,
  };
}

test('endProcess() sends SIGTERM and stops there when the process exits', async () => {
  const control = fakeControl('SIGTERM');
  expect(await endProcess(10, { control, graceMs: 100, pollMs: 10, sleep: async () => undefined })).toBe(
    'terminated',
  );
  expect(control.sent).toEqual(['SIGTERM']);
});

test('endProcess() sends SIGKILL after the grace period', async () => {
  const control = fakeControl('never');
  expect(await endProcess(10, { control, graceMs: 100, pollMs: 10, sleep: async () => undefined })).toBe(
    'killed',
  );
  expect(control.sent).toEqual(['SIGTERM', 'SIGKILL']);
});

test('endProcess() sends nothing to a pid that now belongs to another process', async () => {
  const control = fakeControl('never');
  expect(await endProcess(10, { control, sameProcess: () => false })).toBe('not-running');
  expect(control.sent).toEqual([]);
});

test.if(process.platform !== 'win32')('endProcess() kills a real process that ignores SIGTERM', async () => {
  const child: ChildProcess = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 0.05; done'], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => child.once('spawn', resolve));
  await Bun.sleep(50);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  expect(await endProcess(child.pid as number, { control: nodeProcessControl, graceMs: 200 })).toBe('killed');
  expect(await exited).toBe('SIGKILL');
});
