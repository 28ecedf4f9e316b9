import {
  BLOCKING_EVENTS,
  HOOK_HTTP_PREFIX,
  HOOK_TOKEN_HEADER,
  type HookEvent,
  SETTINGS_HOOK_TIMEOUT_S,
} from '../hook/events.ts';
import type { ClaudeHookPlan } from './claude-hooks.ts';

export interface WrapperSettingsOptions {
  /** Absolute path of the ceros binary the hooks run. */
  cerosBinary: string;
  proxyUrl: string;
  /** Where command hooks find the daemon: its socket and its identity (`PID:START`). */
  socket: string;
  daemon: string | null;
  /** A secret header for HTTP hooks, only when the settings go through an unseen fd; else null. */
  hookToken: string | null;
  /** How each event reaches the daemon on this Claude Code version. */
  plan: ClaudeHookPlan;
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
 * The hook command. The daemon's address is an argument, not an environment variable, so the
 * agent's Bash tool does not inherit it. Blocking events end in `|| exit 2`: a missing or crashed
 * binary then blocks (claude-code-surface.md 1.5) instead of failing open. Recording events do
 * not, so that a crash cannot keep Claude from stopping.
 */
export function hookCommand(
  cerosBinary: string,
  event: HookEvent,
  daemon: { socket: string; daemon: string | null },
): string {
  const address = `--socket ${shellQuote(daemon.socket)}${daemon.daemon ? ` --daemon ${daemon.daemon}` : ''}`;
  const base = `${shellQuote(cerosBinary)} hook ${event} ${address}`;
  return BLOCKING_EVENTS.has(event) ? `${base} || exit 2` : base;
}

/** Events whose matcher is not a tool name: FileChanged matches a file's basename. */
const MATCHERS: Partial<Record<HookEvent, string>> = {
  // Configuration a session could plant for the next one, and the project's instructions.
  FileChanged: 'settings.json|settings.local.json|.mcp.json|CLAUDE.md|.envrc',
};

/** Command hooks of events that only record and fire often run in the background. */
const ASYNC_COMMAND_EVENTS: ReadonlySet<HookEvent> = new Set([
  'MessageDisplay',
  'InstructionsLoaded',
  'TaskCreated',
  'TaskCompleted',
  'CwdChanged',
  'FileChanged',
  'DirectoryAdded',
  'WorktreeRemove',
  'Interrupt',
  'ElicitationResult',
]);

function hookEntry(event: HookEvent, options: WrapperSettingsOptions): Record<string, unknown> {
  if (options.plan.overHttp(event)) {
    return {
      type: 'http',
      url: `${options.proxyUrl}${HOOK_HTTP_PREFIX}${event}`,
      ...(options.hookToken ? { headers: { [HOOK_TOKEN_HEADER]: options.hookToken } } : {}),
      timeout: SETTINGS_HOOK_TIMEOUT_S,
      // A daemon that is gone, slow or answers garbage blocks the call (2.1.295+).
      ...(BLOCKING_EVENTS.has(event) && options.plan.blockingOverHttp ? { onFailure: 'block' } : {}),
    };
  }
  return {
    type: 'command',
    command: hookCommand(options.cerosBinary, event, options),
    timeout: event === 'SessionEnd' ? 15 : SETTINGS_HOOK_TIMEOUT_S,
    ...(ASYNC_COMMAND_EVENTS.has(event) ? { async: true } : {}),
  };
}

export function buildWrapperSettings(options: WrapperSettingsOptions): Record<string, unknown> {
  const hooks: Record<string, unknown[]> = {};
  for (const event of options.plan.events) {
    hooks[event] = [{ matcher: MATCHERS[event] ?? '*', hooks: [hookEntry(event, options)] }];
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
