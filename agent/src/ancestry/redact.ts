/** What replaces a secret in a recorded command line. */
export const REDACTED = '[REDACTED]';

/**
 * Words that make a flag or variable name secret when they are one of its parts
 * (`--api-key`, `GITHUB_TOKEN`) or end a glued name (`PGPASSWORD`, `githubtoken`).
 */
const SECRET_PARTS = new Set([
  'password',
  'passwd',
  'pass',
  'passphrase',
  'pwd',
  'token',
  'secret',
  'apikey',
  'key',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'cookie',
  'bearer',
  'privatekey',
  'accesskey',
  'secretkey',
]);
const SECRET_SUFFIXES = ['password', 'passwd', 'secret', 'token', 'apikey', 'pwd'];
/** A last part that makes the value a reference to a secret rather than the secret: `--password-file`. */
const REFERENCE_PARTS = new Set([
  'file',
  'path',
  'dir',
  'id',
  'name',
  'type',
  'env',
  'length',
  'size',
  'count',
]);
/** Flags whose value is `user:password` (curl, wget). */
const USER_PASSWORD_FLAGS = new Set(['-u', '--user', '--proxy-user']);

/** Secrets recognisable by shape anywhere in an argument; order matters (sk-ant- before sk-). */
const INLINE_SECRETS: readonly (readonly [RegExp, string])[] = [
  [/sk-ant-[A-Za-z0-9_-]+/g, `sk-ant-${REDACTED}`],
  [/\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/g, `sk-${REDACTED}`],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, REDACTED],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, REDACTED],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  // JWTs: base64url JSON header and payload (both start `eyJ`), then the signature.
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, REDACTED],
  [/\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [
    /\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|cookie|set-cookie)(\s*[:=]\s*)[^\r\n]+/gi,
    `$1$2${REDACTED}`,
  ],
  // RFC 3986 3.2.1: userinfo "user:password@" is deprecated but still seen in clone URLs.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@/\s]+@/gi, `$1:${REDACTED}@`],
  [
    /([?&;](?:access_token|refresh_token|id_token|token|api_key|apikey|key|password|secret|client_secret|sig|signature|auth)=)[^&\s#]+/gi,
    `$1${REDACTED}`,
  ],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
];

export interface RedactedArgv {
  argv: string[];
  /** Number of redactions made (0: the command line is recorded as it was). */
  redactions: number;
}

/** True for flag and variable names that carry a secret: `--password`, `ANTHROPIC_API_KEY`, `PGPASSWORD`. */
export function isSecretName(name: string): boolean {
  const parts = name
    .replace(/^-+/, '')
    .toLowerCase()
    .split(/[-_.]+/)
    .filter((p) => p.length > 0);
  const last = parts.at(-1);
  if (last === undefined || REFERENCE_PARTS.has(last)) return false;
  return parts.some((p) => SECRET_PARTS.has(p) || SECRET_SUFFIXES.some((s) => p.endsWith(s)));
}

/**
 * Redacts secrets from a command line before it is recorded: values of secret flags
 * (`--password x`, `--token=x`), secret variable assignments (`API_KEY=x`), `user:password`
 * of curl's `-u`, and secrets recognisable anywhere by shape (`sk-ant-...`, bearer tokens,
 * GitHub/GitLab/Slack/AWS tokens, JWTs, URL passwords, private keys). Over-redacts rather than
 * under-redacts: a journal cannot take a leaked secret back.
 */
export function redactArgv(argv: readonly string[]): RedactedArgv {
  const out: string[] = [];
  let redactions = 0;
  let redactNext = false;
  let userPasswordNext = false;
  for (const arg of argv) {
    // `--auth --verbose`: a long flag after a secret flag is a flag, not its value.
    if (redactNext && !arg.startsWith('--')) {
      redactNext = false;
      out.push(REDACTED);
      redactions++;
      continue;
    }
    redactNext = false;
    if (userPasswordNext) {
      userPasswordNext = false;
      const colon = arg.indexOf(':');
      if (colon >= 0) {
        out.push(`${arg.slice(0, colon)}:${REDACTED}`);
        redactions++;
        continue;
      }
    }
    const flagWithValue = /^(--?[A-Za-z][\w.-]*)=/s.exec(arg);
    if (flagWithValue?.[1] && isSecretName(flagWithValue[1])) {
      out.push(`${flagWithValue[1]}=${REDACTED}`);
      redactions++;
      continue;
    }
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=/s.exec(arg);
    if (assignment?.[1] && isSecretName(assignment[1])) {
      out.push(`${assignment[1]}=${REDACTED}`);
      redactions++;
      continue;
    }
    if (/^--?[A-Za-z][\w.-]+$/.test(arg) && isSecretName(arg)) {
      out.push(arg);
      redactNext = true;
      continue;
    }
    if (USER_PASSWORD_FLAGS.has(arg)) {
      out.push(arg);
      userPasswordNext = true;
      continue;
    }
    if (/^bearer$/i.test(arg)) {
      out.push(arg);
      redactNext = true;
      continue;
    }
    const inline = redactInline(arg);
    out.push(inline.text);
    redactions += inline.count;
  }
  return { argv: out, redactions };
}

/** Applies the by-shape patterns to one string. */
export function redactInline(text: string): { text: string; count: number } {
  let count = 0;
  let result = text;
  for (const [pattern, replacement] of INLINE_SECRETS) {
    result = result.replace(pattern, (...match: unknown[]) => {
      count++;
      return replacement.replace(/\$(\d)/g, (_, n: string) => String(match[Number(n)] ?? ''));
    });
  }
  return { text: result, count };
}
