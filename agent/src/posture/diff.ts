import { canonicalJson, toJsonValue } from '@ceros/protocol';
import { type PostureSnapshot, PROBE_NAMES, type ProbeName, type ProbeStatus } from './types.ts';

export interface PostureChange {
  probe: ProbeName;
  from: { status: ProbeStatus; value?: unknown };
  to: { status: ProbeStatus; value?: unknown };
  /** One line for the journal and the console: `firewall: ok -> failed (...)`. */
  summary: string;
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(toJsonValue(a ?? null)) === canonicalJson(toJsonValue(b ?? null));
}

function side(status: ProbeStatus, value: unknown): { status: ProbeStatus; value?: unknown } {
  return value === undefined ? { status } : { status, value };
}

/**
 * What changed between two snapshots, probe by probe: a status or a value. Evidence and timings
 * are not compared (evidence names pids and durations that move on every capture).
 */
export function diffPosture(before: PostureSnapshot, after: PostureSnapshot): PostureChange[] {
  const changes: PostureChange[] = [];
  for (const probe of PROBE_NAMES) {
    const a = before.probes[probe];
    const b = after.probes[probe];
    if (a.status === b.status && same(a.value, b.value)) continue;
    const statusPart = a.status === b.status ? `${b.status}, value changed` : `${a.status} -> ${b.status}`;
    changes.push({
      probe,
      from: side(a.status, a.value),
      to: side(b.status, b.value),
      summary: `${probe}: ${statusPart} (${b.evidence})`,
    });
  }
  return changes;
}
