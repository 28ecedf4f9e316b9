import type { McpServerEntry } from './document/schema.ts';
import type { CompiledPolicy, CompiledRule } from './evaluate/compile-policy.ts';
import { expandBraces } from './glob/braces.ts';
import { normaliseAbsolute } from './paths/resolve.ts';

/**
 * The second, fail-closed layer: the deterministic part of a policy as Claude Code settings.
 * `permissions.deny` holds even when the hook is missing, crashes or times out, and survives
 * `--bare` and bypass modes; `allowedMcpServers`/`deniedMcpServers` stop a server before it is
 * spawned (claude-code-surface.md section 0).
 *
 * Only what Claude Code's own matcher can express is compiled: unconditional deny/ask of tools,
 * deny of path patterns (as `Read(...)` and `Edit(...)`, gitignore syntax: `//abs`, `~/`,
 * `**\/x`), deny of programs (`Bash(rm:*)`), deny of WebFetch domains, and the MCP lists.
 * Allowlists (`except`), argument conditions, monitor-mode rules and anything that needs the
 * hook's analysis stay in the hook. Every entry is checked against a conservative shape:
 * one malformed value makes Claude Code drop the whole settings file.
 */
export interface ClaudeSettingsFragment {
  permissions: { deny: string[]; ask?: string[] };
  /**
   * Claude Code (since 2.1.91) replaces inline shell in skills and commands of user, project and
   * plugin sources with a placeholder instead of running it: set unless the policy allows skill shell.
   */
  disableSkillShellExecution?: true;
  allowedMcpServers?: ClaudeMcpServerEntry[];
  deniedMcpServers?: ClaudeMcpServerEntry[];
}

export type ClaudeMcpServerEntry =
  | { serverName: string }
  | { serverCommand: string[] }
  | { serverUrl: string };

export interface ClaudeSettingsContext {
  home: string;
  projectDir: string;
  cerosHome: string;
  cerosBinary: string;
  /** CLAUDE_CONFIG_DIR when set: its settings are protected beside `~/.claude`'s. */
  claudeConfigDir?: string;
  /** Files no tool may write (the `--policy` file in force); see EvaluationContext.protectedFiles. */
  protectedFiles?: readonly string[];
}

const SAFE_RULE = /^[A-Za-z0-9_-]+(?:\([^()\n\r]{1,1000}\))?$/;
/** Claude Code applies `Read` rules to every built-in tool that reads files, `Edit` to every one that edits. */
const FILE_TOOLS = new Set([
  'Read',
  'Write',
  'Edit',
  'MultiEdit',
  'NotebookEdit',
  'NotebookRead',
  'Glob',
  'Grep',
  'LS',
  'Bash',
]);

export function compileToClaudeSettings(
  policy: CompiledPolicy,
  ctx: ClaudeSettingsContext,
): ClaudeSettingsFragment {
  const deny = new Set<string>();
  const ask = new Set<string>();
  const add = (set: Set<string>, rule: string) => {
    if (SAFE_RULE.test(rule)) set.add(rule);
  };
  for (const rule of selfProtection(ctx)) add(deny, rule);
  for (const rule of policy.rules) {
    if (rule.mode !== 'enforce' || rule.sessionModes || rule.effect === 'allow') continue;
    const target = rule.effect === 'deny' ? deny : ask;
    if (rule.kind === 'tool') for (const entry of toolEntries(rule)) add(target, entry);
    if (rule.effect !== 'deny') continue;
    if (rule.kind === 'path') for (const entry of pathEntries(rule, ctx)) add(deny, entry);
    if (rule.kind === 'command') for (const entry of commandEntries(rule)) add(deny, entry);
    if (rule.kind === 'host') for (const entry of hostEntries(rule)) add(deny, entry);
  }
  const fragment: ClaudeSettingsFragment = { permissions: { deny: [...deny] } };
  if (policy.session.skillShell === 'deny') fragment.disableSkillShellExecution = true;
  if (ask.size > 0) fragment.permissions.ask = [...ask];
  const mcp = policy.mcp;
  if (mcp && mcp.mode === 'enforce') {
    if (mcp.allow !== undefined) fragment.allowedMcpServers = mcp.allow.map(toClaudeMcp);
    if (mcp.deny.length > 0) {
      fragment.deniedMcpServers = mcp.deny.map(toClaudeMcp);
      for (const entry of mcp.deny) {
        const name = typeof entry === 'string' ? entry : 'name' in entry ? entry.name : undefined;
        if (name) add(deny, `mcp__${name.replace(/[^A-Za-z0-9_-]/g, '_')}`);
      }
      fragment.permissions.deny = [...deny];
    }
  }
  return fragment;
}

