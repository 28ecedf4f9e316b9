import { canonicalJson, sha256Hex, toJsonValue } from '@ceros/protocol';

/**
 * What a coding agent will load at start that runs code or widens what runs: a hook, a setting
 * that names a program (`statusLine`, `apiKeyHelper`...), an environment value that loads code
 * (`BASH_ENV`, `NODE_OPTIONS`...), an MCP server, a subagent's own hooks and servers. A session
 * can plant any of these for the next one (threat-model.md), so each is inventoried at start with
 * where it came from and a hash of what it is, and the policy decides whether it may load.
 */
export interface ConfigItem {
  kind: ConfigItemKind;
  source: ConfigSource;
  /** The file it was read from; null for inline command-line JSON. */
  file: string | null;
  /** Where in the file, e.g. `hooks.PreToolUse[0].hooks[1]`, `mcpServers.github`, `env.BASH_ENV`. */
  label: string;
  /** One line for people: `PreToolUse "*" command: ./scripts/check.sh`. */
  summary: string;
  /** SHA-256 of the canonical item and of the files its command names (a script edited later changes it). */
  hash: string;
  /** Loaded without approval: the organization's managed settings and servers, or what the user typed on the command line. */
  trusted: boolean;
  /** A PreToolUse or PermissionRequest hook: it may answer `updatedInput` and replace what ceros decided on. */
  mayRewriteInput?: boolean;
  /** The subagent whose frontmatter declares it (source `agent`, or a plugin's agent). */
  agent?: string;
}

export type ConfigItemKind = 'hook' | 'command-setting' | 'env' | 'mcp-server';

/**
 * `managed`: /etc/claude-code (root's, outside the agent's reach); `user`: the user settings
 * (`CLAUDE_CONFIG_DIR` or `~/.claude`) and `~/.claude.json`; `project`, `local`: the project's
 * `.claude/settings*.json`, `.mcp.json` and this project's entry in `~/.claude.json`; `cli`: inline
 * JSON on the command line; `cli-file`: a file named on the command line; `agent`: subagent
 * frontmatter; `plugin`: an installed plugin; `org`: the organization's managed list from the edge.
 */
export type ConfigSource =
  | 'managed'
  | 'user'
  | 'project'
  | 'local'
  | 'cli'
  | 'cli-file'
  | 'agent'
  | 'plugin'
  | 'org';

/** Sources whose items load without approval. */
export const TRUSTED_SOURCES: ReadonlySet<ConfigSource> = new Set(['managed', 'cli', 'org']);

/** The approval key: the same item in the same place; its hash says whether it changed. */
export function itemKey(item: Pick<ConfigItem, 'kind' | 'source' | 'file' | 'label'>): string {
  return `${item.kind}|${item.source}|${item.file ?? '(command line)'}|${item.label}`;
}

/** A short id for `ceros approve ID`: the first 10 hex of the key's SHA-256. */
export function itemId(item: Pick<ConfigItem, 'kind' | 'source' | 'file' | 'label'>): string {
  return sha256Hex(itemKey(item)).slice(0, 10);
}

/** SHA-256 of the canonical JSON of `content` plus the hashes of the files it names. */
export function hashItem(content: unknown, files: Readonly<Record<string, string>> = {}): string {
  return sha256Hex(canonicalJson(toJsonValue({ content: content ?? null, files })));
}
