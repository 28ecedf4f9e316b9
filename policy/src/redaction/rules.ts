import { RE2JS } from 're2js';
import vendored from './gitleaks/rules.json' with { type: 'json' };
import { translateGoRegex } from './go-regex.ts';

/**
 * The rules the detector runs: the vendored gitleaks rule set (MIT, refreshed by
 * scripts/refresh-gitleaks-rules.ts, translated from Go's regexp syntax at load time) and the
 * organization's own patterns from the policy. An organization pattern runs on RE2 (re2js), whose
 * matching is linear in the input, so a pattern like `(a+)+$` costs what a literal does; the
 * vendored rules were written for RE2 and use only bounded repetition, and they run as native
 * JavaScript regular expressions (about 20x faster here) on bounded windows around their keywords.
 */

/** One match: where the whole match is and where its secret (the part replaced) is. */
export interface RuleMatch {
  start: number;
  end: number;
  secretStart: number;
  secretEnd: number;
}

export interface Allowlist {
  condition: 'OR' | 'AND';
  target: 'secret' | 'match' | 'line';
  regexes: readonly RegExp[];
  stopwords: readonly string[];
  /** Path criteria never hold for journal text (it has no path). */
  hasPaths: boolean;
}

export interface SecretRule {
  readonly id: string;
  readonly origin: 'gitleaks' | 'organization';
  /** Lowercase; the rule runs only around occurrences of one of them (all text when empty). */
  readonly keywords: readonly string[];
  /** Minimum Shannon entropy of the secret (gitleaks: the secret must exceed it). */
  readonly entropy: number | undefined;
  /** Lower runs first and wins an overlap: organization, specific vendored, generic. */
  readonly priority: number;
  /** How far before and after a keyword a match may begin and end. */
  readonly before: number;
  readonly after: number;
  readonly allowlists: readonly Allowlist[];
  /** gitleaks: a generic rule's secret must contain a digit. */
  readonly needsDigit: boolean;
  /** Finds the next match in `text` at or after `from`, or null. */
  next(text: string, from: number): RuleMatch | null;
}

export interface RuleProblem {
  id: string;
  reason: string;
}

type VendoredAllowlist = {
  condition?: string;
  regexTarget?: string;
  regexes?: string[];
  stopwords?: string[];
  paths?: string[];
};
type VendoredRule = {
  id: string;
  regex: string;
  entropy?: number;
  keywords: string[];
  secretGroup?: number;
  allowlists?: VendoredAllowlist[];
};
interface VendoredData {
  source: { name: string; tag: string; commit?: string; license: string; copyright: string; url: string };
  allowlist: VendoredAllowlist;
  rules: VendoredRule[];
  skipped: RuleProblem[];
}
const data = vendored as unknown as VendoredData;

export const VENDORED_SOURCE = data.source;

/** A JavaScript regex match as a RuleMatch; the secret is `group`, or the first group that matched. */
function jsNext(regex: RegExp, group: number | undefined) {
  return (text: string, from: number): RuleMatch | null => {
    regex.lastIndex = from;
    const m = regex.exec(text);
    if (!m?.indices) return null;
    const whole = m.indices[0] as [number, number];
    let span: [number, number] | undefined;
    if (group !== undefined) span = m.indices[group];
    else
      for (let g = 1; g < m.indices.length && !span; g++) {
        const s = m.indices[g];
        if (s && s[1] > s[0]) span = s;
      }
    const [secretStart, secretEnd] = span ?? whole;
    // An empty match would stall the caller: step over it.
    return { start: whole[0], end: Math.max(whole[1], whole[0] + 1), secretStart, secretEnd };
  };
}

function re2Next(pattern: RE2JS, group: number | undefined) {
  return (text: string, from: number): RuleMatch | null => {
    const m = pattern.matcher(text);
    if (!m.find(from)) return null;
    const start = m.start();
    const end = m.end();
    let secretStart = start;
    let secretEnd = end;
    const groups = m.groupCount();
    if (group !== undefined && group <= groups) {
      secretStart = m.start(group);
      secretEnd = m.end(group);
    } else if (group === undefined)
      for (let g = 1; g <= groups; g++)
        if (m.start(g) >= 0 && m.end(g) > m.start(g)) {
          secretStart = m.start(g);
          secretEnd = m.end(g);
          break;
        }
    if (secretStart < 0) {
      secretStart = start;
      secretEnd = end;
    }
    return { start, end: Math.max(end, start + 1), secretStart, secretEnd };
  };
}

