import { compileToClaudeSettings } from '@ceros/policy';
import { type CommandContext, type CommandResult, EXIT } from '../cli/command.ts';
import { parseCliArgs } from './args.ts';
import type { PolicyCliDeps } from './deps.ts';
import { formatIssue, loadPolicyFile } from './load.ts';

export const SETTINGS_HELP = `Usage: ceros policy settings FILE [--project DIR]

Prints the Claude Code settings the policy compiles to (permissions.deny and ask,
allowedMcpServers, deniedMcpServers): the fail-closed layer ceros passes with --settings.

Options:
  --project DIR   the project folder (default: $CLAUDE_PROJECT_DIR, else the working folder)
  --json          accepted for symmetry: the output is always JSON
  --help          show this help
`;

export async function policySettings(
  args: readonly string[],
  ctx: CommandContext,
  deps: PolicyCliDeps,
): Promise<CommandResult> {
  const parsed = parseCliArgs(args, ['--project'], ['--json', '--help']);
  if (parsed.flags.has('--help')) return { stdout: SETTINGS_HELP, stderr: '', exitCode: EXIT.OK };
  const [file, ...extra] = parsed.positional;
  if (parsed.errors.length > 0 || !file || extra.length > 0) {
    return {
      stdout: '',
      stderr: `${parsed.errors.join('\n') || (file ? 'Too many arguments' : 'Missing FILE')}\n\n${SETTINGS_HELP}`,
      exitCode: EXIT.USAGE,
    };
  }
  const loaded = await loadPolicyFile(file, deps);
  if (!loaded.ok)
    return {
      stdout: '',
      stderr: `${loaded.readError ?? loaded.issues.map((issue) => formatIssue(file, issue)).join('\n')}\n`,
      exitCode: EXIT.FAILURE,
    };
  const projectDir = parsed.values.get('--project') ?? ctx.env.CLAUDE_PROJECT_DIR ?? ctx.cwd;
  const settings = compileToClaudeSettings(loaded.policy, {
    home: deps.home,
    projectDir,
    cerosHome: deps.cerosHome,
    cerosBinary: deps.cerosBinary,
  });
  return { stdout: `${JSON.stringify(settings, null, 2)}\n`, stderr: '', exitCode: EXIT.OK };
}
