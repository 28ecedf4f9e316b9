import { joinRaw } from '../shell/analyze.ts';

/**
 * Path-like literals in code ceros cannot analyse (`python -c`, `node -e`, `eval "$(...)"`). This
 * is not analysis and cannot make code safe; it only lets an obvious `open('/etc/shadow')` or
 * `rmtree('.claude')` be denied by name instead of getting the opaque effect.
 */
const SLASHED =
  /(?:~[A-Za-z0-9._-]*|\$\{?HOME\}?|\.{1,2}|[A-Za-z0-9_.@+-]+)?(?:\/[A-Za-z0-9_.@%+=:,~*?-]+)+\/?/g;
const QUOTED = /(['"`])([^'"`\s]{1,255})\1/g;
const MAX_SCANNED = 64;

export function scanForPaths(text: string, cwd: string, home: string): string[] {
  const found = new Set<string>();
  const add = (token: string) => {
    if (found.size >= MAX_SCANNED || token === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(token)) return;
    let path = token.replace(/^\$\{?HOME\}?/, home);
    if (path === '~' || path.startsWith('~/')) path = home + path.slice(1);
    else if (path.startsWith('~')) return;
    found.add(joinRaw(cwd, path));
  };
  for (const match of text.matchAll(SLASHED)) add(match[0]);
  for (const match of text.matchAll(QUOTED)) {
    const token = match[2] ?? '';
    if (/^[A-Za-z0-9_.~$/{}-]+$/.test(token) && /[/.~]/.test(token)) add(token);
  }
  return [...found];
}
