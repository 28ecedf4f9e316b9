import { type EntropySettings, isHighEntropyToken, shannonEntropy } from './entropy.ts';
import {
  type Allowlist,
  compileOrganizationPattern,
  type OrganizationPattern,
  type RuleProblem,
  type SecretRule,
  vendoredRules,
} from './rules.ts';

/** A secret found in a text: the span replaced and the rule (type) that found it. */
export interface Finding {
  start: number;
  end: number;
  type: string;
}

export const HIGH_ENTROPY_TYPE = 'high-entropy-string';

export interface DetectorOptions {
  /** The organization's own patterns (RE2 syntax); they win an overlap with a vendored rule. */
  patterns?: readonly OrganizationPattern[];
  /** Vendored rule ids switched off (false positives in this organization's text). */
  disable?: readonly string[];
  /** The stand-alone entropy check; false turns it off. */
  entropy?: EntropySettings | false;
}

export interface Detector {
  readonly rules: readonly SecretRule[];
  readonly entropy: EntropySettings | false;
  /** Vendored rules that could not be compiled or cannot apply, with why (reported, not run). */
  readonly problems: readonly RuleProblem[];
  /**
   * The scan as resumable steps of bounded work: each `next()` does at most one window's worth of
   * regex work. The caller runs it to the end (redactSync) or pauses between steps (redactAsync).
   * Its return value is the findings, sorted and merged.
   */
  scan(text: string): Generator<void, Finding[]>;
}

/** Merged windows are cut at this size, so one step never runs a regex over more text. */
export const MAX_WINDOW = 64 * 1024;
/** The keyword prefilter reads the text in slices of this size. */
const PREFILTER_SLICE = 256 * 1024;
/** Existing placeholders are never scanned again: redaction is idempotent. */
export const PLACEHOLDER = /\[REDACTED:[a-z0-9][a-z0-9._-]*:[0-9a-f]{12}\]/g;
/** Base64(url) runs; `/` ends a token, since paths (which are full of them) are not credentials. */
const TOKEN = /[A-Za-z0-9+_-]{16,}={0,2}/g;

export function createDetector(options: DetectorOptions = {}): Detector {
  const vendored = vendoredRules();
  const disabled = new Set(options.disable ?? []);
  const organization = (options.patterns ?? []).map(compileOrganizationPattern);
  const rules = [...organization, ...vendored.rules.filter((r) => !disabled.has(r.id))];
  const entropy = options.entropy === undefined ? false : options.entropy;
  const keywordIndex = buildKeywordIndex(rules);
  const global = vendored.allowlist;
  return {
    rules,
    entropy,
    problems: vendored.problems,
    scan: (text) => scan(text, rules, keywordIndex, global, entropy),
  };
}

interface KeywordIndex {
  /** One regex of every keyword, longest first; matched against lowercase text. */
  regex: RegExp | null;
  longest: number;
  /** For each keyword, the rules it triggers: those whose keyword it contains. */
  rulesOf: Map<string, number[]>;
}

function buildKeywordIndex(rules: readonly SecretRule[]): KeywordIndex {
  const keywords = [...new Set(rules.flatMap((r) => r.keywords))].sort((a, b) => b.length - a.length);
  const rulesOf = new Map<string, number[]>();
  for (const keyword of keywords) {
    const triggered: number[] = [];
    // The alternation reports the longest keyword at a position; shorter ones inside it count too.
    rules.forEach((rule, index) => {
      if (rule.keywords.some((k) => keyword.includes(k))) triggered.push(index);
    });
    rulesOf.set(keyword, triggered);
  }
  const literal = (k: string) => k.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  return {
    regex: keywords.length > 0 ? new RegExp(keywords.map(literal).join('|'), 'g') : null,
    longest: keywords[0]?.length ?? 0,
    rulesOf,
  };
}

function* scan(
  text: string,
  rules: readonly SecretRule[],
  index: KeywordIndex,
  global: Allowlist,
  entropy: EntropySettings | false,
): Generator<void, Finding[]> {
  const found: (Finding & { priority: number })[] = [];
  if (text.length === 0) return [];
  // Keyword positions per rule, read a slice at a time (lowercased per slice, so no step holds the
  // whole text). toLowerCase keeps offsets unless a character grows (U+0130); such a slice is
  // matched case-insensitively as it is.
  const hits: number[][] = rules.map(() => []);
  const keywordRegex = index.regex;
  const anyCase = keywordRegex ? new RegExp(keywordRegex.source, 'gi') : null;
  if (keywordRegex && anyCase) {
    for (let from = 0; from < text.length; from += PREFILTER_SLICE) {
      const original = text.slice(from, Math.min(text.length, from + PREFILTER_SLICE + index.longest));
      let slice = original.toLowerCase();
      let regex = keywordRegex;
      if (slice.length !== original.length) {
        slice = original;
        regex = anyCase;
      }
      regex.lastIndex = 0;
      for (let m = regex.exec(slice); m; m = regex.exec(slice)) {
        if (m.index >= PREFILTER_SLICE) break;
        for (const r of index.rulesOf.get(m[0].toLowerCase()) ?? []) hits[r]?.push(from + m.index);
      }
      yield;
    }
  }
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r] as SecretRule;
    const positions = hits[r] as number[];
    if (rule.keywords.length > 0 && positions.length === 0) continue;
    for (const [start, end] of windows(rule, positions, text)) {
      const window = text.slice(start, end);
      for (let from = 0; from < window.length; ) {
        const match = rule.next(window, from);
        if (!match) break;
        from = match.end;
        if (accept(rule, global, window, match))
          found.push({
            start: start + match.secretStart,
            end: start + match.secretEnd,
            type: rule.id,
            priority: rule.priority,
          });
      }
      yield;
    }
  }
  if (entropy) {
    for (let from = 0; from < text.length; from += MAX_WINDOW) {
      const slice = text.slice(from, Math.min(text.length, from + MAX_WINDOW + entropy.maxLength));
      TOKEN.lastIndex = 0;
      for (let m = TOKEN.exec(slice); m; m = TOKEN.exec(slice)) {
        if (m.index >= MAX_WINDOW) break;
        if (isHighEntropyToken(m[0], entropy))
          found.push({
            start: from + m.index,
            end: from + m.index + m[0].length,
            type: HIGH_ENTROPY_TYPE,
            priority: 3,
          });
      }
      yield;
    }
  }
  return merge(found, placeholders(text));
}

