import type { Detector, Finding } from './detect.ts';

/**
 * Replaces every secret in a JSON value with a typed placeholder carrying a keyed hash of it,
 * `[REDACTED:anthropic-api-key:3f9a0c1d2e4b]`: equal secrets get equal placeholders (under one
 * key), so they correlate without being revealed. Object keys are kept; every string value is
 * scanned, all of one value's strings in one pass.
 *
 * Total: any input gives an answer, and the work is bounded by `maxMillis`. A scan that runs out
 * of time fails closed: every string of 8 characters or more is replaced whole by an `unscanned`
 * placeholder, and `complete` is false.
 */

export interface RedactOptions {
  /** Hex HMAC of the secret under the device's or organization's key; the first 12 digits are used. */
  keyedHash: (secret: string) => string;
  /** The scan's time budget (default 2000 ms). */
  maxMillis?: number;
  now?: () => number;
}

export interface AsyncRedactOptions extends RedactOptions {
  /** Gives the event loop a turn; called between steps once `sliceMillis` have passed. */
  pause: () => Promise<void>;
  /** Longest stretch of work between pauses (default 4 ms). */
  sliceMillis?: number;
}

export interface Redaction<T = unknown> {
  value: T;
  /** Secrets replaced, by type. */
  counts: Record<string, number>;
  /** False when the budget ran out and long strings were replaced unscanned. */
  complete: boolean;
}

export const UNSCANNED_TYPE = 'unscanned';
export const DEFAULT_MAX_MILLIS = 2000;
const MAX_DEPTH = 256;
const SEPARATOR = '\n\u0000\n';
const MIN_UNSCANNED = 8;

export function placeholder(type: string, secret: string, keyedHash: (s: string) => string): string {
  const safe = type
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .replace(/^[^a-z0-9]/, 'x');
  return `[REDACTED:${safe}:${keyedHash(secret).slice(0, 12).padEnd(12, '0')}]`;
}

interface Collected {
  strings: string[];
  text: string;
  /** Start of each string in `text`. */
  offsets: number[];
}

function collect(value: unknown): Collected {
  const strings: string[] = [];
  const visit = (v: unknown, depth: number) => {
    if (typeof v === 'string') strings.push(v);
    else if (depth >= MAX_DEPTH || v === null || typeof v !== 'object') return;
    else if (Array.isArray(v)) for (const item of v) visit(item, depth + 1);
    else for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], depth + 1);
  };
  visit(value, 0);
  const offsets: number[] = [];
  let at = 0;
  for (const s of strings) {
    offsets.push(at);
    at += s.length + SEPARATOR.length;
  }
  return { strings, text: strings.join(SEPARATOR), offsets };
}

/** Rebuilds `value` with its strings replaced, in the order `collect` listed them. */
function rebuild(value: unknown, replaced: string[]): unknown {
  let next = 0;
  const visit = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return replaced[next++] ?? v;
    if (v === null || typeof v !== 'object') return v;
    if (depth >= MAX_DEPTH) return `[REDACTED:${UNSCANNED_TYPE}:${'0'.repeat(12)}]`;
    if (Array.isArray(v)) return v.map((item) => visit(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) out[key] = visit((v as Record<string, unknown>)[key], depth + 1);
    return out;
  };
  return visit(value, 0);
}

function apply<T>(
  value: T,
  collected: Collected,
  findings: Finding[] | null,
  keyedHash: (s: string) => string,
): Redaction<T> {
  const counts: Record<string, number> = {};
  const count = (type: string) => {
    counts[type] = (counts[type] ?? 0) + 1;
  };
  if (findings === null) {
    const replaced = collected.strings.map((s) => {
      if (s.length < MIN_UNSCANNED) return s;
      count(UNSCANNED_TYPE);
      return placeholder(UNSCANNED_TYPE, s, keyedHash);
    });
    return { value: rebuild(value, replaced) as T, counts, complete: false };
  }
  if (findings.length === 0) return { value, counts, complete: true };
  const replaced = [...collected.strings];
  let f = 0;
  for (let i = 0; i < collected.strings.length && f < findings.length; i++) {
    const s = collected.strings[i] as string;
    const base = collected.offsets[i] as number;
    const limit = base + s.length;
    let out = '';
    let cursor = 0;
    let changed = false;
    // Findings are sorted and disjoint; one may run across strings (a multi-line rule): each
    // string gets the part inside it.
    while (f < findings.length && (findings[f] as Finding).start < limit) {
      const finding = findings[f] as Finding;
      const start = Math.max(finding.start, base) - base;
      const end = Math.min(finding.end, limit) - base;
      if (end > start && start >= cursor) {
        const secret = s.slice(start, end);
        out += s.slice(cursor, start) + placeholder(finding.type, secret, keyedHash);
        cursor = end;
        changed = true;
        if (finding.start >= base) count(finding.type);
      }
      if (finding.end > limit) break;
      f++;
    }
    if (changed) replaced[i] = out + s.slice(cursor);
  }
  return { value: rebuild(value, replaced) as T, counts, complete: true };
}

/** Redacts `value` in one go (the decision path: the entry must be signed before the answer). */
export function redactSync<T>(value: T, detector: Detector, options: RedactOptions): Redaction<T> {
  const now = options.now ?? (() => performance.now());
  const deadline = now() + (options.maxMillis ?? DEFAULT_MAX_MILLIS);
  const collected = collect(value);
  let findings: Finding[] | null = null;
  try {
    const steps = detector.scan(collected.text);
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) {
        findings = step.value;
        break;
      }
      if (now() > deadline) break;
    }
  } catch {
    // A rule that throws (it should not) makes the scan incomplete, never a crash: fail closed.
    findings = null;
  }
  return apply(value, collected, findings, options.keyedHash);
}

/**
 * The same scan, pausing every `sliceMillis` so that other work (a hook's decision) runs in
 * between: large tool outputs are redacted without holding up the session's decisions.
 */
export async function redactAsync<T>(
  value: T,
  detector: Detector,
  options: AsyncRedactOptions,
): Promise<Redaction<T>> {
  const now = options.now ?? (() => performance.now());
  const slice = options.sliceMillis ?? 4;
  const collected = collect(value);
  let findings: Finding[] | null = null;
  let spent = 0;
  const budget = options.maxMillis ?? DEFAULT_MAX_MILLIS;
  try {
    const steps = detector.scan(collected.text);
    let sliceStart = now();
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) {
        findings = step.value;
        break;
      }
      const t = now();
      if (spent + (t - sliceStart) > budget) break;
      if (t - sliceStart >= slice) {
        spent += t - sliceStart;
        await options.pause();
        sliceStart = now();
      }
    }
  } catch {
    findings = null;
  }
  return apply(value, collected, findings, options.keyedHash);
}
