import type { CompiledPolicy } from '@ceros/policy';
import type { ManagedMcpServer } from '../edge-client/index.ts';
import type { ConfigItem } from '../inventory/config-item.ts';
import type { SessionCredentials } from '../proxy/credentials.ts';
import type { McpServerSeen } from './mcp-servers.ts';
import type { McpVerdict } from './mcp-stage.ts';
import type { Recorder, SessionCore } from './session-core.ts';

/**
 * What one coding agent (Claude Code today, Codex CLI next) needs from a ceros session, and
 * nothing else: the stages under agent/src/session/ (enrollment, policy, MCP verdicts, posture,
 * daemon, sync, drain) are shared, and each agent plugs in through this interface.
 */
export interface AgentAdapter<Line extends AgentCommandLine = AgentCommandLine, Config = unknown> {
  /** The ceros subcommand and the journal's name for the agent: `claude`. */
  readonly name: string;
  /** For messages: `Claude Code`. */
  readonly product: string;
  /** The text `--ceros-help` prints. */
  readonly help: string;
  /** The agent's command line: ceros's own options taken out, flags that switch hooks off refused. */
  parseArgs(argv: readonly string[]): AdapterResult<Line>;
  /** Why this environment cannot be used (it switches the agent's hooks off), or null. */
  refusedEnvironment(env: Readonly<Record<string, string | undefined>>): string | null;
  /** The agent's binary, or null with `notFound` as the message. */
  findBinary(env: Readonly<Record<string, string | undefined>>, cerosBinary: string): string | null;
  readonly notFound: string;
  /** The user's own configuration named on the command line (Claude Code: `--settings`), read before anything starts. */
  readUserConfig(line: Line, cwd: string): AdapterResult<Config>;
  /**
   * Everything the agent will load at start that runs code (hooks, command settings, code-loading
   * environment values, MCP servers), from every source it reads, with source and hash; and the
   * MCP servers it may start (agent-scoped ones included).
   */
  inventory(line: Line, context: InventoryContext): AgentInventory;
  /** A subagent's own hooks and MCP servers, read now (a file planted mid-session counts); null when it declares none. */
  subagentConfig(name: string, context: InventoryContext): { file: string; items: ConfigItem[] } | null;
  /** Whether the agent runs for a person at a terminal (Claude Code without -p, with a terminal). */
  interactive(line: Line, terminal: { stdin: boolean; stdout: boolean }): boolean;
  /** The user's configuration values named on the command line (Claude Code: `--settings`), as given. */
  userConfigSources(line: Line): string[];
  /** The model API credentials in `env`, each replaced by a placeholder only this session's proxy accepts. */
  credentials(env: Readonly<Record<string, string | undefined>>): SessionCredentials;
  /** The model API the agent talks to when nothing redirects it (Claude Code: ANTHROPIC_BASE_URL). */
  upstream(env: Readonly<Record<string, string | undefined>>): string;
  /** The recording proxy for the agent's model API, as a fetch handler. */
  createModelProxy(options: ModelProxyOptions): (request: Request) => Promise<Response>;
  /**
   * Registers the session in the agent's own configuration: hooks that reach this session's
   * daemon, the proxy as the model API, the policy's native rules. Writes its files (0600) into
   * `session.runDir` and says how to launch.
   */
  prepareLaunch(line: Line, config: Config, session: LaunchContext): LaunchPlan;
  /** The agent's part of the journal's session.start (Claude Code: claudeBinary, claudePid, claudeArgs, userSettings). */
  sessionStart(line: Line, launched: { binary: string; pid: number }): Record<string, unknown>;
}

/** What every agent's command line holds besides the agent's own arguments. */
export interface AgentCommandLine {
  /** Arguments for the agent, in order. */
  agentArgs: string[];
  policyFile: string | null;
  allowUnsignedPolicy: boolean;
  noPolicyDev: boolean;
  /** `--ceros-help`: print ceros's help and stop. */
  cerosHelp: boolean;
  /** The agent's own help was asked for: ceros prints its help, then runs the agent's. */
  help: boolean;
}

export type AdapterResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ModelProxyOptions {
  upstream: string;
  recorder: Recorder;
  /** Resolves when the session's certificate and session.start are written: nothing goes upstream before. */
  ready: Promise<void>;
  /** Work that must finish before the session ends (recordings in flight). */
  track: (work: Promise<unknown>) => void;
  hooksAlive: SessionCore['hooksAlive'];
  /** This session's placeholder credentials (AgentAdapter.credentials). */
  credentials: SessionCredentials;
}

export interface InventoryContext {
  cwd: string;
  projectDir: string;
  userHome: string;
  env: Readonly<Record<string, string | undefined>>;
}

export interface AgentInventory {
  items: ConfigItem[];
  mcpServers: McpServerSeen[];
}

export interface LaunchContext {
  sessionId: string;
  /** The session's private folder (0700): the adapter's files go here and are removed at the end. */
  runDir: string;
  cerosBinary: string;
  /** The agent's binary (its version decides which hook events exist and how hooks are registered). */
  agentBinary: string;
  cerosHome: string;
  /** The `--policy` file in force (no tool may write it); null for the edge's policy or a starter. */
  policyFile: string | null;
  /** Placeholder credentials: the agent's environment carries these instead of the real ones. */
  credentials: SessionCredentials;
  /** The user's home folder (policies write `~`). */
  userHome: string;
  projectDir: string;
  /** The hook socket (`@name`: a Linux abstract socket). */
  socketPath: string;
  /** The daemon's identity for hook clients to check (`PID:START`), null where it cannot be checked. */
  daemon: string | null;
  proxyUrl: string;
  /** A secret for HTTP hooks; the adapter uses it only where no file or environment would expose it. */
  hookToken: string;
  /** The policy in force, compiled to the agent's own rules where it has them; null with --no-policy-dev. */
  policy: CompiledPolicy | null;
  /** Servers the organization manages: added to every session the policy allows them in. */
  managedMcp: readonly ManagedMcpServer[];
  /** Every MCP server the agent may start, with the policy's verdict (blocked ones must never start). */
  mcpServers: readonly (McpServerSeen & McpVerdict)[];
  env: Readonly<Record<string, string | undefined>>;
}

export interface LaunchPlan {
  args: string[];
  env: Record<string, string>;
  /** Files the adapter wrote, removed when the session ends. */
  files: string[];
  /** Each MCP server's verdict as the agent will really act on it (journaled as mcp.server). */
  mcpServers: (McpServerSeen & McpVerdict)[];
  /** Open file descriptors the agent gets as fd 3, 4, ... (closed in ceros once it started). */
  fds?: number[];
  /** The token the HTTP hooks carry, or null: then the peer check alone authenticates them. */
  hookToken?: string | null;
}
