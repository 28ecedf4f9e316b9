/**
 * Path globs: policy patterns such as `/home/u/.ssh/**` or `/**\/.env`, and shell glob words such
 * as `/home/u/.ss?/id_*` found in commands. Both compile to segments; policy patterns also compile
 * to one RegExp for the hot path (a literal path against a pattern).
 *
 * Semantics (documented in policy/README.md):
 * - `*` and `?` never cross `/`; `[...]` is a character class (`[!...]` negates);
 * - `**` as a whole segment matches zero or more segments, so `/a/**` matches `/a` itself;
 * - policy patterns let wildcards match a leading dot; shell patterns do not (bash without
 *   dotglob), which is what makes `cat ~/*` unable to reach `~/.ssh`.
 */

export type CharToken =
  | { kind: 'char'; ch: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; re: RegExp; source: string };

export type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'pattern'; tokens: CharToken[]; re: RegExp; matchesDot: boolean }
  | { kind: 'globstar' };

export interface PathGlob {
  /** The pattern as written after placeholder substitution (for messages). */
  source: string;
  segments: Segment[];
  regex: RegExp;
  /** Leading literal segments as an absolute path (`/` when the first segment is a wildcard). */
  staticPrefix: string;
  /** True when every segment is literal. */
  literal: boolean;
  /** The leading literal segments (the static prefix, split). */
  prefixSegments: string[];
}

export interface GlobOptions {
  /** Shell semantics: wildcards do not match a leading dot. */
  shell?: boolean;
  caseInsensitive?: boolean;
}

/**
 * Parses an absolute escaped pattern (quoted characters preceded by `\`). `..` and `.` segments
 * must already be normalised by the caller.
 */
export function compilePathGlob(source: string, options: GlobOptions = {}): PathGlob {
  const segments = splitSegments(source).map((part) => parseSegment(part, options));
  const collapsed: Segment[] = [];
  for (const segment of segments) {
    const last = collapsed[collapsed.length - 1];
    if (segment.kind === 'globstar' && last?.kind === 'globstar') continue;
    collapsed.push(segment);
  }
  let prefix = '';
  const prefixSegments: string[] = [];
  for (const segment of collapsed) {
    if (segment.kind !== 'literal') break;
    prefix += `/${segment.text}`;
    prefixSegments.push(segment.text);
  }
  return {
    source,
    segments: collapsed,
    regex: new RegExp(`^${segmentsRegexSource(collapsed)}$`, options.caseInsensitive ? 'iu' : 'u'),
    staticPrefix: prefix || '/',
    literal: collapsed.every((segment) => segment.kind === 'literal'),
    prefixSegments,
  };
}

/** Splits on unescaped `/`, dropping empty parts (leading slash, `//`). */
export function splitSegments(source: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] ?? '';
    if (ch === '\\' && i + 1 < source.length) {
      current += ch + (source[i + 1] ?? '');
      i++;
    } else if (ch === '/') {
      if (current) parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current) parts.push(current);
  return parts;
}

export function hasGlobChars(escaped: string): boolean {
  for (let i = 0; i < escaped.length; i++) {
    const ch = escaped[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '*' || ch === '?') return true;
    if (ch === '[' && closingBracket(escaped, i) > 0) return true;
  }
  return false;
}

export function unescapeGlob(escaped: string): string {
  return escaped.replace(/\\([\s\S])/g, '$1');
}

/** Escapes every character that is glob syntax, so a literal path can become a pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]{}]/g, '\\$&');
}

function closingBracket(text: string, open: number): number {
  let j = open + 1;
  if (text[j] === '!' || text[j] === '^') j++;
  if (text[j] === ']') j++;
  for (; j < text.length; j++) {
    if (text[j] === '\\') {
      j++;
      continue;
    }
    // `[:alpha:]`, `[=a=]`, `[.x.]` inside a bracket end at their own `:]`, `=]`, `.]`.
    const inner = /^\[([:=.])/.exec(text.slice(j))?.[1];
    if (inner) {
      const end = text.indexOf(`${inner}]`, j + 2);
      if (end > 0 && !text.slice(j, end).includes('/')) {
        j = end + 1;
        continue;
      }
    }
    if (text[j] === '/') return -1;
    if (text[j] === ']') return j;
  }
  return -1;
}

/** POSIX character classes as bash matches them (in the C and UTF-8 locales, as Unicode properties). */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '\\p{L}\\p{Nd}',
  alpha: '\\p{L}',
  ascii: '\\x00-\\x7f',
  blank: ' \\t',
  cntrl: '\\p{Cc}',
  digit: '0-9',
  graph: '\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}',
  lower: '\\p{Ll}',
  print: '\\p{L}\\p{M}\\p{N}\\p{P}\\p{S} ',
  punct: '\\p{P}\\p{S}',
  space: '\\s',
  upper: '\\p{Lu}',
  word: '\\p{L}\\p{Nd}_',
  xdigit: '0-9A-Fa-f',
};

