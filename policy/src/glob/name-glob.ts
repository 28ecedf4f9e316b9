import { expandBraces } from './braces.ts';
import { escapeRegex } from './path-glob.ts';

/**
 * Globs over names (tool names, program names, MCP server names): `*` matches any run of
 * characters, `?` one character, `{a,b}` alternatives. Exact names are kept in a Set so the
 * common case is one hash lookup.
 */
export interface NameMatcher {
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
  readonly matchesAll: boolean;
  test(name: string): boolean;
}

export function compileNameMatcher(globs: readonly string[], caseInsensitive = false): NameMatcher {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  let matchesAll = false;
  for (const glob of globs) {
    for (const alternative of expandBraces(glob) ?? [glob]) {
      if (alternative === '*' || alternative === '**') matchesAll = true;
      else if (!/[*?]/.test(alternative))
        exact.add(caseInsensitive ? alternative.toLowerCase() : alternative);
      else patterns.push(nameGlobToRegex(alternative, caseInsensitive));
    }
  }
  return {
    exact,
    patterns,
    matchesAll,
    test(name: string): boolean {
      if (matchesAll) return true;
      if (exact.has(caseInsensitive ? name.toLowerCase() : name)) return true;
      for (const pattern of patterns) if (pattern.test(name)) return true;
      return false;
    },
  };
}

export function nameGlobToRegex(glob: string, caseInsensitive = false): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += escapeRegex(ch);
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'iu' : 'u');
}

/**
 * Host patterns: `example.com` is that host only; `*.example.com` is any subdomain at any depth
 * (not the apex); `*` is every host. Hosts are compared lowercase without a trailing dot.
 */
export function compileHostMatcher(globs: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const patterns: RegExp[] = [];
  let matchesAll = false;
  for (const glob of globs) {
    const host = normaliseHostPattern(glob);
    if (host === '*') matchesAll = true;
    else if (host.startsWith('*.') && !/[*?]/.test(host.slice(2))) suffixes.push(host.slice(1));
    else if (/[*?]/.test(host)) patterns.push(nameGlobToRegex(host, true));
    else exact.add(host);
  }
  return {
    exact,
    patterns,
    matchesAll,
    test(name: string): boolean {
      if (matchesAll) return true;
      const host = normaliseHostPattern(name);
      if (exact.has(host)) return true;
      for (const suffix of suffixes) if (host.endsWith(suffix) && host.length > suffix.length) return true;
      for (const pattern of patterns) if (pattern.test(host)) return true;
      return false;
    },
  };
}

export function normaliseHostPattern(host: string): string {
  let out = host.trim().toLowerCase();
  while (out.endsWith('.')) out = out.slice(0, -1);
  return out;
}
