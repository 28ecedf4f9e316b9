import type { Node } from 'web-tree-sitter';
import { expandBraces } from '../glob/braces.ts';
import { hasGlobChars, unescapeGlob } from '../glob/path-glob.ts';

/**
 * Word expansion, the way bash does it, over tree-sitter nodes: quoting (`c'a't`, `\cat`,
 * `$'\x63at'`), parameters (`$HOME`, `${HOME}`, `${X:-y}`), command substitution, word
 * splitting on IFS (`cat${IFS}/etc/passwd`), brace expansion (`~/.{ssh,aws}`), tilde expansion
 * (`~`, `~root`) and globs (`~/.ss?/id_*`, kept as patterns: the filesystem is not read).
 *
 * Internally a word is built as an *escaped* string: every character that was quoted is
 * preceded by a backslash, so later stages (braces, tilde, glob detection) see only unquoted
 * syntax. Unquoted expansion results mark their IFS characters with NUL, which cannot occur in a
 * bash string, and are split on it last.
 */

/** One argument after expansion. */
export type Field =
  /**
   * `glob`: the escaped pattern when unquoted glob characters remain; `globDot`: it matches
   * dotfiles (set on listings ceros derives from `find`, `ls`, `git ls-files` output); `fromGit`:
   * a listing of what git tracks rather than of the folder on disk.
   */
  | { kind: 'static'; value: string; glob?: string; globDot?: boolean; fromGit?: boolean }
  | { kind: 'dynamic'; text: string; prefix?: string };

/** What a variable may hold: every value it was statically assigned, or "unknown". */
export type VarValue = { kind: 'static'; alts: VarAlt[] } | { kind: 'dynamic' };

/** `glob` set: the variable holds a name matching this escaped pattern (a `for` loop over a glob). */
export interface VarAlt {
  text: string;
  glob?: string;
}

export interface ExpansionScope {
  lookup(name: string): VarValue;
  /** Candidates for `~user` (and `~` when user is empty). */
  homeOf(user: string): string[];
  /** Analyses a `$(...)` / backtick body (it runs) and returns its output when statically known. */
  substitute(node: Node): string | undefined;
  /** Analyses `<(...)` / `>(...)` (it runs). */
  processSubstitution(node: Node): void;
  /** Analyses any commands nested in a construct whose value is not computed (arithmetic...). */
  walkNested(node: Node): void;
}

type Chunk =
  | { kind: 'src'; text: string }
  | { kind: 'quoted'; text: string }
  | { kind: 'exp'; text: string; ifs: string | undefined }
  | { kind: 'pat'; glob: string }
  | { kind: 'dyn' };

const MAX_ALTERNATIVES = 32;
export const DEFAULT_IFS = ' \t\n';
const SPLIT = '\u0000';

export function expandWord(node: Node, scope: ExpansionScope): Field[] {
  const alternatives = collect(node, false, scope);
  if (!alternatives) return [{ kind: 'dynamic', text: node.text }];
  const fields: Field[] = [];
  for (const chunks of alternatives) {
    if (chunks.some((chunk) => chunk.kind === 'dyn')) {
      const prefix = staticPrefix(chunks);
      fields.push(
        prefix === undefined
          ? { kind: 'dynamic', text: node.text }
          : { kind: 'dynamic', text: node.text, prefix },
      );
      continue;
    }
    const expanded = finishWord(chunks, scope);
    if (!expanded) {
      fields.push({ kind: 'dynamic', text: node.text });
      continue;
    }
    fields.push(...expanded);
  }
  return fields;
}

/**
 * The value of an assignment (`X=...`): no word splitting, no globbing, no brace expansion;
 * tilde expansion at the start and after `:` (bash does this for assignments).
 */
