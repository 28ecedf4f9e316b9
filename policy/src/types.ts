import type { Effect, Mode, PostureValue } from './document/schema.ts';
import type { ReaddirFn } from './paths/readdir.ts';
import type { RealpathFn } from './paths/resolve.ts';
import type { ShellParser } from './shell/parser.ts';

export type { Effect, Mode, PostureValue };

/** One tool call, as the hook sees it (`toEvaluationInput(parseHookInput(...))`). */
export interface EvaluationInput {
  toolName: string;
  toolInput: Readonly<Record<string, unknown>>;
  /** Absolute working folder of the call (the hook payload's `cwd`). */
  cwd: string;
  /** Absolute project folder (`CLAUDE_PROJECT_DIR`); `${project}` in policies. */
  projectDir: string;
  /** Claude Code's permission mode (`default`, `acceptEdits`, `plan`, `bypassPermissions`...). */
  sessionMode?: string;
  /** Posture facts measured by the agent, e.g. `{ diskEncryption: 'ok' }`; missing facts are unknown. */
  posture?: Readonly<Record<string, PostureValue | undefined>>;
  /**
   * The subagent that made the call (the payload's `agent_id` and `agent_type`); absent in the
   * main loop. Carried so that no field of the payload is dropped on the way to evaluate().
   */
  agentId?: string;
  agentType?: string;
}

/** Identity of a configured MCP server, for `mcp` entries by command or URL. */
export type McpServerIdentity = { command: readonly string[] } | { url: string };

/** Capabilities and facts that hold for the whole session. */
export interface EvaluationContext {
  home: string;
  /** CEROS_HOME (default ~/.ceros): never writable or readable by tools. */
  cerosHome: string;
  /** The ceros binary: never writable by tools. */
  cerosBinary: string;
  /** Symlink resolution through the deepest existing ancestor (the agent does the I/O). */
  realpath: RealpathFn;
  /**
   * Folder listings, for what a glob can match on this file system and for recursions that
   * follow symlinks (`grep -R`, `cp -rL`). Without it globs are checked as patterns only.
   */
  readdir?: ReaddirFn;
  shell: ShellParser;
  /** CLAUDE_CONFIG_DIR when set; defaults to `<home>/.claude`. */
  claudeConfigDir?: string;
  /**
   * Files the session's safety rests on besides ceros's own state: the `--policy` file in force.
   * No tool may write them (a policy overwritten by one session would govern the next).
   */
  protectedFiles?: readonly string[];
  /** Configured MCP servers by name, for identity entries in `mcp.allow`/`mcp.deny`. */
  mcpServers?: Readonly<Record<string, McpServerIdentity>>;
  /** macOS and Windows file systems: `~/.SSH` is `~/.ssh`. */
  caseInsensitivePaths?: boolean;
  /** Home folders of other users, for `~user`. */
  userHomes?: Readonly<Record<string, string>>;
}

export interface DecisionMatch {
  rule: string;
  effect: Effect;
  mode: Mode;
  /** What matched: `Read of /etc/passwd`, `program rm`, `host example.com`... */
  subject: string;
}

/**
 * What ceros decided for one tool call: what evaluate() returns, what the session daemon answers
 * Claude Code with, and what the journal's `tool.decision` entry carries (STYLE.md 12: the agent,
 * the edge and the console read this one type).
 */
export interface Decision {
  effect: Effect;
  /**
   * The deciding rule's id, or `default`, `opaque`, `self-protection`, `posture/<fact>`,
   * `mcp-allowlist`, `mcp-deny`, `invalid-input`, `internal-error`; from the session itself
   * `revoked`, `posture` (a lockdown), `ceros/internal-error` and `no-policy`.
   */
  rule: string;
  /** Shown to the user and the model. */
  reason: string;
  /** What triggered the deciding rule. */
  detail?: string;
  /**
   * Hash of the policy (or of the signed bundle it came from) in force; null only when the session
   * runs with no policy at all (`--no-policy-dev`).
   */
  policyHash: string | null;
  /**
   * The mode of what decided: `monitor` only when a policy in monitor mode let the call through by
   * its default (the effect is then `allow`, and `monitor` says what enforcing would have done).
   */
  mode: Mode;
  /** Set when a monitor-mode rule would have decided more strictly: journal it as "would deny". */
  monitor?: { effect: Effect; rule: string; reason: string; detail?: string };
  /** Part of the call could not be analysed statically. */
  opaque: boolean;
  /** Every rule that matched (capped), strongest first. */
  matches: DecisionMatch[];
}
