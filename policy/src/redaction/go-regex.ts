/**
 * Go's regexp syntax (RE2) as a JavaScript regular expression, for the vendored gitleaks rules,
 * which are written for Go. What differs and is translated:
 * - inline flags `(?i)` anywhere in a group: JavaScript has only the scoped form `(?i:...)`, so a
 *   flag group opens a modifier group that closes where the enclosing group closes (RE2 applies
 *   the flag to the rest of the group, across `|`);
 * - `(?P<name>...)` named groups, `\z` and `\A`, `\Q...\E` literals, `\x{...}` code points and
 *   POSIX classes such as `[[:alnum:]]`.
 * What cannot be translated is refused with the reason (the ungreedy flag `U`, Unicode classes),
 * and the caller reports the rule instead of running a different pattern.
 */

export type GoRegexResult = { ok: true; source: string } | { ok: false; error: string };

const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

class Untranslatable extends Error {}

const escapeLiteral = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** `\x{1F600}` and friends as JavaScript escapes usable without the `u` flag. */
function codePoint(hex: string): string {
  const value = Number.parseInt(hex, 16);
  if (!Number.isFinite(value) || value > 0x10ffff) throw new Untranslatable(`bad code point \\x{${hex}}`);
  if (value <= 0xffff) return `\\u${value.toString(16).padStart(4, '0')}`;
  const s = String.fromCodePoint(value);
  return `(?:\\u${s.charCodeAt(0).toString(16)}\\u${s.charCodeAt(1).toString(16)})`;
}

/** Reads one escape at `at` (the backslash); returns its JavaScript form and the next index. */
function readEscape(pattern: string, at: number, inClass: boolean): [string, number] {
  const next = pattern[at + 1];
  if (next === undefined) throw new Untranslatable('trailing backslash');
  if (next === 'x' && pattern[at + 2] === '{') {
    const end = pattern.indexOf('}', at + 3);
    if (end === -1) throw new Untranslatable('unterminated \\x{');
    return [codePoint(pattern.slice(at + 3, end)), end + 1];
  }
  if (next === 'p' || next === 'P') throw new Untranslatable('Unicode classes (\\p) need the u flag');
  if (next === 'C') throw new Untranslatable('\\C (any byte) has no JavaScript form');
  if (!inClass && next === 'z') return ['(?![\\s\\S])', at + 2];
  if (!inClass && next === 'A') return ['(?<![\\s\\S])', at + 2];
  if (next === 'Q') {
    const end = pattern.indexOf('\\E', at + 2);
    const literal = pattern.slice(at + 2, end === -1 ? undefined : end);
    return [escapeLiteral(literal), end === -1 ? pattern.length : end + 2];
  }
  if (/[0-7]/.test(next)) {
    // RE2 reads \1..\7 as octal (it has no backreferences); JavaScript would read a backreference.
    const digits = /^[0-7]{1,3}/.exec(pattern.slice(at + 1))?.[0] ?? '0';
    if (digits !== '0' && !/^0/.test(digits) && digits.length < 2)
      throw new Untranslatable(`\\${digits} is a backreference in JavaScript and octal in RE2`);
    return [`\\x${Number.parseInt(digits, 8).toString(16).padStart(2, '0')}`, at + 1 + digits.length];
  }
  return [`\\${next}`, at + 2];
}

/** A character class from `at` (the `[`); RE2 allows a literal `]` first and POSIX classes inside. */
function charClass(pattern: string, at: number): [string, number] {
  let i = at + 1;
  let out = '[';
  if (pattern[i] === '^') {
    out += '^';
    i++;
  }
  if (pattern[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === ']') return [`${out}]`, i + 1];
    if (c === '\\') {
      const [text, next] = readEscape(pattern, i, true);
      out += text;
      i = next;
      continue;
    }
    if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      const name = end === -1 ? '' : pattern.slice(i + 2, end);
      if (name.startsWith('^')) throw new Untranslatable(`negated POSIX class [:${name}:]`);
      const set = POSIX[name];
      if (!set) throw new Untranslatable(`unknown POSIX class [:${name}:]`);
      out += set;
      i = end + 2;
      continue;
    }
    out += c === '[' ? '\\[' : c;
    i++;
  }
  throw new Untranslatable('unterminated character class');
}

/** Translates an RE2 pattern; the result compiles with flags `gd` (and nothing else is implied). */
export function translateGoRegex(pattern: string): GoRegexResult {
  try {
    const frames: number[] = [0];
    let out = '';
    let i = 0;
    while (i < pattern.length) {
      const c = pattern[i] as string;
      if (c === '\\') {
        const [text, next] = readEscape(pattern, i, false);
        out += text;
        i = next;
      } else if (c === '[') {
        const [text, next] = charClass(pattern, i);
        out += text;
        i = next;
      } else if (c === '(') {
        if (pattern.startsWith('(?P<', i)) {
          out += '(?<';
          frames.push(0);
          i += 4;
          continue;
        }
        const flags = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(pattern.slice(i));
        if (flags && (flags[1] !== '' || flags[2] !== undefined)) {
          const on = flags[1] ?? '';
          const off = flags[2] ?? '';
          if (/[^ims]/.test(on + off))
            throw new Untranslatable(`flag group "${flags[0]}" uses a flag other than i, m, s`);
          const modifier = `(?${on}${off ? `-${off}` : ''}:`;
          out += modifier;
          if (flags[3] === ')') frames[frames.length - 1] = (frames.at(-1) ?? 0) + 1;
          else frames.push(0);
          i += flags[0].length;
          continue;
        }
        out += '(';
        frames.push(0);
        i++;
      } else if (c === ')') {
        if (frames.length === 1) throw new Untranslatable('unbalanced )');
        out += `${')'.repeat(frames.pop() ?? 0)})`;
        i++;
      } else if (c === '/') {
        out += '\\/';
        i++;
      } else {
        out += c;
        i++;
      }
    }
    if (frames.length !== 1) throw new Untranslatable('unbalanced (');
    out += ')'.repeat(frames[0] ?? 0);
    new RegExp(out, 'gd');
    return { ok: true, source: out };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