export function assignmentValue(node: Node | null, scope: ExpansionScope): VarValue {
  if (!node) return { kind: 'static', alts: [{ text: '' }] };
  const alternatives = collect(node, false, scope);
  if (!alternatives) return { kind: 'dynamic' };
  const alts: VarAlt[] = [];
  for (const chunks of alternatives) {
    if (chunks.some((chunk) => chunk.kind === 'dyn')) return { kind: 'dynamic' };
    const pattern = chunks.find((chunk) => chunk.kind === 'pat');
    if (pattern && chunks.length === 1) {
      alts.push({ text: unescapeGlob(pattern.glob), glob: pattern.glob });
      continue;
    }
    let escaped = '';
    for (const chunk of chunks) {
      if (chunk.kind === 'src') escaped += removeLineContinuations(chunk.text);
      else if (chunk.kind === 'quoted') escaped += escapeAll(chunk.text);
      else if (chunk.kind === 'exp') escaped += escapeAll(chunk.text);
      else if (chunk.kind === 'pat') escaped += chunk.glob;
    }
    for (const withTilde of assignmentTildes(escaped, scope)) alts.push({ text: unescapeGlob(withTilde) });
  }
  return alts.length > MAX_ALTERNATIVES ? { kind: 'dynamic' } : { kind: 'static', alts };
}

/** A word's value when it is one static string (heredoc delimiters, `case` values...). */
export function staticText(node: Node, scope: ExpansionScope): string | undefined {
  const fields = expandWord(node, scope);
  if (fields.length !== 1) return undefined;
  const [field] = fields;
  return field?.kind === 'static' ? field.value : undefined;
}

function staticPrefix(chunks: Chunk[]): string | undefined {
  let out = '';
  for (const chunk of chunks) {
    if (chunk.kind === 'dyn' || chunk.kind === 'pat') break;
    if (chunk.kind === 'src') out += unescapeGlob(removeLineContinuations(chunk.text));
    else if (chunk.kind === 'exp' && chunk.ifs && [...chunk.text].some((ch) => chunk.ifs?.includes(ch)))
      break;
    else out += chunk.text;
  }
  return out || undefined;
}

function finishWord(chunks: Chunk[], scope: ExpansionScope): Field[] | undefined {
  let escaped = '';
  let quotedSeen = false;
  let splitSeen = false;
  for (const chunk of chunks) {
    if (chunk.kind === 'src') escaped += removeLineContinuations(chunk.text);
    else if (chunk.kind === 'quoted') {
      quotedSeen = true;
      escaped += escapeAll(chunk.text);
    } else if (chunk.kind === 'pat') {
      quotedSeen = true;
      escaped += chunk.glob;
    } else if (chunk.kind === 'exp') {
      for (const ch of chunk.text) {
        if (chunk.ifs === undefined) return undefined;
        if (chunk.ifs.includes(ch)) {
          escaped += SPLIT;
          splitSeen = true;
        } else if (ch === '*' || ch === '?' || ch === '[' || ch === ']') escaped += ch;
        else escaped += escapeChar(ch);
      }
    }
  }
  const braced = expandBraces(escaped, 256);
  if (!braced) return undefined;
  const fields: Field[] = [];
  for (const word of braced) {
    const tildes = tildeExpand(word, scope);
    if (!tildes) return undefined;
    for (const withTilde of tildes) {
      for (const piece of withTilde.split(SPLIT)) {
        if (piece === '' && (splitSeen || !quotedSeen)) continue;
        const value = unescapeGlob(piece);
        fields.push(hasGlobChars(piece) ? { kind: 'static', value, glob: piece } : { kind: 'static', value });
      }
    }
  }
  return fields;
}