/** How far past a window's nominal end it is extended to reach a delimiter. */
const SNAP = 8 * 1024;
const DELIMITER = /[\s"'`,;<>]/g;

/**
 * Where a window ending near `at` really ends: at the next delimiter (white space, a quote), so
 * that a secret longer than the rule's reach is not cut in two, with only its first part matched
 * (rules accept end of text as the secret's end).
 */
function snapEnd(text: string, at: number): number {
  if (at >= text.length) return text.length;
  DELIMITER.lastIndex = at;
  const m = DELIMITER.exec(text);
  return m && m.index - at <= SNAP ? m.index : Math.min(text.length, at + SNAP);
}

/** Windows around keyword hits, merged, each at most MAX_WINDOW long (cut with an overlap). */
function windows(rule: SecretRule, positions: number[], text: string): [number, number][] {
  const length = text.length;
  const out: [number, number][] = [];
  const overlap = rule.before + rule.after;
  const push = (start: number, end: number) => {
    for (let s = start; s < end; s += MAX_WINDOW - overlap) {
      out.push([s, Math.min(end, s + MAX_WINDOW)]);
      if (s + MAX_WINDOW >= end) break;
    }
  };
  if (rule.keywords.length === 0) {
    push(0, length);
    return out;
  }
  positions.sort((a, b) => a - b);
  let start = -1;
  let end = -1;
  for (const p of positions) {
    const s = Math.max(0, p - rule.before);
    if (s <= end && p + rule.after <= end) continue;
    const e = snapEnd(text, p + rule.after);
    if (s <= end) end = Math.max(end, e);
    else {
      if (start >= 0) push(start, end);
      start = s;
      end = e;
    }
  }
  if (start >= 0) push(start, end);
  return out;
}

function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const to = text.indexOf('\n', end);
  return text.slice(from, to === -1 ? text.length : to);
}

function allowed(
  list: Allowlist,
  window: string,
  match: { start: number; end: number },
  secret: string,
): boolean {
  const target =
    list.target === 'secret'
      ? secret
      : list.target === 'match'
        ? window.slice(match.start, match.end)
        : lineAround(window, match.start, match.end);
  const checks: boolean[] = [];
  if (list.regexes.length > 0) checks.push(list.regexes.some((r) => r.test(target)));
  if (list.stopwords.length > 0) {
    const lower = secret.toLowerCase();
    checks.push(list.stopwords.some((w) => lower.includes(w)));
  }
  if (list.hasPaths) checks.push(false);
  if (checks.length === 0) return false;
  return list.condition === 'AND' ? checks.every(Boolean) : checks.some(Boolean);
}

/** gitleaks' filters: entropy, a digit for generic rules, the global and the rule's allowlists. */
function accept(
  rule: SecretRule,
  global: Allowlist,
  window: string,
  match: { start: number; end: number; secretStart: number; secretEnd: number },
): boolean {
  if (match.secretEnd <= match.secretStart) return false;
  const secret = window.slice(match.secretStart, match.secretEnd);
  if (rule.entropy !== undefined && shannonEntropy(secret) <= rule.entropy) return false;
  if (rule.needsDigit && !/[0-9]/.test(secret)) return false;
  if (rule.origin === 'gitleaks' && allowed(global, window, match, secret)) return false;
  return !rule.allowlists.some((list) => allowed(list, window, match, secret));
}

function placeholders(text: string): [number, number][] {
  if (!text.includes('[REDACTED:')) return [];
  const spans: [number, number][] = [];
  PLACEHOLDER.lastIndex = 0;
  for (let m = PLACEHOLDER.exec(text); m; m = PLACEHOLDER.exec(text))
    spans.push([m.index, m.index + m[0].length]);
  return spans;
}

/**
 * Overlapping findings become one span (their union, so no part of either stays in clear), typed
 * by the most specific rule; findings that overlap an existing placeholder are dropped.
 */
function merge(found: (Finding & { priority: number })[], existing: [number, number][]): Finding[] {
  const kept = found.filter((f) => !existing.some(([s, e]) => f.start < e && s < f.end));
  kept.sort((a, b) => a.start - b.start || a.priority - b.priority);
  const out: (Finding & { priority: number; length: number })[] = [];
  for (const f of kept) {
    const last = out.at(-1);
    if (last && f.start < last.end) {
      // The most specific rule names the span: a lower priority, then the shorter match.
      if (f.priority < last.priority || (f.priority === last.priority && f.end - f.start < last.length)) {
        last.type = f.type;
        last.priority = f.priority;
        last.length = f.end - f.start;
      }
      last.end = Math.max(last.end, f.end);
    } else out.push({ ...f, length: f.end - f.start });
  }
  return out.map(({ start, end, type }) => ({ start, end, type }));
}
