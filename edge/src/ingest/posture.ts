import type { JsonValue } from '@ceros/protocol';

/**
 * The agent's posture snapshot (agent/src/posture/types.ts): `{v, platform, capturedAt, totalMs,
 * probes: {<name>: {status: 'ok' | 'failed' | 'unknown', value?, evidence, ms}}}`. A probe that
 * `failed` was determined not to hold; `unknown` could not be determined. Which probes a session
 * needs is the policy's business, so the edge reports every failed probe and lets the reader judge.
 */
type Obj = { [key: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function probesOf(snapshot: JsonValue | undefined): Obj | null {
  return isObj(snapshot) && isObj(snapshot.probes) ? snapshot.probes : null;
}

/** Names of the probes whose status is `failed`, in the snapshot's order. */
export function failedProbes(snapshot: JsonValue | undefined): string[] {
  const probes = probesOf(snapshot);
  if (!probes) return [];
  return Object.entries(probes)
    .filter(([, probe]) => isObj(probe) && probe.status === 'failed')
    .map(([name]) => name);
}

/**
 * false when any probe failed, true when every probe is ok, null when some could not be
 * determined (and none failed) or the value is not a snapshot at all.
 */
export function postureVerdict(snapshot: JsonValue | undefined): boolean | null {
  const probes = probesOf(snapshot);
  if (!probes) return null;
  const statuses = Object.values(probes).map((probe) => (isObj(probe) ? probe.status : null));
  if (statuses.length === 0) return null;
  if (statuses.includes('failed')) return false;
  return statuses.every((status) => status === 'ok') ? true : null;
}

/** The version the `claudeCode` probe read next to the binary (null when it could not tell). */
export function claudeVersionOf(snapshot: JsonValue | undefined): string | null {
  const probe = probesOf(snapshot)?.claudeCode;
  const value = isObj(probe) && isObj(probe.value) ? probe.value : null;
  return typeof value?.version === 'string' ? value.version : null;
}

/** A probe's value, when it is a plain string (`hostname`, `arch`) or `{name}` (`os`). */
export function probeText(snapshot: JsonValue | undefined, name: string): string | null {
  const probe = probesOf(snapshot)?.[name];
  if (!isObj(probe) || probe.status !== 'ok') return null;
  if (typeof probe.value === 'string') return probe.value;
  return isObj(probe.value) && typeof probe.value.name === 'string' ? probe.value.name : null;
}

/**
 * The snapshot after a `posture.change` entry: each change (`{probe, from, to, summary}`, from
 * agent/src/posture/diff.ts) replaces that probe with its new status and value. The change carries
 * no separate evidence, so its summary (which ends with the evidence) stands in for it. Without a
 * previous snapshot the result holds the changed probes only.
 */
export function applyPostureChanges(
  previous: JsonValue | undefined,
  changes: JsonValue | undefined,
  capturedAt: string,
): Obj {
  const base: Obj = isObj(previous) ? { ...previous } : { v: 1 };
  const probes: Obj = { ...(probesOf(previous) ?? {}) };
  for (const change of Array.isArray(changes) ? changes : []) {
    if (!isObj(change) || typeof change.probe !== 'string' || !isObj(change.to)) continue;
    const probe: Obj = { ...change.to };
    if (typeof change.summary === 'string') probe.evidence = change.summary;
    probes[change.probe] = probe;
  }
  return { ...base, capturedAt, probes };
}
