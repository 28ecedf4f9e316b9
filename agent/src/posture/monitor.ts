import { diffPosture, type PostureChange } from './diff.ts';
import type { PostureSnapshot } from './types.ts';

/** How often posture is captured again during a session, unless the policy says otherwise. */
export const DEFAULT_REASSESS_INTERVAL_MS = 30_000;

export interface PostureMonitorOptions {
  capture: () => Promise<PostureSnapshot>;
  /** Time between captures; default 30 s. */
  intervalMs?: number;
  /** The snapshot the session started with; without it the monitor captures at once. */
  initial?: PostureSnapshot;
  /** Called after a capture that differs from the previous one (the lead journals each change). */
  onChange?: (changes: PostureChange[], current: PostureSnapshot, previous: PostureSnapshot) => void;
  /** A capture that threw, or an onChange that threw. The previous snapshot stays current. */
  onError?: (error: unknown) => void;
  /** Monotonic milliseconds; injected by tests. */
  now?: () => number;
  setTimer?: (run: () => void, ms: number) => { cancel(): void };
}

export interface PostureMonitor {
  /** The latest snapshot; undefined until the first capture finishes. */
  current(): PostureSnapshot | undefined;
  /** Captures now (joining a capture in flight) and returns the result. */
  refresh(): Promise<PostureSnapshot>;
  /** Returns the current snapshot if it was taken less than `maxAgeMs` ago, else refreshes first. */
  refreshIfStale(maxAgeMs: number): Promise<PostureSnapshot>;
  /** Stops the timer; a capture in flight still completes but reports nothing. */
  stop(): void;
}

function defaultTimer(run: () => void, ms: number): { cancel(): void } {
  const timer = setTimeout(run, ms);
  // The session daemon has its own reasons to stay alive; a pending reassessment is not one.
  (timer as { unref?: () => void }).unref?.();
  return { cancel: () => clearTimeout(timer) };
}

/**
 * Reassesses posture every `intervalMs` and on demand before tool calls, reporting changes.
 * Captures never overlap: a refresh during a capture joins it, and the next timed capture is
 * scheduled from the end of the last one.
 */
export function createPostureMonitor(options: PostureMonitorOptions): PostureMonitor {
  const intervalMs = options.intervalMs ?? DEFAULT_REASSESS_INTERVAL_MS;
  const now = options.now ?? (() => performance.now());
  const setTimer = options.setTimer ?? defaultTimer;
  let snapshot = options.initial;
  let takenAt = options.initial === undefined ? Number.NEGATIVE_INFINITY : now();
  let inflight: Promise<PostureSnapshot> | undefined;
  let timer: { cancel(): void } | undefined;
  let stopped = false;

  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer?.cancel();
    timer = setTimer(() => {
      refresh().catch(() => undefined);
    }, intervalMs);
  };

  const refresh = (): Promise<PostureSnapshot> => {
    if (inflight) return inflight;
    const startedAt = now();
    inflight = (async () => {
      try {
        const next = await options.capture();
        const previous = snapshot;
        snapshot = next;
        // Age counts from the start of the capture: that is when the state was read.
        takenAt = startedAt;
        if (previous && !stopped) {
          const changes = diffPosture(previous, next);
          if (changes.length > 0) {
            try {
              options.onChange?.(changes, next, previous);
            } catch (error) {
              report(error);
            }
          }
        }
        return next;
      } catch (error) {
        report(error);
        throw error;
      } finally {
        inflight = undefined;
        schedule();
      }
    })();
    return inflight;
  };

  if (snapshot === undefined) refresh().catch(() => undefined);
  else schedule();

  return {
    current: () => snapshot,
    refresh,
    refreshIfStale: async (maxAgeMs) => {
      if (snapshot !== undefined && now() - takenAt <= maxAgeMs) return snapshot;
      return refresh();
    },
    stop: () => {
      stopped = true;
      timer?.cancel();
      timer = undefined;
    },
  };
}
