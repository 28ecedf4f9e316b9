import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { type ClaudeMcpServerEntry, isCodeLoadingVariable } from '@ceros/policy';
import { parse as parseYaml } from 'yaml';
import { type ConfigItem, type ConfigSource, hashItem, TRUSTED_SOURCES } from '../inventory/config-item.ts';
import { identityOf, type McpServerSeen, mcpConfigValues } from '../session/mcp-servers.ts';
import type { ClaudeMcpLists } from './claude-mcp-lists.ts';

/**
 * Everything Claude Code will load at start that runs code, from every source it reads
 * (claude-code-surface.md 2 and 3, checked on 2.1.197 and 2.1.337): managed settings and
 * managed-mcp.json, the user settings (`CLAUDE_CONFIG_DIR` or `~/.claude`) and `.claude.json`, the
 * project's `.claude/settings.json`, `.claude/settings.local.json` and `.mcp.json`, `--settings`
 * and `--mcp-config` values, subagent files (`.claude/agents`, the user's `agents/`: their
 * frontmatter `hooks:` fire and `mcpServers:` start when the agent runs), and installed plugins
 * (`hooks/hooks.json`, `.claude-plugin/plugin.json`, `.mcp.json`, `agents/`). Unreadable or
 * malformed files are skipped: Claude Code reports those itself and loads nothing from them.
 */
export interface ClaudeInventoryInput {
  claudeArgs: readonly string[];
  /** The `--settings` values as given: paths or inline JSON. */
  userSettings: readonly string[];
  cwd: string;
  projectDir: string;
  userHome: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Claude Code's managed folder; tests pass their own (never /etc). */
  managedDir?: string;
}

export interface ClaudeInventory {
  items: ConfigItem[];
  /** Every MCP server Claude Code may start, agent-scoped and plugin servers included. */
  mcpServers: McpServerSeen[];
  /** Subagents whose frontmatter declares hooks or MCP servers, by name (for the Agent gate). */
  agents: AgentConfig[];
}

/** A subagent definition with code of its own: its hooks and inline MCP servers, as items. */
export interface AgentConfig {
  name: string;
  file: string;
  items: ConfigItem[];
}

export const CLAUDE_MANAGED_DIR = '/etc/claude-code';

/** Settings that name a program Claude Code runs (at start, on every render, for credentials). */
const COMMAND_SETTINGS = [
  'apiKeyHelper',
  'awsCredentialExport',
  'awsAuthRefresh',
  'gcpAuthRefresh',
  'otelHeadersHelper',
  'statusLine',
  'subagentStatusLine',
  'fileSuggestion',
] as const;

/** Hook events whose answer may carry `updatedInput` (claude-code-surface.md 1.3). */
const REWRITING_EVENTS = new Set(['PreToolUse', 'PermissionRequest']);

type SettingsSource = 'user' | 'project' | 'local';

export function claudeConfigDir(env: Readonly<Record<string, string | undefined>>, userHome: string): string {
  return env.CLAUDE_CONFIG_DIR || join(userHome, '.claude');
}

