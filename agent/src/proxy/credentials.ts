import { randomBytes } from 'node:crypto';

/**
 * The model API credential stays with the proxy (issue 12.5): the agent, and so every tool it
 * runs (`env`, `/proc/<pid>/environ`, a nested `claude -p`), gets a placeholder valid for this
 * session only, and the proxy puts the real value back on the way upstream. A request that carries
 * anything else is refused, so a placeholder is useless anywhere but this session's proxy.
 */
export interface CredentialSpec {
  /** The environment variable that holds the credential (`ANTHROPIC_API_KEY`). */
  variable: string;
  /** The request header that carries it. */
  header: 'x-api-key' | 'authorization';
  /** The placeholder's shape, so the agent treats it like the real kind (`sk-ant-api03-`). */
  prefix: string;
  /** Keep the real value's last characters: Claude Code's key approval compares the last 20. */
  keepSuffix?: number;
}

export interface SessionCredentials {
  /** True when the environment held a credential and placeholders stand in for it. */
  readonly active: boolean;
  /** The agent's environment: each credential replaced by its placeholder. */
  readonly env: Readonly<Record<string, string>>;
  /** The variables replaced (for the journal; never the values). */
  readonly replaced: readonly string[];
  /**
   * Puts the real credential in place of the placeholder: `ok`; `refused` when the request
   * carries a credential that is not this session's placeholder; `none` when it carries none
   * (the connectivity probe). With no credential in the environment, requests pass unchanged
   * (`ok`: a login the agent keeps itself).
   */
  swap(headers: Headers): 'ok' | 'refused' | 'none';
}

export function createSessionCredentials(
  env: Readonly<Record<string, string | undefined>>,
  specs: readonly CredentialSpec[],
  random: (bytes: number) => string = (bytes) => randomBytes(bytes).toString('base64url'),
): SessionCredentials {
  const byHeader = new Map<string, Map<string, string>>();
  const placeholders: Record<string, string> = {};
  for (const spec of specs) {
    const real = env[spec.variable];
    if (!real) continue;
    const suffix =
      spec.keepSuffix && real.length > spec.keepSuffix * 2 ? `-${real.slice(-spec.keepSuffix)}` : '';
    const placeholder = `${spec.prefix}ceros-session-${random(24)}${suffix}`;
    placeholders[spec.variable] = placeholder;
    const wire = spec.header === 'authorization' ? `Bearer ${placeholder}` : placeholder;
    const realWire = spec.header === 'authorization' ? `Bearer ${real}` : real;
    const map = byHeader.get(spec.header) ?? new Map<string, string>();
    map.set(wire, realWire);
    byHeader.set(spec.header, map);
  }
  const active = byHeader.size > 0;
  return {
    active,
    env: placeholders,
    replaced: Object.keys(placeholders),
    swap: (headers) => {
      if (!active) return 'ok';
      let carried = false;
      for (const header of ['x-api-key', 'authorization'] as const) {
        const value = headers.get(header);
        if (value === null) continue;
        carried = true;
        const real = byHeader.get(header)?.get(value);
        if (real === undefined) return 'refused';
        headers.set(header, real);
      }
      return carried ? 'ok' : 'none';
    },
  };
}

/** Claude Code's credentials in the environment (claude-code-surface.md 4): key, bearer token, OAuth token. */
export const CLAUDE_CREDENTIALS: readonly CredentialSpec[] = [
  { variable: 'ANTHROPIC_API_KEY', header: 'x-api-key', prefix: 'sk-ant-api03-', keepSuffix: 20 },
  { variable: 'ANTHROPIC_AUTH_TOKEN', header: 'authorization', prefix: '' },
  { variable: 'CLAUDE_CODE_OAUTH_TOKEN', header: 'authorization', prefix: 'sk-ant-oat01-' },
];
