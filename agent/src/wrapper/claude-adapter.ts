import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileToClaudeSettings } from '@ceros/policy';
import type { ManagedMcpServer } from '../edge-client/index.ts';
import { createProxyHandler } from '../proxy/proxy.ts';
import { createApiRecorder } from '../proxy/recorder.ts';
import type {
  AdapterResult,
  AgentAdapter,
  AgentCommandLine,
  LaunchContext,
  LaunchPlan,
} from '../session/agent-adapter.ts';
import { discoverMcpServers } from '../session/mcp-servers.ts';
import { writePrivateFile } from '../state/secure-fs.ts';
import { parseWrapperArgs, refusedEnvironment } from './args.ts';
import { findClaude, stringEnv } from './launch.ts';
import { buildWrapperSettings, mergeSettings } from './settings.ts';

export const DEFAULT_ANTHROPIC_UPSTREAM = 'https://api.anthropic.com';

/** Claude Code's command line: the shared options, and the `--settings` ceros merges into its own. */
export interface ClaudeCommandLine extends AgentCommandLine {
  /** `--settings` values (paths or inline JSON), in order: only the last one counts in Claude Code. */
  userSettings: string[];
}

/** The user's `--settings`, merged in order. */
export type ClaudeUserSettings = Record<string, unknown>;

/** Claude Code behind the shared session stages (agent-adapter.ts). */
export function createClaudeAdapter(help: string): AgentAdapter<ClaudeCommandLine, ClaudeUserSettings> {
  return {
    name: 'claude',
    product: 'Claude Code',
    help,
    parseArgs: (argv) => {
      const parsed = parseWrapperArgs(argv);
      if (!parsed.ok) return parsed;
      const { claudeArgs, userSettings, policyFile, allowUnsignedPolicy, noPolicyDev, help } = parsed.value;
      return {
        ok: true,
        value: {
          agentArgs: claudeArgs,
          userSettings,
          policyFile,
          allowUnsignedPolicy,
          noPolicyDev,
          cerosHelp: argv.includes('--ceros-help'),
          help,
        },
      };
    },
    refusedEnvironment,
    findBinary: findClaude,
    notFound:
      'Cannot find Claude Code: install it (npm i -g @anthropic-ai/claude-code) or set CEROS_CLAUDE_PATH',
    readUserConfig: (line, cwd) => {
      let settings: ClaudeUserSettings = {};
      for (const source of line.userSettings) {
        const loaded = readUserSettings(source, cwd);
        if (!loaded.ok) return loaded;
        settings = { ...settings, ...loaded.value };
      }
      return { ok: true, value: settings };
    },
    discoverMcpServers: (line, userHome, projectDir) =>
      discoverMcpServers(line.agentArgs, userHome, projectDir),
    upstream: (env) => env.ANTHROPIC_BASE_URL || DEFAULT_ANTHROPIC_UPSTREAM,
    createModelProxy: (options) =>
      createProxyHandler({
        upstream: options.upstream,
        recorder: createApiRecorder(options.recorder),
        ready: options.ready,
        track: options.track,
        hooksAlive: options.hooksAlive,
      }),
    prepareLaunch: prepareClaudeLaunch,
    sessionStart: (line, launched) => ({
      claudeBinary: launched.binary,
      claudePid: launched.pid,
      claudeArgs: line.agentArgs,
      userSettings: line.userSettings.length > 0,
    }),
  };
}

/**
 * The `--settings` file ceros passes last (hooks to this session, the proxy, the hardening keys,
 * the policy's permission and MCP rules, merged with the user's own), the managed MCP servers'
 * `--mcp-config`, and the environment.
 */
