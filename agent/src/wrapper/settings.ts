import {
  BLOCKING_EVENTS,
  HOOK_EVENTS,
  HOOK_HTTP_PREFIX,
  HOOK_TOKEN_HEADER,
  type HookEvent,
  HTTP_EVENTS,
  SETTINGS_HOOK_TIMEOUT_S,
} from '../hook/events.ts';

export interface WrapperSettingsOptions {
  /** Absolute path of the ceros binary the hooks run. */
  cerosBinary: string;
  proxyUrl: string;
  /** Authenticates HTTP hooks to the session's loopback server. */
  hookToken: string;
  /** Deterministic deny rules (Claude Code permission syntax): the layer that holds when hooks fail. */
  permissionsDeny: string[];
  allowedMcpServers?: unknown[];
  deniedMcpServers?: unknown[];
  /** Claude Code's disableSkillShellExecution (since 2.1.91): inline skill shell becomes a placeholder. */
  disableSkillShellExecution?: boolean;
}

/** POSIX single-quoting: the path may hold spaces or quotes. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The hook command. Blocking events end in `|| exit 2`: a missing or crashed binary then blocks
 * (claude-code-surface.md 1.5) instead of failing open. Recording events do not, so that a
 * crash cannot keep Claude from stopping.
 */
export function hookCommand(cerosBinary: string, event: HookEvent): string {
  const base = `${shellQuote(cerosBinary)} hook ${event}`;
  return BLOCKING_EVENTS.has(event) ? `${base} || exit 2` : base;
}

export function buildWrapperSettings(options: WrapperSettingsOptions): Record<string, unknown> {
  const hooks: Record<string, unknown[]> = {};
  for (const event of HOOK_EVENTS) {
    const hook: Record<string, unknown> = HTTP_EVENTS.has(event)
      ? {
          type: 'http',
          url: `${options.proxyUrl}${HOOK_HTTP_PREFIX}${event}`,
          headers: { [HOOK_TOKEN_HEADER]: options.hookToken },
          timeout: SETTINGS_HOOK_TIMEOUT_S,
        }
      : {
          type: 'command',
          command: hookCommand(options.cerosBinary, event),
          timeout: event === 'SessionEnd' ? 15 : SETTINGS_HOOK_TIMEOUT_S,
        };
    hooks[event] = [{ matcher: '*', hooks: [hook] }];
  }
  const settings: Record<string, unknown> = {
    hooks,
    // Scalars from --settings beat project and user settings (claude-code-surface.md 2.2).
    disableAllHooks: false,
    env: { CLAUDE_CODE_SIMPLE: '0', CLAUDE_CODE_SAFE_MODE: '0', ANTHROPIC_BASE_URL: options.proxyUrl },
    permissions: { deny: options.permissionsDeny },
  };
  // Always a boolean: flag settings beat a project's `false` (claude-code-surface.md 2.2).
  settings.disableSkillShellExecution = options.disableSkillShellExecution ?? true;
  if (options.allowedMcpServers) settings.allowedMcpServers = options.allowedMcpServers;
  if (options.deniedMcpServers) settings.deniedMcpServers = options.deniedMcpServers;
  return settings;
}

/**
 * Merges the user's own `--settings` under ceros's: their keys are kept, their hooks run beside
 * ceros's, permission and MCP lists concatenate, and ceros's hardening keys win.
 */
export function mergeSettings(
  user: Record<string, unknown>,
  ours: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...user, ...ours };
  const userHooks = isRecord(user.hooks) ? user.hooks : {};
  const ourHooks = isRecord(ours.hooks) ? ours.hooks : {};
  const hooks: Record<string, unknown> = { ...userHooks };
  for (const [event, list] of Object.entries(ourHooks)) {
    const existing = Array.isArray(userHooks[event]) ? (userHooks[event] as unknown[]) : [];
    hooks[event] = [...existing, ...(list as unknown[])];
  }
  merged.hooks = hooks;
  merged.env = { ...(isRecord(user.env) ? user.env : {}), ...(isRecord(ours.env) ? ours.env : {}) };
  const userPermissions = isRecord(user.permissions) ? user.permissions : {};
  const ourPermissions = isRecord(ours.permissions) ? ours.permissions : {};
  merged.permissions = {
    ...userPermissions,
    ...ourPermissions,
    deny: [...asArray(userPermissions.deny), ...asArray(ourPermissions.deny)],
  };
  for (const key of ['deniedMcpServers'] as const) {
    if (user[key] !== undefined || ours[key] !== undefined)
      merged[key] = [...asArray(user[key]), ...asArray(ours[key])];
  }
  if (ours.allowedMcpServers !== undefined) merged.allowedMcpServers = ours.allowedMcpServers;
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