function compileGo(pattern: string): RegExp | string {
  const translated = translateGoRegex(pattern);
  if (!translated.ok) return translated.error;
  try {
    return new RegExp(translated.source, 'gd');
  } catch (error) {
    return (error as Error).message;
  }
}

function compileAllowlist(a: VendoredAllowlist): Allowlist | string {
  const regexes: RegExp[] = [];
  for (const source of a.regexes ?? []) {
    const compiled = compileGo(source);
    if (typeof compiled === 'string') return `allowlist pattern ${JSON.stringify(source)}: ${compiled}`;
    // Allowlist patterns test a whole string; a global regex would carry lastIndex between tests.
    regexes.push(new RegExp(compiled.source, ''));
  }
  const target = a.regexTarget === 'match' || a.regexTarget === 'line' ? a.regexTarget : 'secret';
  return {
    condition: a.condition === 'AND' ? 'AND' : 'OR',
    target,
    regexes,
    stopwords: (a.stopwords ?? []).map((s) => s.toLowerCase()),
    hasPaths: (a.paths ?? []).length > 0,
  };
}

/** Multi-line secrets (PEM blocks, curl commands, YAML documents) need a wider window after the keyword. */
const WIDE = /PRIVATE KEY|\[\\s\\S\]|\(\?s|\\n|\\r/;
const TEMPLATE = /^(?:\(\?i\))?\[\\w\.-\]\{0,50\}\?/;

export interface VendoredRules {
  rules: SecretRule[];
  /** The global allowlist, applied to every rule's secret. */
  allowlist: Allowlist;
  /** Rules that could not be compiled, or that cannot apply to journal text, with why. */
  problems: RuleProblem[];
}

let cache: VendoredRules | undefined;

/** The vendored gitleaks rules, compiled once per process. */
export function vendoredRules(): VendoredRules {
  if (cache) return cache;
  const problems: RuleProblem[] = [...data.skipped];
  const rules: SecretRule[] = [];
  for (const rule of data.rules) {
    const regex = compileGo(rule.regex);
    if (typeof regex === 'string') {
      problems.push({ id: rule.id, reason: `does not compile as JavaScript: ${regex}` });
      continue;
    }
    const allowlists: Allowlist[] = [];
    let broken: string | undefined;
    for (const a of rule.allowlists ?? []) {
      const compiled = compileAllowlist(a);
      if (typeof compiled === 'string') broken = compiled;
      else allowlists.push(compiled);
    }
    if (broken) {
      problems.push({ id: rule.id, reason: broken });
      continue;
    }
    const generic = rule.id.startsWith('generic');
    rules.push({
      id: rule.id,
      origin: 'gitleaks',
      keywords: rule.keywords,
      entropy: rule.entropy,
      priority: generic ? 2 : 1,
      // The gitleaks template `[\w.-]{0,50}?(?:keyword)` starts at most 50 characters before it.
      before: TEMPLATE.test(rule.regex) ? 64 : 256,
      after: WIDE.test(rule.regex) ? 16 * 1024 : 512,
      allowlists,
      needsDigit: generic,
      next: jsNext(regex, rule.secretGroup),
    });
  }
  const global = compileAllowlist(data.allowlist);
  cache = {
    rules,
    allowlist:
      typeof global === 'string'
        ? { condition: 'OR', target: 'secret', regexes: [], stopwords: [], hasPaths: false }
        : global,
    problems,
  };
  return cache;
}

/** An organization's pattern, as written in the policy's `redaction.patterns`. */
export interface OrganizationPattern {
  id: string;
  regex: string;
  keywords?: readonly string[] | undefined;
  entropy?: number | undefined;
  secretGroup?: number | undefined;
}

/** Why `regex` is not a valid RE2 pattern, or null (policy checks report it with line and column). */
export function organizationPatternProblem(regex: string): string | null {
  try {
    RE2JS.compile(regex);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Compiles an organization pattern on RE2; throws for an invalid one (policy checks catch it first). */
export function compileOrganizationPattern(pattern: OrganizationPattern): SecretRule {
  const compiled = RE2JS.compile(pattern.regex);
  return {
    id: pattern.id,
    origin: 'organization',
    keywords: (pattern.keywords ?? []).map((k) => k.toLowerCase()),
    entropy: pattern.entropy,
    priority: 0,
    before: 512,
    after: 4096,
    allowlists: [],
    needsDigit: false,
    next: re2Next(compiled, pattern.secretGroup),
  };
}