function parseSegment(part: string, options: GlobOptions): Segment {
  if (part === '**') return { kind: 'globstar' };
  if (!hasGlobChars(part)) return { kind: 'literal', text: unescapeGlob(part) };
  const tokens: CharToken[] = [];
  for (let i = 0; i < part.length; i++) {
    const ch = part[i] ?? '';
    if (ch === '\\' && i + 1 < part.length) {
      tokens.push({ kind: 'char', ch: part[i + 1] ?? '' });
      i++;
    } else if (ch === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (ch === '?') tokens.push({ kind: 'any' });
    else if (ch === '[' && closingBracket(part, i) > 0) {
      const close = closingBracket(part, i);
      const source = classSource(part.slice(i + 1, close));
      tokens.push({
        kind: 'class',
        re: new RegExp(`^${source}$`, options.caseInsensitive ? 'iu' : 'u'),
        source,
      });
      i = close;
    } else tokens.push({ kind: 'char', ch });
  }
  const matchesDot = !options.shell;
  const body = tokens.map(tokenRegexSource).join('');
  const guard = !matchesDot && tokens[0]?.kind !== 'char' ? '(?!\\.)' : '';
  return {
    kind: 'pattern',
    tokens,
    re: new RegExp(`^${guard}${body}$`, options.caseInsensitive ? 'iu' : 'u'),
    matchesDot,
  };
}

function classSource(inner: string): string {
  let negated = false;
  let body = inner;
  if (body.startsWith('!') || body.startsWith('^')) {
    negated = true;
    body = body.slice(1);
  }
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    const bracketed = /^\[([:=.])(.*?)\1\]/s.exec(body.slice(i));
    if (bracketed) {
      const [whole, kind, name = ''] = bracketed;
      // An unknown class name could be anything bash accepts in some locale: match any character.
      if (kind === ':') out += POSIX_CLASSES[name] ?? '\\s\\S';
      else out += [...name].map(escapeClassChar).join('');
      i += whole.length - 1;
    } else if (ch === '\\' && i + 1 < body.length) {
      out += escapeClassChar(body[i + 1] ?? '');
      i++;
    } else if (ch === '-' && i > 0 && i < body.length - 1) out += '-';
    else out += escapeClassChar(ch);
  }
  // A class never matches `/` (fnmatch FNM_PATHNAME).
  return negated ? `[^/${out}]` : `(?!/)[${out}]`;
}

function escapeClassChar(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch;
}

function tokenRegexSource(token: CharToken): string {
  switch (token.kind) {
    case 'char':
      return escapeRegex(token.ch);
    case 'any':
      return '[^/]';
    case 'star':
      return '[^/]*';
    case 'class':
      return token.source;
  }
}

export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function segmentsRegexSource(segments: Segment[]): string {
  if (segments.length === 0) return '/';
  let out = '';
  for (const segment of segments) {
    if (segment.kind === 'globstar') out += '(?:/[\\s\\S]*)?';
    else if (segment.kind === 'literal') out += `/${escapeRegex(segment.text)}`;
    else {
      const source = segment.re.source;
      out += `/${source.slice(1, -1)}`;
    }
  }
  return out;
}

/** Does a literal path segment satisfy a glob segment? */
function segmentAccepts(segment: Segment, text: string): boolean {
  if (segment.kind === 'globstar') return true;
  if (segment.kind === 'literal') return segment.text === text;
  return segment.re.test(text);
}

/**
 * May some path match both `a` and `b`? Exact for literal-vs-pattern segments, and a product
 * automaton for pattern-vs-pattern segments; character classes against each other are treated
 * as compatible (over-approximation, used only where "may" means "deny").
 */