export function inventoryClaude(input: ClaudeInventoryInput): ClaudeInventory {
  const items: ConfigItem[] = [];
  const mcpServers: McpServerSeen[] = [];
  const agents: AgentConfig[] = [];
  const configDir = claudeConfigDir(input.env, input.userHome);
  const managedDir = input.managedDir ?? CLAUDE_MANAGED_DIR;
  const refs = { projectDir: input.projectDir, home: input.userHome };
  const loaded = settingSources(input.claudeArgs);

  const settingsFile = (path: string, source: ConfigSource) => {
    const json = readJson(path);
    if (isRecord(json)) items.push(...settingsItems(json, source, path, refs));
  };
  settingsFile(join(managedDir, 'managed-settings.json'), 'managed');
  for (const name of listDir(join(managedDir, 'managed-settings.d')).sort()) {
    if (!name.startsWith('.') && name.endsWith('.json'))
      settingsFile(join(managedDir, 'managed-settings.d', name), 'managed');
  }
  if (loaded.has('user')) settingsFile(join(configDir, 'settings.json'), 'user');
  if (loaded.has('project')) settingsFile(join(input.projectDir, '.claude', 'settings.json'), 'project');
  if (loaded.has('local')) settingsFile(join(input.projectDir, '.claude', 'settings.local.json'), 'local');
  for (const value of input.userSettings) {
    const inline = value.trim().startsWith('{');
    const path = inline ? null : resolve(input.cwd, value);
    const json = inline ? parseJson(value) : readJson(path as string);
    if (isRecord(json)) items.push(...settingsItems(json, inline ? 'cli' : 'cli-file', path, refs));
  }

  const addServers = (
    servers: unknown,
    seenSource: McpServerSeen['source'],
    source: ConfigSource,
    file: string | null,
    extra: { agent?: string; root?: string } = {},
  ) => {
    if (!isRecord(servers)) return;
    for (const [name, raw] of Object.entries(servers)) {
      mcpServers.push({
        name,
        source: seenSource,
        identity: identityOf(raw),
        ...(extra.agent ? { agent: extra.agent } : {}),
      });
      items.push(serverItem(name, raw, source, file, { ...refs, ...extra }));
    }
  };
  const managedMcp = join(managedDir, 'managed-mcp.json');
  addServers(mcpServersOf(readJson(managedMcp)), 'enterprise', 'managed', managedMcp);
  for (const value of mcpConfigValues(input.claudeArgs)) {
    const inline = value.trim().startsWith('{');
    const path = inline ? null : resolve(input.cwd, value);
    addServers(
      mcpServersOf(inline ? parseJson(value) : readJson(path as string)),
      'mcp-config',
      inline ? 'cli' : 'cli-file',
      path,
    );
  }
  // CLAUDE_CONFIG_DIR moves .claude.json with the rest (claude-code-surface.md 2.1).
  const claudeJsonPath = input.env.CLAUDE_CONFIG_DIR
    ? join(input.env.CLAUDE_CONFIG_DIR, '.claude.json')
    : join(input.userHome, '.claude.json');
  const claudeJson = readJson(claudeJsonPath);
  if (isRecord(claudeJson)) {
    addServers(claudeJson.mcpServers, 'user', 'user', claudeJsonPath);
    const projects = isRecord(claudeJson.projects) ? claudeJson.projects : {};
    const local = projects[input.projectDir] ?? projects[input.cwd];
    if (isRecord(local)) addServers(local.mcpServers, 'local', 'local', claudeJsonPath);
  }
  const projectMcp = join(input.projectDir, '.mcp.json');
  addServers(mcpServersOf(readJson(projectMcp)), 'project', 'project', projectMcp);

  const agentFolder = (dir: string, source: ConfigSource, root?: string) => {
    for (const file of markdownFiles(dir)) {
      const agent = agentConfig(file, source, { ...refs, ...(root ? { root } : {}) });
      if (!agent) continue;
      for (const server of agent.servers) mcpServers.push(server);
      if (agent.config.items.length > 0) {
        agents.push(agent.config);
        items.push(...agent.config.items);
      }
    }
  };
  agentFolder(join(input.projectDir, '.claude', 'agents'), 'agent');
  agentFolder(join(configDir, 'agents'), 'agent');

  for (const root of pluginRoots(configDir, input.claudeArgs, input.cwd)) {
    const hooksFile = join(root, 'hooks', 'hooks.json');
    const hooks = readJson(hooksFile);
    if (isRecord(hooks))
      items.push(...hookItems(hooks.hooks ?? hooks, 'plugin', hooksFile, { ...refs, root }));
    const manifestFile = join(root, '.claude-plugin', 'plugin.json');
    const manifest = readJson(manifestFile);
    if (isRecord(manifest)) {
      if (isRecord(manifest.hooks))
        items.push(...hookItems(manifest.hooks, 'plugin', manifestFile, { ...refs, root }));
      if (isRecord(manifest.mcpServers))
        addServers(manifest.mcpServers, 'plugin', 'plugin', manifestFile, { root });
    }
    const pluginMcp = join(root, '.mcp.json');
    addServers(mcpServersOf(readJson(pluginMcp)), 'plugin', 'plugin', pluginMcp, { root });
    agentFolder(join(root, 'agents'), 'plugin', root);
  }
  return { items, mcpServers, agents };
}

