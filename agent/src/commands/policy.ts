import type { CommandContext, CommandResult } from '../cli/command.ts';
import { EXIT } from '../cli/command.ts';
import { policyCheck } from '../policy-cli/check.ts';
import { defaultPolicyCliDeps, type PolicyCliDeps } from '../policy-cli/deps.ts';
import { policyExplain } from '../policy-cli/explain.ts';
import { policySettings } from '../policy-cli/settings.ts';
import { policyStarter } from '../policy-cli/starter.ts';
import { policyTest } from '../policy-cli/test.ts';
import { runPolicyReplay } from './policy-replay.ts';

export const POLICY_HELP = `Usage: ceros policy COMMAND [options]

Commands:
  check FILE                         validate a policy file; list every problem
  test FILE --cases CASES            run tool-call fixtures and compare decisions
  explain --policy FILE < payload    decide one PreToolUse hook payload and say why (JSON)
  starter NAME                       print a shipped starter policy (baseline, strict)
  settings FILE                      print the Claude Code settings the policy compiles to
  replay --policy FILE               re-decide the journal's recorded calls under FILE

Run "ceros policy COMMAND --help" for the options of a command.
`;

/** `ceros policy ...`: commands return, main prints (STYLE.md 8). */
export async function runPolicyCommand(
  args: readonly string[],
  ctx: CommandContext,
  deps: PolicyCliDeps = defaultPolicyCliDeps(ctx),
): Promise<CommandResult> {
  const [command, ...rest] = args;
  switch (command) {
    case 'check':
      return policyCheck(rest, deps);
    case 'test':
      return policyTest(rest, deps);
    case 'explain':
      return policyExplain(rest, ctx, deps);
    case 'starter':
      return policyStarter(rest);
    case 'settings':
      return policySettings(rest, ctx, deps);
    case 'replay':
      return runPolicyReplay([...rest], ctx, deps);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      return { stdout: POLICY_HELP, stderr: '', exitCode: command === undefined ? EXIT.USAGE : EXIT.OK };
    default:
      return {
        stdout: '',
        stderr: `Unknown policy command "${command}"\n\n${POLICY_HELP}`,
        exitCode: EXIT.USAGE,
      };
  }
}