/** Undefined when the expansion is not statically known (`~-` with OLDPWD unknown). */
function tildeExpand(escaped: string, scope: ExpansionScope): string[] | undefined {
  if (!escaped.startsWith('~')) return [escaped];
  let end = 1;
  while (end < escaped.length && escaped[end] !== '/' && escaped[end] !== SPLIT) {
    if (escaped[end] === '\\') return [escaped];
    end++;
  }
  const user = escaped.slice(1, end);
  if (user === '+' || user === '-') {
    const value = scope.lookup(user === '+' ? 'PWD' : 'OLDPWD');
    if (value.kind !== 'static') return undefined;
    return value.alts.map((alt) => escapeAll(alt.text) + escaped.slice(end));
  }
  if (user !== '' && !/^[A-Za-z0-9._-]+$/.test(user)) return [escaped];
  const homes = scope.homeOf(user);
  if (homes.length === 0) return [escaped];
  return homes.map((home) => escapeAll(home) + escaped.slice(end));
}

function assignmentTildes(escaped: string, scope: ExpansionScope): string[] {
  let results: string[] = [];
  escaped.split(':').forEach((part, index) => {
    const expanded = tildeExpand(part, scope) ?? [part];
    results =
      index === 0 ? expanded : results.flatMap((prefix) => expanded.map((value) => `${prefix}:${value}`));
  });
  return results.length > MAX_ALTERNATIVES ? [escaped] : results;
}

function collect(node: Node, quoted: boolean, scope: ExpansionScope): Chunk[][] | undefined {
  switch (node.type) {
    case 'word':
    case 'number':
    case 'brace_expression':
    case 'extglob_pattern':
    case 'regex':
      return [[quoted ? { kind: 'quoted', text: node.text } : { kind: 'src', text: node.text }]];
    case 'raw_string':
      return [[{ kind: 'quoted', text: node.text.slice(1, -1) }]];
    case 'ansi_c_string':
      return [[{ kind: 'quoted', text: decodeAnsiC(node.text.slice(2, -1)) }]];
    case 'string':
    case 'translated_string':
      return collectString(node, scope);
    case 'simple_expansion':
      return variableChunks(simpleExpansionName(node), quoted, scope);
    case 'expansion':
      return expansionChunks(node, quoted, scope);
    case 'command_substitution': {
      const output = scope.substitute(node);
      if (output === undefined) return [[{ kind: 'dyn' }]];
      const trimmed = output.replace(/\n+$/, '');
      return [
        [quoted ? { kind: 'quoted', text: trimmed } : { kind: 'exp', text: trimmed, ifs: ifsOf(scope) }],
      ];
    }
    case 'process_substitution':
      scope.processSubstitution(node);
      return [[{ kind: 'quoted', text: '/dev/fd/63' }]];
    case 'concatenation': {
      let product: Chunk[][] = [[]];
      for (const child of node.children) {
        if (!child) continue;
        const part = collect(child, quoted, scope);
        if (!part) return undefined;
        const next: Chunk[][] = [];
        for (const left of product) for (const right of part) next.push([...left, ...right]);
        if (next.length > MAX_ALTERNATIVES) return [[{ kind: 'dyn' }]];
        product = next;
      }
      return product;
    }
    default:
      scope.walkNested(node);
      return [[{ kind: 'dyn' }]];
  }
}

function collectString(node: Node, scope: ExpansionScope): Chunk[][] | undefined {
  let product: Chunk[][] = [[{ kind: 'quoted', text: '' }]];
  const children = node.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (!child) continue;
    const isDelimiter = (i === 0 || i === children.length - 1) && (child.type === '"' || child.type === '$"');
    if (isDelimiter) continue;
    let part: Chunk[][] | undefined;
    if (child.type === 'string_content') part = [[{ kind: 'quoted', text: decodeDoubleQuoted(child.text) }]];
    else if (!child.isNamed) part = [[{ kind: 'quoted', text: child.text }]];
    else part = collect(child, true, scope);
    if (!part) return undefined;
    const next: Chunk[][] = [];
    for (const left of product) for (const right of part) next.push([...left, ...right]);
    if (next.length > MAX_ALTERNATIVES) return [[{ kind: 'dyn' }]];
    product = next;
  }
  return product;
}

