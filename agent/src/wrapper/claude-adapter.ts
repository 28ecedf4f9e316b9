import { existsSync, openSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ClaudeMcpServerEntry, compileToClaudeSettings } from '@ceros/policy';
import { canReadSocketPeers } from '../hook/socket-peer.ts';
import { readClaudeVersion } from '../posture/binaries.ts';
import { CLAUDE_CREDENTIALS, createSessionCredentials } from '../proxy/credentials.ts';
import { createProxyHandler } from '../proxy/proxy.ts';
import { createApiRecorder } from '../proxy/recorder.ts';
import type {
  AdapterResult,
  AgentAdapter,
  AgentCommandLine,
  LaunchContext,
  LaunchPlan,
} from '../session/agent-adapter.ts';
import { writePrivateFile } from '../state/secure-fs.ts';
import { parseWrapperArgs, refusedEnvironment } from './args.ts';
import { type ClaudeHookPlan, claudeHookPlan, detectClaudeVersion } from './claude-hooks.ts';
import { claudeSettingsMcpLists, findAgentConfig, inventoryClaude } from './claude-inventory.ts';
import { type ClaudeMcpLists, claudeMcpLists, finalMcpVerdicts, mergeMcpLists } from './claude-mcp-lists.ts';
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
  let plan: ClaudeHookPlan | undefined;
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
    inventory: (line, context) => {
      const found = inventoryClaude({
        claudeArgs: line.agentArgs,
        userSettings: line.userSettings,
        ...context,
      });
      return { items: found.items, mcpServers: found.mcpServers };
    },
    subagentConfig: (name, context) => {
      const agent = findAgentConfig(name, context);
      return agent && agent.items.length > 0 ? { file: agent.file, items: agent.items } : null;
    },
    interactive: (line, terminal) => !isPrintMode(line.agentArgs) && terminal.stdin && terminal.stdout,
    userConfigSources: (line) => [...line.userSettings],
    credentials: (env) => createSessionCredentials(env, CLAUDE_CREDENTIALS),
    upstream: (env) => env.ANTHROPIC_BASE_URL || DEFAULT_ANTHROPIC_UPSTREAM,
    createModelProxy: (options) =>
      createProxyHandler({
        upstream: options.upstream,
        recorder: createApiRecorder(options.recorder),
        ready: options.ready,
        track: options.track,
        hooksAlive: options.hooksAlive,
        credentials: options.credentials,
      }),
    prepareLaunch: (line, config, session) => {
      plan = claudeHookPlan(detectClaudeVersion(session.agentBinary), canReadSocketPeers());
      return prepareClaudeLaunch(line, config, session, plan);
    },
    sessionStart: (line, launched) => ({
      claudeBinary: launched.binary,
      claudePid: launched.pid,
      claudeArgs: line.agentArgs,
      userSettings: line.userSettings.length > 0,
      claudeVersion: plan?.version ?? null,
      hookChannel: plan
        ? {
            blockingOverHttp: plan.blockingOverHttp,
            settingsThroughFd: plan.settingsThroughFd,
            http: plan.events.filter((event) => plan?.overHttp(event)),
          }
        : null,
    }),
  };
}

/**
 * The `--settings` ceros passes last (hooks to this session, the proxy, the hardening keys, the
 * policy's permission and MCP rules, merged with the user's own), the managed MCP servers'
 * `--mcp-config`, and the environment. Where the version reads it (plan.settingsThroughFd), the
 * settings are an unlinked file handed over as fd 3: no file in the file system holds them, so
 * the HTTP hooks' token can be in them; elsewhere they are a 0600 file in the session's folder,
 * and carry no token. Neither the socket nor the token is in Claude Code's environment, which its
 * tools inherit.
 */
