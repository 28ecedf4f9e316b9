import type { ProbeOutcome, ProbeResult, ProbeStatus } from './types.ts';

export function ok<T>(value: T, evidence: string): ProbeOutcome<T> {
  return { status: 'ok', value, evidence };
}

export function failed<T>(evidence: string, value?: T): ProbeOutcome<T> {
  return value === undefined ? { status: 'failed', evidence } : { status: 'failed', value, evidence };
}

export function unknown<T>(evidence: string, value?: T): ProbeOutcome<T> {
  return value === undefined ? { status: 'unknown', evidence } : { status: 'unknown', value, evidence };
}

/** The worst of several statuses: any failed is failed, else any unknown is unknown. */
export function worstStatus(statuses: readonly ProbeStatus[]): ProbeStatus {
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('unknown') || statuses.length === 0) return 'unknown';
  return 'ok';
}

/**
 * Runs one probe with a deadline. A probe that throws or misses its deadline is `unknown` with
 * the reason as evidence: a probe never fails open and never holds up the capture. (A
 * synchronous probe cannot be interrupted; probes keep their blocking work to small procfs and
 * sysfs reads and do anything that can hang, such as stat on a network home or a spawned
 * command, asynchronously.)
 */
export async function runProbe<T>(
  probe: () => Promise<ProbeOutcome<T>> | ProbeOutcome<T>,
  timeoutMs: number,
): Promise<ProbeResult<T>> {
  // Timed from the moment the probe itself starts to the moment it settles, so probes started
  // together do not each count the others' synchronous work.
  let started: number | undefined;
  let ended: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<ProbeOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve(unknown(`Probe timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  const work = Promise.resolve().then(() => {
    started = performance.now();
    let result: Promise<ProbeOutcome<T>> | ProbeOutcome<T>;
    try {
      result = probe();
    } catch (error) {
      ended = performance.now();
      throw error;
    }
    // A synchronous probe is timed exactly; an asynchronous one until it settles.
    if (!(result instanceof Promise)) {
      ended = performance.now();
      return result;
    }
    return result.finally(() => {
      ended = performance.now();
    });
  });
  const raceStarted = performance.now();
  let outcome: ProbeOutcome<T>;
  try {
    outcome = await Promise.race([work, deadline]);
  } catch (error) {
    outcome = unknown(`Probe failed: ${(error as Error).message ?? String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  return { ...outcome, ms: round((ended ?? performance.now()) - (started ?? raceStarted)) };
}

/** Milliseconds to 0.01: enough for a report, and stable-looking JSON. */
export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