/**
 * The `allowedMcpServers` and `deniedMcpServers` of every settings file Claude Code reads besides
 * ceros's own (managed, user, project, local): Claude Code merges them with ceros's.
 */
export function claudeSettingsMcpLists(
  input: Pick<ClaudeInventoryInput, 'claudeArgs' | 'projectDir' | 'userHome' | 'env' | 'managedDir'>,
): ClaudeMcpLists {
  const loaded = settingSources(input.claudeArgs);
  const managedDir = input.managedDir ?? CLAUDE_MANAGED_DIR;
  const files = [
    join(managedDir, 'managed-settings.json'),
    ...listDir(join(managedDir, 'managed-settings.d'))
      .filter((name) => !name.startsWith('.') && name.endsWith('.json'))
      .sort()
      .map((name) => join(managedDir, 'managed-settings.d', name)),
    ...(loaded.has('user') ? [join(claudeConfigDir(input.env, input.userHome), 'settings.json')] : []),
    ...(loaded.has('project') ? [join(input.projectDir, '.claude', 'settings.json')] : []),
    ...(loaded.has('local') ? [join(input.projectDir, '.claude', 'settings.local.json')] : []),
  ];
  const lists: ClaudeMcpLists = {};
  for (const file of files) {
    const json = readJson(file);
    if (!isRecord(json)) continue;
    if (Array.isArray(json.allowedMcpServers))
      lists.allowedMcpServers = [
        ...(lists.allowedMcpServers ?? []),
        ...json.allowedMcpServers.filter(isMcpEntry),
      ];
    if (Array.isArray(json.deniedMcpServers))
      lists.deniedMcpServers = [
        ...(lists.deniedMcpServers ?? []),
        ...json.deniedMcpServers.filter(isMcpEntry),
      ];
  }
  return lists;
}

function isMcpEntry(value: unknown): value is ClaudeMcpServerEntry {
  if (!isRecord(value)) return false;
  return (
    typeof value.serverName === 'string' ||
    typeof value.serverUrl === 'string' ||
    (Array.isArray(value.serverCommand) && value.serverCommand.every((part) => typeof part === 'string'))
  );
}

/** The subagent definition named `name`, looked up as Claude Code would (project before user). */
export function findAgentConfig(
  name: string,
  input: Pick<ClaudeInventoryInput, 'projectDir' | 'userHome' | 'env'>,
): AgentConfig | null {
  const refs = { projectDir: input.projectDir, home: input.userHome };
  const configDir = claudeConfigDir(input.env, input.userHome);
  for (const dir of [join(input.projectDir, '.claude', 'agents'), join(configDir, 'agents')]) {
    for (const file of markdownFiles(dir)) {
      const agent = agentConfig(file, 'agent', refs);
      if (agent && agent.config.name === name) return agent.config;
    }
  }
  return null;
}

interface Refs {
  projectDir: string;
  home: string;
  /** A plugin's root (`${CLAUDE_PLUGIN_ROOT}`). */
  root?: string;
  agent?: string;
}

function settingsItems(json: Record<string, unknown>, source: ConfigSource, file: string | null, refs: Refs) {
  const items: ConfigItem[] = [];
  if (isRecord(json.hooks)) items.push(...hookItems(json.hooks, source, file, refs));
  for (const key of COMMAND_SETTINGS) {
    const value = json[key];
    if (value === undefined) continue;
    const command = typeof value === 'string' ? value : isRecord(value) ? String(value.command ?? '') : '';
    items.push(
      makeItem(
        'command-setting',
        source,
        file,
        key,
        `${key}: ${oneLine(command || JSON.stringify(value))}`,
        value,
        [command],
        refs,
      ),
    );
  }
  if (isRecord(json.env)) {
    for (const [name, value] of Object.entries(json.env)) {
      if (!isCodeLoadingVariable(name)) continue;
      items.push(
        makeItem(
          'env',
          source,
          file,
          `env.${name}`,
          `env ${name}=${oneLine(String(value))}`,
          value,
          [String(value)],
          refs,
        ),
      );
    }
  }
  if (isRecord(json.mcpServers)) {
    for (const [name, raw] of Object.entries(json.mcpServers))
      items.push(serverItem(name, raw, source, file, refs));
  }
  return items;
}

