import { expect, test } from 'bun:test';
import type { PostureChange } from './diff.ts';
import { createFakeSnapshot } from './fake-snapshot.ts';
import { createPostureMonitor } from './monitor.ts';
import type { PostureSnapshot } from './types.ts';

/** Manual clock and timer: tests fire the scheduled capture themselves. */
function fakeTime() {
  let now = 0;
  let pending: { run: () => void; at: number } | undefined;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    setTimer: (run: () => void, ms: number) => {
      const timer = { run, at: now + ms };
      pending = timer;
      return {
        cancel: () => {
          if (pending === timer) pending = undefined;
        },
      };
    },
    fire: () => {
      const timer = pending;
      pending = undefined;
      timer?.run();
    },
    scheduledAt: () => pending?.at,
  };
}

const failedFirewall = createFakeSnapshot({
  firewall: { status: 'failed', value: { enabled: false, source: 'ufw' }, evidence: 'ENABLED=no', ms: 1 },
});

test('createPostureMonitor() captures on the interval and reports changes once', async () => {
  const time = fakeTime();
  const snapshots = [createFakeSnapshot(), failedFirewall, failedFirewall];
  let captures = 0;
  const changes: PostureChange[][] = [];
  const monitor = createPostureMonitor({
    capture: async () => snapshots[captures++] as PostureSnapshot,
    intervalMs: 30_000,
    onChange: (c) => changes.push(c),
    now: time.now,
    setTimer: time.setTimer,
  });
  await monitor.refreshIfStale(Number.POSITIVE_INFINITY);
  expect(captures).toBe(1);
  expect(time.scheduledAt()).toBe(30_000);
  time.advance(30_000);
  time.fire();
  await monitor.refreshIfStale(Number.POSITIVE_INFINITY);
  await Bun.sleep(0);
  expect(captures).toBe(2);
  expect(changes).toHaveLength(1);
  expect(changes[0]?.[0]?.probe).toBe('firewall');
  expect(monitor.current()?.probes.firewall.status).toBe('failed');
  time.fire();
  await Bun.sleep(0);
  expect(captures).toBe(3);
  expect(changes).toHaveLength(1);
  monitor.stop();
  expect(time.scheduledAt()).toBeUndefined();
});

test('createPostureMonitor() refreshes before a tool call only when the snapshot is stale', async () => {
  const time = fakeTime();
  let captures = 0;
  const monitor = createPostureMonitor({
    capture: async () => {
      captures++;
      return createFakeSnapshot();
    },
    initial: createFakeSnapshot(),
    now: time.now,
    setTimer: time.setTimer,
  });
  time.advance(5_000);
  await monitor.refreshIfStale(10_000);
  expect(captures).toBe(0);
  time.advance(6_000);
  await monitor.refreshIfStale(10_000);
  expect(captures).toBe(1);
  monitor.stop();
});

test('createPostureMonitor() joins concurrent refreshes into one capture', async () => {
  let captures = 0;
  let release: () => void = () => undefined;
  const monitor = createPostureMonitor({
    capture: () =>
      new Promise<PostureSnapshot>((resolve) => {
        captures++;
        release = () => resolve(createFakeSnapshot());
      }),
    initial: createFakeSnapshot(),
    setTimer: fakeTime().setTimer,
  });
  const a = monitor.refresh();
  const b = monitor.refreshIfStale(0);
  release();
  expect(await a).toBe(await b);
  expect(captures).toBe(1);
  monitor.stop();
});

test('createPostureMonitor() keeps the last snapshot when a capture fails and reports the error', async () => {
  const errors: unknown[] = [];
  const initial = createFakeSnapshot();
  const monitor = createPostureMonitor({
    capture: async () => {
      throw new Error('probe host gone');
    },
    initial,
    onError: (e) => errors.push(e),
    setTimer: fakeTime().setTimer,
  });
  await expect(monitor.refresh()).rejects.toThrow('probe host gone');
  expect(monitor.current()).toBe(initial);
  expect(errors).toHaveLength(1);
  monitor.stop();
});