function selfProtection(ctx: ClaudeSettingsContext): string[] {
  const project = absolute(ctx.projectDir);
  // CLAUDE_CONFIG_DIR moves the user settings; ~/.claude's stay protected too (a session that
  // wrote them would govern the next session started without the variable).
  const claudeDirs = unique(['~/.claude', ...(ctx.claudeConfigDir ? [absolute(ctx.claudeConfigDir)] : [])]);
  return [
    ...claudeDirs.flatMap((dir) => [`Edit(${dir}/settings.json)`, `Edit(${dir}/settings.local.json)`]),
    ...(ctx.claudeConfigDir ? [`Edit(${absolute(ctx.claudeConfigDir)}/.claude.json)`] : []),
    ...(ctx.protectedFiles ?? []).map((file) => `Edit(${absolute(file)})`),
    `Edit(${absolute(ctx.cerosHome)}/**)`,
    `Read(${absolute(ctx.cerosHome)}/**)`,
    `Edit(${absolute(ctx.cerosBinary)})`,
    `Edit(${project}/.claude/settings.json)`,
    `Edit(${project}/.claude/settings.local.json)`,
    'Edit(**/.claude/settings.json)',
    'Edit(**/.claude/settings.local.json)',
    'Edit(~/.claude.json)',
    'Edit(//etc/claude-code/**)',
  ];
}

/** `/a/b` -> `//a/b`: Claude Code reads a single leading slash as relative to the settings file. */
function absolute(path: string): string {
  return `/${normaliseAbsolute(path)}`;
}

function toolEntries(rule: CompiledRule): string[] {
  if (!rule.tools || rule.when.length > 0) return [];
  const { exact, patterns, matchesAll } = rule.tools;
  if (matchesAll) return [];
  const out = [...exact];
  for (const pattern of patterns) {
    // `mcp__server__*` is Claude Code's `mcp__server` (every tool of that server).
    const server = /^\^mcp__([A-Za-z0-9_-]+)__\[\\s\\S\]\*\$$/.exec(pattern.source);
    if (server?.[1]) out.push(`mcp__${server[1]}`);
    else return [];
  }
  return out;
}

function pathEntries(rule: CompiledRule, ctx: ClaudeSettingsContext): string[] {
  if (rule.exceptPaths.length > 0) return [];
  if (rule.tools && ![...rule.tools.exact].some((tool) => FILE_TOOLS.has(tool)) && !rule.tools.matchesAll)
    return [];
  const kinds = rule.access === 'read' ? ['Read'] : rule.access === 'write' ? ['Edit'] : ['Read', 'Edit'];
  const out: string[] = [];
  for (const pattern of rule.paths) {
    for (const alternative of expandBraces(pattern) ?? [pattern]) {
      for (const specifier of claudePathSpecifiers(alternative, ctx))
        for (const kind of kinds) out.push(`${kind}(${specifier})`);
    }
  }
  return out;
}

/** A policy path pattern in Claude Code's gitignore-style permission syntax. */
export function claudePathSpecifiers(pattern: string, ctx: ClaudeSettingsContext): string[] {
  if (pattern.startsWith('${project}'))
    return [`${absolute(ctx.projectDir)}${pattern.slice('${project}'.length)}`];
  if (pattern.startsWith('${cerosHome}'))
    return [`${absolute(ctx.cerosHome)}${pattern.slice('${cerosHome}'.length)}`];
  if (pattern.startsWith('${home}')) return [`~${pattern.slice('${home}'.length)}`];
  if (pattern === '~' || pattern.startsWith('~/')) return [pattern];
  if (pattern.startsWith('**/')) return [pattern, `//${pattern}`];
  if (pattern.startsWith('/')) return [`/${pattern}`];
  return [];
}

function commandEntries(rule: CompiledRule): string[] {
  if (
    !rule.programs ||
    rule.exceptPrograms ||
    rule.args.length > 0 ||
    (rule.tools && !rule.tools.test('Bash'))
  )
    return [];
  const { exact, patterns, matchesAll } = rule.programs.names;
  if (matchesAll) return ['Bash'];
  if (patterns.length > 0 || rule.programs.paths.length > 0) return [];
  return [...exact].filter((name) => /^[A-Za-z0-9_.+-]+$/.test(name)).map((name) => `Bash(${name}:*)`);
}

function hostEntries(rule: CompiledRule): string[] {
  if (!rule.hosts || rule.exceptHosts || (rule.tools && !rule.tools.test('WebFetch'))) return [];
  if (rule.hosts.matchesAll) return ['WebFetch'];
  return [...rule.hosts.exact].map((host) => `WebFetch(domain:${host})`);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function toClaudeMcp(entry: McpServerEntry): ClaudeMcpServerEntry {
  if (typeof entry === 'string') return { serverName: entry };
  if ('name' in entry) return { serverName: entry.name };
  if ('command' in entry) return { serverCommand: [...entry.command] };
  return { serverUrl: entry.url };
}