function hookItems(hooks: unknown, source: ConfigSource, file: string | null, refs: Refs): ConfigItem[] {
  if (!isRecord(hooks)) return [];
  const items: ConfigItem[] = [];
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    groups.forEach((group, i) => {
      if (!isRecord(group) || !Array.isArray(group.hooks)) return;
      const matcher = typeof group.matcher === 'string' && group.matcher !== '' ? group.matcher : '*';
      group.hooks.forEach((hook, j) => {
        if (!isRecord(hook)) return;
        const type = String(hook.type ?? 'command');
        const what = String(
          hook.command ?? hook.url ?? hook.prompt ?? (Array.isArray(hook.args) ? hook.args.join(' ') : ''),
        );
        const prefix = refs.agent ? `agent ${refs.agent}: ` : '';
        const item = makeItem(
          'hook',
          source,
          file,
          `hooks.${event}[${i}].hooks[${j}]`,
          `${prefix}${event} "${matcher}" ${type}: ${oneLine(what)}`,
          { event, matcher, hook },
          [what],
          refs,
        );
        if (REWRITING_EVENTS.has(event)) item.mayRewriteInput = true;
        items.push(item);
      });
    });
  }
  return items;
}

function serverItem(
  name: string,
  raw: unknown,
  source: ConfigSource,
  file: string | null,
  refs: Refs,
): ConfigItem {
  const server = isRecord(raw) ? raw : {};
  const command = [server.command, ...(Array.isArray(server.args) ? server.args : [])].filter(
    (part): part is string => typeof part === 'string',
  );
  const what = typeof server.url === 'string' ? server.url : command.join(' ');
  const prefix = refs.agent ? `agent ${refs.agent}: ` : '';
  const helper = typeof server.headersHelper === 'string' ? [server.headersHelper] : [];
  return makeItem(
    'mcp-server',
    source,
    file,
    `mcpServers.${name}`,
    `${prefix}MCP server ${name}: ${oneLine(what)}`,
    raw,
    [...command, ...helper],
    refs,
  );
}

function makeItem(
  kind: ConfigItem['kind'],
  source: ConfigSource,
  file: string | null,
  label: string,
  summary: string,
  content: unknown,
  commands: readonly string[],
  refs: Refs,
): ConfigItem {
  const item: ConfigItem = {
    kind,
    source,
    file,
    label: refs.agent ? `agent.${refs.agent}.${label}` : label,
    summary,
    hash: hashItem(content, referencedFiles(commands, refs)),
    trusted: TRUSTED_SOURCES.has(source),
  };
  if (refs.agent) item.agent = refs.agent;
  return item;
}

/**
 * Files a command names (a hook's script, an MCP server's entry point), hashed with the item: a
 * script edited after its hook was approved is a changed hook. `$CLAUDE_PROJECT_DIR`,
 * `${CLAUDE_PLUGIN_ROOT}` and `~` are expanded; relative paths are the project's. Files over
 * 1 MiB (interpreters, binaries) are named by size and time instead of read.
 */