function simpleExpansionName(node: Node): string {
  for (const child of node.namedChildren) {
    if (child && (child.type === 'variable_name' || child.type === 'special_variable_name'))
      return child.text;
  }
  return node.text.replace(/^\$/, '');
}

function ifsOf(scope: ExpansionScope): string | undefined {
  const value = scope.lookup('IFS');
  if (value.kind !== 'static' || value.alts.length !== 1) return undefined;
  return value.alts[0]?.text;
}

function variableChunks(name: string, quoted: boolean, scope: ExpansionScope): Chunk[][] {
  const value = scope.lookup(name);
  if (value.kind === 'dynamic') return [[{ kind: 'dyn' }]];
  const ifs = ifsOf(scope);
  return value.alts.map((alt): Chunk[] => {
    if (alt.glob !== undefined) return [{ kind: 'pat', glob: alt.glob }];
    return [quoted ? { kind: 'quoted', text: alt.text } : { kind: 'exp', text: alt.text, ifs }];
  });
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!_-]';

function expansionChunks(node: Node, quoted: boolean, scope: ExpansionScope): Chunk[][] | undefined {
  const text = node.text;
  const plain = new RegExp(`^\\$\\{(${NAME})\\}$`).exec(text);
  if (plain?.[1]) return variableChunks(plain[1], quoted, scope);
  const withDefault = new RegExp(`^\\$\\{(${NAME})(:?[-=])([\\s\\S]*)\\}$`).exec(text);
  if (withDefault?.[1]) {
    const value = scope.lookup(withDefault[1]);
    if (value.kind === 'static' && value.alts.every((alt) => alt.text !== '' || alt.glob !== undefined)) {
      return variableChunks(withDefault[1], quoted, scope);
    }
  }
  scope.walkNested(node);
  return [[{ kind: 'dyn' }]];
}

function removeLineContinuations(text: string): string {
  return text.replace(/\\\n/g, '');
}

export function escapeAll(text: string): string {
  let out = '';
  for (const ch of text) out += escapeChar(ch);
  return out;
}

function escapeChar(ch: string): string {
  return /[A-Za-z0-9_/.,:=@%+-]/.test(ch) ? ch : `\\${ch}`;
}

/** Inside double quotes a backslash escapes only `$`, backquote, `"`, `\` and newline. */
export function decodeDoubleQuoted(text: string): string {
  return text.replace(/\\([$`"\\\n])/g, (_match, ch: string) => (ch === '\n' ? '' : ch));
}

/** bash QUOTING "ANSI-C Quoting": `$'...'`. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[++i] ?? '';
    switch (next) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'e':
      case 'E':
        out += '\x1b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))?.[0];
        if (!hex) {
          out += '\\x';
          break;
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += hex.length;
        break;
      }
      case 'u':
      case 'U': {
        const hex = new RegExp(`^[0-9a-fA-F]{1,${next === 'u' ? 4 : 8}}`).exec(body.slice(i + 1))?.[0];
        if (!hex) {
          out += `\\${next}`;
          break;
        }
        const code = Number.parseInt(hex, 16);
        out += code <= 0x10ffff ? String.fromCodePoint(code) : '';
        i += hex.length;
        break;
      }
      case 'c': {
        const control = body[i + 1];
        if (control === undefined) {
          out += '\\c';
          break;
        }
        out += String.fromCharCode(control.toUpperCase().charCodeAt(0) & 0x1f);
        i++;
        break;
      }
      default: {
        const octal = /^[0-7]{1,3}/.exec(body.slice(i))?.[0];
        if (octal) {
          out += String.fromCharCode(Number.parseInt(octal, 8) & 0xff);
          i += octal.length - 1;
        } else if (next === '\\' || next === "'" || next === '"' || next === '?') out += next;
        else out += `\\${next}`;
      }
    }
  }
  return out;
}
