import type { CompiledPolicy } from '@ceros/policy';
import type { ManagedMcpServer } from '../edge-client/index.ts';
import type { McpServerSeen } from './mcp-servers.ts';
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
  /** The MCP servers the agent will consider, from its arguments and configuration files. */
  discoverMcpServers(line: Line, userHome: string, projectDir: string): McpServerSeen[];
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
}

export interface LaunchContext {
  sessionId: string;
  /** The session's private folder (0700): the adapter's files go here and are removed at the end. */
  runDir: string;
  cerosBinary: string;
  cerosHome: string;
  /** The user's home folder (policies write `~`). */
  userHome: string;
  projectDir: string;
  socketPath: string;
  proxyUrl: string;
  /** Authenticates HTTP hooks to the session's loopback server. */
  hookToken: string;
  /** The policy in force, compiled to the agent's own rules where it has them; null with --no-policy-dev. */
  policy: CompiledPolicy | null;
  /** Servers the organization manages: added to every session. */
  managedMcp: readonly ManagedMcpServer[];
  env: Readonly<Record<string, string | undefined>>;
}

export interface LaunchPlan {
  args: string[];
  env: Record<string, string>;
  /** Files the adapter wrote, removed when the session ends. */
  files: string[];
}
