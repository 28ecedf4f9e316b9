import { CLAUDE_HELP, runClaudeCommand } from '../commands/claude.ts';
import { LOG_HELP, runLog } from '../commands/log.ts';
import { VERSION } from '../version.ts';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from './command.ts';

export const MAIN_HELP = `ceros ${VERSION}: the trust layer for AI coding agents

Usage: ceros <command> [options]

Commands:
  claude [args...]   Launch Claude Code through ceros (records everything, enforces policy)
  log                List this device's journal; \`ceros log verify\` checks it
  hook <event>       Internal: the hook client Claude Code runs
  help [command]     Show help for a command

Options:
  --version          Print the version
  --help             Show this help

First run: \`ceros claude\` creates a device key and a journal under ~/.ceros (or CEROS_HOME).
Run \`ceros <command> --help\` for a command's options.
`;

export interface RunDeps {
  cerosBinary: string;
  uid: number;
}

const HELPS: Readonly<Record<string, string>> = { claude: CLAUDE_HELP, log: LOG_HELP };

export async function runCli(argv: string[], ctx: CommandContext, deps: RunDeps): Promise<CommandResult> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
      return ok(MAIN_HELP);
    case '--version':
    case '-v':
    case 'version':
      return ok(`${VERSION}\n`);
    case 'help': {
      const topic = rest[0];
      if (!topic) return ok(MAIN_HELP);
      const help = HELPS[topic];
      return help ? ok(help) : fail(`ceros: No help for "${topic}"\n\n${MAIN_HELP}`, EXIT.USAGE);
    }
    case 'claude':
      return runClaudeCommand(rest, ctx, deps);
    case 'log':
      return runLog(rest, ctx);
    default:
      return fail(`ceros: Unknown command "${command}"\n\n${MAIN_HELP}`, EXIT.USAGE);
  }
}