export function prepareClaudeLaunch(
  line: ClaudeCommandLine,
  userSettings: ClaudeUserSettings,
  session: LaunchContext,
  plan: ClaudeHookPlan = claudeHookPlan(null, false),
): LaunchPlan {
  let permissionsDeny: string[] = [];
  let policyMcp: ClaudeMcpLists = {};
  let disableSkillShell = false;
  if (session.policy) {
    const fragment = compileToClaudeSettings(session.policy, {
      home: session.userHome,
      projectDir: session.projectDir,
      cerosHome: session.cerosHome,
      cerosBinary: session.cerosBinary,
      ...(session.env.CLAUDE_CONFIG_DIR ? { claudeConfigDir: session.env.CLAUDE_CONFIG_DIR } : {}),
      ...(session.policyFile ? { protectedFiles: [session.policyFile] } : {}),
    });
    // Skill shell runs only where each command reaches ceros first (PreSkillShellCommand).
    disableSkillShell =
      fragment.disableSkillShellExecution === true || !hasSkillShellHook(session.agentBinary);
    // A bare tool name in permissions.deny hides the tool (checked with 2.1.197): the model would see
    // "No such tool" instead of the policy's reason. Whole-tool denies stay with the hook, which
    // fails closed; argument rules (paths, programs, domains) go to both layers.
    permissionsDeny = fragment.permissions.deny.filter((rule) => rule.includes('('));
    policyMcp = {
      ...(fragment.allowedMcpServers ? { allowedMcpServers: fragment.allowedMcpServers } : {}),
      ...(fragment.deniedMcpServers ? { deniedMcpServers: fragment.deniedMcpServers } : {}),
    };
  }
  // Blocked servers never start: denied by name and identity; allowed ones listed by identity.
  const mcpLists = session.policy ? claudeMcpLists(policyMcp, session.mcpServers) : {};
  const prefix = join(session.runDir, session.sessionId.slice(0, 8));
  const settingsPath = `${prefix}.settings.json`;
  const hookToken = plan.settingsThroughFd ? session.hookToken : null;
  const settings = mergeSettings(
    userSettings,
    buildWrapperSettings({
      cerosBinary: session.cerosBinary,
      proxyUrl: session.proxyUrl,
      socket: session.socketPath,
      daemon: session.daemon,
      hookToken,
      plan,
      permissionsDeny,
      ...mcpLists,
      disableSkillShellExecution: disableSkillShell,
    }),
  );
  writePrivateFile(settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
  const files: string[] = [];
  const fds: number[] = [];
  let settingsArg = settingsPath;
  if (plan.settingsThroughFd) {
    fds.push(openSync(settingsPath, 'r'));
    rmSync(settingsPath);
    settingsArg = `/dev/fd/${3 + fds.length - 1}`;
  } else files.push(settingsPath);
  // What Claude Code will really do: these lists merged with every other settings source's.
  const mcpServers = finalMcpVerdicts(
    mergeMcpLists(
      {
        ...(Array.isArray(settings.allowedMcpServers)
          ? { allowedMcpServers: settings.allowedMcpServers as ClaudeMcpServerEntry[] }
          : {}),
        ...(Array.isArray(settings.deniedMcpServers)
          ? { deniedMcpServers: settings.deniedMcpServers as ClaudeMcpServerEntry[] }
          : {}),
      },
      claudeSettingsMcpLists({
        claudeArgs: line.agentArgs,
        projectDir: session.projectDir,
        userHome: session.userHome,
        env: session.env,
      }),
    ),
    session.mcpServers,
  );
  const managedArgs: string[] = [];
  const blocked = new Set(
    mcpServers.filter((s) => s.source === 'managed' && s.status === 'blocked').map((s) => s.name),
  );
  const managed = session.managedMcp.filter((m) => !blocked.has(m.name));
  if (managed.length > 0) {
    // Servers the organization manages that the policy allows: added for every session.
    const managedPath = `${prefix}.mcp.json`;
    const config = Object.fromEntries(
      managed.map((m) => [
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
  const args = insertBeforeDoubleDash(line.agentArgs, [...managedArgs, '--settings', settingsArg]);
  const env = stringEnv(session.env);
  delete env.CLAUDE_CODE_SIMPLE;
  delete env.CLAUDE_CODE_SAFE_MODE;
  // A socket or token left over from an outer session must not reach this one's tools either.
  delete env.CEROS_SOCKET;
  // The real credentials stay with the proxy: the agent and its tools see placeholders.
  Object.assign(env, session.credentials.env, {
    ANTHROPIC_BASE_URL: session.proxyUrl,
    CEROS_SESSION: session.sessionId,
    CEROS_HOME: session.cerosHome,
  });
  return { args, env, files, fds, hookToken, mcpServers };
}

/** The first Claude Code with the PreSkillShellCommand hook that ceros verified (claude-code-surface.md 11). */
export const SKILL_SHELL_HOOK_VERSION = '2.1.337';

/** Whether this Claude Code sends each skill shell command to a hook first; unknown versions do not. */
export function hasSkillShellHook(binary: string): boolean {
  let path = binary;
  try {
    path = realpathSync(binary);
  } catch {
    // Read beside the path given.
  }
  const version = readClaudeVersion(path).version;
  return version !== null && compareVersions(version, SKILL_SHELL_HOOK_VERSION) >= 0;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** `-p`/`--print` before a literal `--`: Claude Code runs headless. */
export function isPrintMode(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '-p' || arg === '--print') return true;
  }
  return false;
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
