import { isStarterName, STARTER_NAMES, starterPolicy } from '@ceros/policy';
import { type CommandResult, EXIT } from '../cli/command.ts';
import { parseCliArgs } from './args.ts';

export const STARTER_HELP = `Usage: ceros policy starter NAME

Prints a shipped starter policy as YAML, to save and adapt:
  baseline  ordinary work allowed; ~/.ssh, ~/.aws, ~/.gnupg, /etc, .env files and the
            configuration of ceros and Claude Code blocked for every tool
  strict    deny by default; Bash limited to an allowlist of programs, file access limited to
            the project, code that cannot be analysed denied, no MCP servers

Example: ceros policy starter strict > policy.yaml && ceros policy check policy.yaml
`;

export function policyStarter(args: readonly string[]): CommandResult {
  const parsed = parseCliArgs(args, [], ['--help']);
  if (parsed.flags.has('--help')) return { stdout: STARTER_HELP, stderr: '', exitCode: EXIT.OK };
  const [name, ...extra] = parsed.positional;
  if (parsed.errors.length > 0 || extra.length > 0 || !name) {
    return {
      stdout: '',
      stderr: `${parsed.errors.join('\n') || (name ? 'Too many arguments' : 'Missing NAME')}\n\n${STARTER_HELP}`,
      exitCode: EXIT.USAGE,
    };
  }
  if (!isStarterName(name)) {
    return {
      stdout: '',
      stderr: `Cannot find starter policy "${name}" (available: ${STARTER_NAMES.join(', ')})\n`,
      exitCode: EXIT.USAGE,
    };
  }
  return { stdout: starterPolicy(name), stderr: '', exitCode: EXIT.OK };
}
