import { joinRaw } from './analyze.ts';

/**
 * Path-like literals in text ceros cannot analyse as shell (`python -c`, `node -e`, an MCP
 * argument, the code string of a program ceros does not know). This is not analysis and cannot
 * make code safe; it only lets an obvious `open('/etc/shadow')` or `rmtree('.claude')` be denied by
 * name instead of getting the opaque effect.
 */
const SLASHED =
  /(?:~[A-Za-z0-9._-]*|\$\{?HOME\}?|\.{1,2}|[A-Za-z0-9_.@+-]+)?(?:\/[A-Za-z0-9_.@%+=:,~*?-]+)+\/?/g;
const QUOTED = /(['"`])([^'"`\s]{1,255})\1/g;
/** URLs are hosts, not paths (`https://x/a/.env` names no local file); `file:` URLs are paths. */
const URL = /\b(?!file:)[a-z][a-z0-9+.-]*:\/\/[^\s'"`]*/gi;
const FILE_URL = /\bfile:(?:\/\/[^/\s'"`]*)?(\/[^\s'"`]*)/gi;
const MAX_SCANNED = 64;

/** The literals as written, `~` and `$HOME` expanded, relative ones left relative. */
export interface ScanOptions {
  /** Also quoted names without a slash (`'.env'`): on for code, off for prose (MCP arguments). */
  quoted?: boolean;
}

export function pathLiterals(text: string, home: string, options: ScanOptions = {}): string[] {
  const found = new Set<string>();
  const add = (token: string) => {
    if (found.size >= MAX_SCANNED || token === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(token)) return;
    let path = token.replace(/^\$\{?HOME\}?/, home);
    if (path === '~' || path.startsWith('~/')) path = home + path.slice(1);
    else if (path.startsWith('~')) return;
    found.add(path);
  };
  for (const match of text.matchAll(FILE_URL)) add(safeDecode(match[1] ?? ''));
  const rest = text.replace(URL, ' ').replace(FILE_URL, ' ');
  for (const match of rest.matchAll(SLASHED)) add(match[0]);
  if (options.quoted === false) return [...found];
  for (const match of rest.matchAll(QUOTED)) {
    const token = match[2] ?? '';
    if (/^[A-Za-z0-9_.~$/{}-]+$/.test(token) && /[/.~]/.test(token)) add(token);
  }
  return [...found];
}

/** pathLiterals made absolute against `cwd`. */
export function scanForPaths(text: string, cwd: string, home: string, options: ScanOptions = {}): string[] {
  return pathLiterals(text, home, options).map((path) => joinRaw(cwd, path));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
