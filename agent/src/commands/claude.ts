import type { CommandContext, CommandResult } from '../cli/command.ts';
import { runAgentSession, type SessionDeps } from '../session/run-session.ts';
import { createClaudeAdapter } from '../wrapper/claude-adapter.ts';

export const CLAUDE_HELP = `Usage: ceros claude [--policy FILE] [claude arguments...]

Launches Claude Code through ceros. Claude Code behaves as before (arguments, terminal, exit
code), and ceros records every prompt, response, tool definition and tool call into the local
journal (see \`ceros log\`), and asks policy before every tool call.

ceros options (everything else goes to claude unchanged):
  --policy FILE              Enforce FILE for this session: a policy bundle signed by your
                             organization (YAML/JSON documents need the flag below)
  --allow-unsigned-policy    Development only: accept an unsigned policy document (journaled)
  --no-policy-dev            Development only: run with no policy at all (journaled; refused on
                             an enrolled device). Without it, a session with no policy enforces
                             the baseline starter (\`ceros policy starter baseline\`)
  --ceros-help               Show this help without running claude

Refused, because they switch Claude Code's hooks off: --bare, --safe-mode, and the environment
variables CLAUDE_CODE_SIMPLE and CLAUDE_CODE_SAFE_MODE.

Environment:
  CEROS_HOME         State folder (default ~/.ceros; 0700, files 0600)
  CEROS_CLAUDE_PATH  The claude binary to run (default: claude on PATH)
  ANTHROPIC_BASE_URL The upstream API ceros forwards to (default https://api.anthropic.com)
  CEROS_POSTURE_INTERVAL_MS  How often posture is re-checked (default 30000)

Before Claude Code starts, ceros captures the device posture (OS, disk encryption, Secure Boot,
firewall, endpoint protection, binary hashes) and refuses the session if the policy requires
something this machine lacks, saying what to fix. Hooks and MCP servers of other sources (project and user settings, .mcp.json, subagent files,
plugins) that are new or changed since you approved them stop the start: ceros asks at a
terminal, and refuses with -p, naming each one; approve them with \`ceros approve\`.

When the device is enrolled with an edge
(\`ceros enroll\`), the journal syncs there and revocation ends the session within seconds.
`;

const CLAUDE = createClaudeAdapter(CLAUDE_HELP);

export type ClaudeDeps = SessionDeps;

/** `ceros claude`: one Claude Code session through the shared session stages (session/run-session.ts). */
export function runClaudeCommand(
  argv: string[],
  ctx: CommandContext,
  deps: ClaudeDeps,
): Promise<CommandResult> {
  return runAgentSession(CLAUDE, argv, ctx, deps);
}