export function globsMayIntersect(a: Segment[], b: Segment[]): boolean {
  const memo = new Map<number, boolean>();
  const width = b.length + 1;
  const visit = (i: number, j: number): boolean => {
    const key = i * width + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    memo.set(key, false);
    let result = false;
    const x = a[i];
    const y = b[j];
    if (!x && !y) result = true;
    else if (x?.kind === 'globstar') result = visit(i + 1, j) || (y !== undefined && visit(i, j + 1));
    else if (y?.kind === 'globstar') result = visit(i, j + 1) || (x !== undefined && visit(i + 1, j));
    else if (x && y) result = segmentsCompatible(x, y) && visit(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return visit(0, 0);
}

export function segmentsCompatible(x: Segment, y: Segment): boolean {
  if (x.kind === 'globstar' || y.kind === 'globstar') return true;
  if (x.kind === 'literal') return segmentAccepts(y, x.text);
  if (y.kind === 'literal') return segmentAccepts(x, y.text);
  return patternsIntersect(x, y);
}

function patternsIntersect(
  x: Extract<Segment, { kind: 'pattern' }>,
  y: Extract<Segment, { kind: 'pattern' }>,
): boolean {
  const a = x.tokens;
  const b = y.tokens;
  // State: positions in a and b, and whether a character has been consumed (the dot rule).
  const width = b.length + 1;
  const seen = new Uint8Array((a.length + 1) * width * 2);
  const stack: number[] = [0, 0, 0];
  while (stack.length > 0) {
    const started = stack.pop() === 1;
    const j = stack.pop() ?? 0;
    const i = stack.pop() ?? 0;
    const key = ((i * width + j) << 1) | (started ? 1 : 0);
    if (seen[key]) continue;
    seen[key] = 1;
    const ta = a[i];
    const tb = b[j];
    if (!ta && !tb) return true;
    if (ta?.kind === 'star') stack.push(i + 1, j, started ? 1 : 0);
    if (tb?.kind === 'star') stack.push(i, j + 1, started ? 1 : 0);
    if (ta && tb && charTokensCompatible(ta, tb, started, x.matchesDot, y.matchesDot)) {
      stack.push(ta.kind === 'star' ? i : i + 1, tb.kind === 'star' ? j : j + 1, 1);
    }
  }
  return false;
}

function charTokensCompatible(
  a: CharToken,
  b: CharToken,
  started: boolean,
  aDot: boolean,
  bDot: boolean,
): boolean {
  if (!started) {
    // A wildcard in a shell pattern cannot supply the leading dot of a name.
    const aWild = a.kind !== 'char';
    const bWild = b.kind !== 'char';
    if (aWild && !aDot && b.kind === 'char' && b.ch === '.') return false;
    if (bWild && !bDot && a.kind === 'char' && a.ch === '.') return false;
  }
  if (a.kind === 'char' && b.kind === 'char') return a.ch === b.ch;
  if (a.kind === 'char') return charTokenAccepts(b, a.ch);
  if (b.kind === 'char') return charTokenAccepts(a, b.ch);
  return true;
}

function charTokenAccepts(token: CharToken, ch: string): boolean {
  if (token.kind === 'class') return token.re.test(ch);
  return ch !== '/';
}

/**
 * May an expansion of `dir` be a directory whose subtree contains a match of `glob`, with the
 * match reached through a named segment rather than only through `**`? That is what makes
 * `rm -rf ~` or `mv ~/.claude x` touch `~/.ssh/**` or `.claude/settings.json`, while
 * `rm -rf dist` does not count as touching `**\/.env`. The root directory always counts.
 */
export function mayContainMatch(dir: Segment[], glob: Segment[]): boolean {
  if (dir.length === 0) return true;
  const n = dir.length;
  const m = glob.length;
  // 0 = unknown, 1 = visiting/false, 2 = true; index (i, j, specific).
  const memo = new Uint8Array((n + 1) * (m + 1) * 2);
  const visit = (i: number, j: number, specific: boolean): boolean => {
    const key = ((i * (m + 1) + j) << 1) | (specific ? 1 : 0);
    const cached = memo[key];
    if (cached) return cached === 2;
    memo[key] = 1;
    let result = false;
    const d = dir[i];
    const g = glob[j];
    if (!d) result = specific;
    else if (!g) result = false;
    else if (d.kind === 'globstar') result = true;
    else if (g.kind === 'globstar') result = visit(i, j + 1, specific) || visit(i + 1, j, false);
    else result = segmentsCompatible(d, g) && visit(i + 1, j + 1, true);
    memo[key] = result ? 2 : 1;
    return result;
  };
  return visit(0, 0, false);
}

/**
 * mayContainMatch for a literal folder, with the common answers found from the glob's literal
 * prefix alone: a folder beside the prefix cannot contain a match; a folder above it always does.
 */
export function literalDirMayContainMatch(
  dir: readonly string[],
  dirSegments: Segment[],
  glob: PathGlob,
  caseInsensitive = false,
): boolean {
  if (dir.length === 0) return true;
  const prefix = glob.prefixSegments;
  const common = Math.min(dir.length, prefix.length);
  for (let k = 0; k < common; k++) {
    const a = dir[k] ?? '';
    const b = prefix[k] ?? '';
    if (a !== b && !(caseInsensitive && a.toLowerCase() === b.toLowerCase())) return false;
  }
  if (prefix.length > 0 && dir.length <= prefix.length) return true;
  return mayContainMatch(dirSegments, glob.segments);
}

/** `/a/b/**`-shaped globs: their root directory, else undefined. */
export function subtreeRoot(glob: PathGlob): string | undefined {
  const last = glob.segments[glob.segments.length - 1];
  if (last?.kind !== 'globstar') return undefined;
  for (let k = 0; k < glob.segments.length - 1; k++) {
    if (glob.segments[k]?.kind !== 'literal') return undefined;
  }
  return glob.staticPrefix;
}

/** Could a segment of this shell pattern expand to `.` or `..` (and so climb out of its prefix)? */
export function mayMatchDotDirs(segments: Segment[]): boolean {
  return segments.some(
    (segment) => segment.kind === 'pattern' && (segment.re.test('..') || segment.re.test('.')),
  );
}

export function isWithin(path: string, root: string): boolean {
  if (root === '/') return path.startsWith('/');
  return path === root || path.startsWith(`${root}/`);
}
