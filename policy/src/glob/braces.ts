/**
 * Brace expansion over an *escaped* string: every character that was quoted in the source is
 * preceded by a backslash, so `\{` and `\,` are literal and only bare braces are syntax. Used for
 * shell words (bash brace expansion happens before tilde, parameter and glob expansion) and for
 * policy globs (`~/.{ssh,aws}/**`).
 *
 * Returns undefined when the expansion would exceed `limit` results: callers treat that word as
 * not statically known rather than truncating it (a truncated list could hide the one bad path).
 */
export function expandBraces(text: string, limit = 256): string[] | undefined {
  const out: string[] = [];
  const ok = expandInto(text, out, limit, 0);
  return ok ? out : undefined;
}

function expandInto(text: string, out: string[], limit: number, depth: number): boolean {
  if (depth > 16) return false;
  const found = findBrace(text);
  if (!found) {
    out.push(text);
    return out.length <= limit;
  }
  const { open, close, parts } = found;
  const head = text.slice(0, open);
  const tail = text.slice(close + 1);
  for (const part of parts) {
    if (!expandInto(head + part + tail, out, limit, depth + 1)) return false;
  }
  return true;
}

interface BraceMatch {
  open: number;
  close: number;
  parts: string[];
}

/** The first brace group that expands: `{a,b}` with a top-level comma, or a `{x..y}` sequence. */
function findBrace(text: string): BraceMatch | undefined {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch !== '{') continue;
    // bash leaves `${` alone: it is a parameter expansion, not a brace group.
    if (i > 0 && text[i - 1] === '$' && !isEscapedAt(text, i - 1)) continue;
    const group = readGroup(text, i);
    if (group) return group;
  }
  return undefined;
}

function isEscapedAt(text: string, index: number): boolean {
  let slashes = 0;
  for (let j = index - 1; j >= 0 && text[j] === '\\'; j--) slashes++;
  return slashes % 2 === 1;
}

function readGroup(text: string, open: number): BraceMatch | undefined {
  let depth = 0;
  const commas: number[] = [];
  for (let j = open; j < text.length; j++) {
    const ch = text[j];
    if (ch === '\\') {
      j++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) {
        const inner = text.slice(open + 1, j);
        if (commas.length > 0) {
          const parts: string[] = [];
          let start = open + 1;
          for (const comma of commas) {
            parts.push(text.slice(start, comma));
            start = comma + 1;
          }
          parts.push(text.slice(start, j));
          return { open, close: j, parts };
        }
        const sequence = expandSequence(inner);
        if (sequence) return { open, close: j, parts: sequence };
        return undefined;
      }
    } else if (ch === ',' && depth === 1) commas.push(j);
  }
  return undefined;
}

/** `{1..5}`, `{01..10..2}`, `{a..e}`: bash sequence expressions. */
function expandSequence(inner: string): string[] | undefined {
  const numeric = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(inner);
  if (numeric) {
    const [, a = '', b = '', stepText] = numeric;
    const from = Number(a);
    const to = Number(b);
    const step = Math.abs(Number(stepText ?? '1')) || 1;
    if (Math.abs(to - from) / step > 1024) return undefined;
    const width = a.startsWith('0') || b.startsWith('0') ? Math.max(a.length, b.length) : 0;
    const out: string[] = [];
    for (let n = from; from <= to ? n <= to : n >= to; n += from <= to ? step : -step) {
      out.push(width ? String(n).padStart(width, '0') : String(n));
    }
    return out;
  }
  const alpha = /^([A-Za-z])\.\.([A-Za-z])$/.exec(inner);
  if (alpha) {
    const from = (alpha[1] ?? 'a').charCodeAt(0);
    const to = (alpha[2] ?? 'a').charCodeAt(0);
    const out: string[] = [];
    for (let c = from; from <= to ? c <= to : c >= to; c += from <= to ? 1 : -1) {
      const ch = String.fromCharCode(c);
      // A range such as {Z..a} passes through [ \ ] ^ _ `; keep them literal.
      out.push(/[A-Za-z0-9]/.test(ch) ? ch : `\\${ch}`);
    }
    return out;
  }
  return undefined;
}