export function prepareClaudeLaunch(
  line: ClaudeCommandLine,
  userSettings: ClaudeUserSettings,
  session: LaunchContext,
): LaunchPlan {
  let permissionsDeny: string[] = [];
  let mcpLists: McpLists = {};
  if (session.policy) {
    const fragment = compileToClaudeSettings(session.policy, {
      home: session.userHome,
      projectDir: session.projectDir,
      cerosHome: session.cerosHome,
      cerosBinary: session.cerosBinary,
    });
    // A bare tool name in permissions.deny hides the tool (checked with 2.1.197): the model would see
    // "No such tool" instead of the policy's reason. Whole-tool denies stay with the hook, which
    // fails closed; argument rules (paths, programs, domains) go to both layers.
    permissionsDeny = fragment.permissions.deny.filter((rule) => rule.includes('('));
    mcpLists = {
      ...(fragment.allowedMcpServers ? { allowedMcpServers: fragment.allowedMcpServers } : {}),
      ...(fragment.deniedMcpServers ? { deniedMcpServers: fragment.deniedMcpServers } : {}),
    };
  }
  const prefix = join(session.runDir, session.sessionId.slice(0, 8));
  const settingsPath = `${prefix}.settings.json`;
  const settings = mergeSettings(
    userSettings,
    buildWrapperSettings({
      cerosBinary: session.cerosBinary,
      proxyUrl: session.proxyUrl,
      hookToken: session.hookToken,
      permissionsDeny,
      ...withManagedAllowed(mcpLists, session.managedMcp),
    }),
  );
  writePrivateFile(settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
  const files = [settingsPath];
  const managedArgs: string[] = [];
  if (session.managedMcp.length > 0) {
    // Servers the organization manages: added for every session, and approved by definition.
    const managedPath = `${prefix}.mcp.json`;
    const config = Object.fromEntries(
      session.managedMcp.map((m) => [
        m.name,
        m.transport === 'stdio'
          ? { type: 'stdio', command: m.command, args: m.args, env: m.env }
          : { type: 'http', url: m.url, headers: m.headers },
      ]),
    );
    writePrivateFile(managedPath, `${JSON.stringify({ mcpServers: config }, null, 2)}\n`);
    files.push(managedPath);
    managedArgs.push('--mcp-config', managedPath);
  }
  const args = insertBeforeDoubleDash(line.agentArgs, [...managedArgs, '--settings', settingsPath]);
  const env = stringEnv(session.env);
  delete env.CLAUDE_CODE_SIMPLE;
  delete env.CLAUDE_CODE_SAFE_MODE;
  Object.assign(env, {
    ANTHROPIC_BASE_URL: session.proxyUrl,
    CEROS_SOCKET: session.socketPath,
    CEROS_SESSION: session.sessionId,
    CEROS_HOME: session.cerosHome,
  });
  return { args, env, files };
}

type McpLists = { allowedMcpServers?: unknown[]; deniedMcpServers?: unknown[] };

/** An allowlist from the policy also admits the organization's managed servers. */
function withManagedAllowed(lists: McpLists, managed: readonly ManagedMcpServer[]): McpLists {
  if (!lists.allowedMcpServers || managed.length === 0) return lists;
  return {
    ...lists,
    allowedMcpServers: [...lists.allowedMcpServers, ...managed.map((m) => ({ serverName: m.name }))],
  };
}

/** ceros's arguments go before a literal `--` (after it, everything is the prompt's). */
export function insertBeforeDoubleDash(args: readonly string[], extra: readonly string[]): string[] {
  const at = args.indexOf('--');
  return at === -1 ? [...args, ...extra] : [...args.slice(0, at), ...extra, ...args.slice(at)];
}

/** `--settings` takes a path or inline JSON, as in Claude Code. */
function readUserSettings(source: string, cwd: string): AdapterResult<ClaudeUserSettings> {
  const trimmed = source.trim();
  let text = trimmed;
  if (!trimmed.startsWith('{')) {
    const path = resolve(cwd, source);
    if (!existsSync(path)) return { ok: false, error: `Settings file not found: "${path}"` };
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      return { ok: false, error: `Cannot read settings file "${path}": ${(error as Error).message}` };
    }
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('it is not a JSON object');
    return { ok: true, value: value as ClaudeUserSettings };
  } catch (error) {
    return { ok: false, error: `Cannot use --settings "${source}": ${(error as Error).message}` };
  }
}