export function referencedFiles(commands: readonly string[], refs: Refs): Record<string, string> {
  const files: Record<string, string> = {};
  for (const command of commands) {
    for (const token of command.split(/[\s'"`;|&()<>=,]+/)) {
      if (!token.includes('/') && !/\.(?:sh|py|js|mjs|cjs|ts|rb|pl)$/.test(token)) continue;
      const expanded = token
        .replace(/^\$\{?CLAUDE_PROJECT_DIR\}?/, refs.projectDir)
        .replace(/^\$\{?CLAUDE_PLUGIN_ROOT\}?/, refs.root ?? refs.projectDir)
        .replace(/^~(?=\/)/, refs.home);
      if (expanded.includes('$') || /^[a-z]+:\/\//i.test(expanded)) continue;
      const path = isAbsolute(expanded) ? expanded : resolve(refs.projectDir, expanded);
      try {
        const stat = statSync(path);
        if (!stat.isFile()) continue;
        files[path] =
          stat.size > 1024 * 1024
            ? `size ${stat.size} mtime ${stat.mtimeMs}`
            : createHash('sha256').update(readFileSync(path)).digest('hex');
      } catch {
        // Not a file (yet): if it appears later, the hash changes and it needs approval again.
      }
    }
  }
  return files;
}

function agentConfig(
  file: string,
  source: ConfigSource,
  refs: Refs,
): { config: AgentConfig; servers: McpServerSeen[] } | null {
  const front = frontmatter(file);
  if (!front) return null;
  const name = typeof front.name === 'string' ? front.name : basename(file, extname(file));
  const agentRefs = { ...refs, agent: name };
  const items: ConfigItem[] = hookItems(front.hooks, source, file, agentRefs);
  const servers: McpServerSeen[] = [];
  // A list of names (servers configured elsewhere) or of { name: config } (started for the agent).
  const entries: [string, unknown][] = [];
  if (Array.isArray(front.mcpServers)) {
    for (const entry of front.mcpServers) if (isRecord(entry)) entries.push(...Object.entries(entry));
  } else if (isRecord(front.mcpServers)) entries.push(...Object.entries(front.mcpServers));
  for (const [serverName, raw] of entries) {
    servers.push({
      name: serverName,
      source: source === 'plugin' ? 'plugin' : 'agent',
      identity: identityOf(raw),
      agent: name,
    });
    items.push(serverItem(serverName, raw, source, file, agentRefs));
  }
  return { config: { name, file, items }, servers };
}

function frontmatter(file: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const match = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(text);
  if (!match) return null;
  try {
    const value: unknown = parseYaml(match[1] as string);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** `--setting-sources user,project,local` limits the non-managed settings files Claude Code reads. */
function settingSources(args: readonly string[]): Set<SettingsSource> {
  const all: SettingsSource[] = ['user', 'project', 'local'];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    const value = arg.startsWith('--setting-sources=')
      ? arg.slice('--setting-sources='.length)
      : arg === '--setting-sources'
        ? args[i + 1]
        : undefined;
    if (value === undefined) continue;
    const wanted = new Set(value.split(',').map((part) => part.trim()));
    return new Set(all.filter((source) => wanted.has(source)));
  }
  return new Set(all);
}

/** Installed plugins (`plugins/installed_plugins.json`, v1 and v2) and `--plugin-dir` folders. */
function pluginRoots(configDir: string, args: readonly string[], cwd: string): string[] {
  const roots = new Set<string>();
  const installed = readJson(join(configDir, 'plugins', 'installed_plugins.json'));
  const plugins = isRecord(installed) && isRecord(installed.plugins) ? installed.plugins : {};
  for (const entry of Object.values(plugins)) {
    for (const install of Array.isArray(entry) ? entry : [entry]) {
      if (isRecord(install) && typeof install.installPath === 'string') roots.add(install.installPath);
    }
  }
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (args[i] === '--plugin-dir' && args[i + 1]) roots.add(resolve(cwd, args[i + 1] as string));
    else if (args[i]?.startsWith('--plugin-dir=')) roots.add(resolve(cwd, (args[i] as string).slice(13)));
  }
  return [...roots];
}

function markdownFiles(dir: string, depth = 0): string[] {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth < 3) out.push(...markdownFiles(path, depth + 1));
    else if (entry.isFile() && entry.name.endsWith('.md')) out.push(path);
  }
  return out;
}

function mcpServersOf(json: unknown): unknown {
  return isRecord(json) ? (json.mcpServers ?? undefined) : undefined;
}

function listDir(dir: string): string[] {
  try {
    return existsSync(dir) ? readdirSync(dir) : [];
  } catch {
    return [];
  }
}

function readJson(path: string): unknown {
  try {
    return existsSync(path) ? parseJson(readFileSync(path, 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}
