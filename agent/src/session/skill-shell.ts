import { type Decision, type ToolHookInput, toEvaluationInput } from '@ceros/policy';
import { type Decide, sessionDeny } from '../decide/decision.ts';
import type { HookAnswer } from '../hook/events.ts';

export interface SkillShellDeps {
  decide: Decide;
  projectDir: string;
  /** The policy's session.skillShell; null with no policy (--no-policy-dev). */
  skillShell(): 'deny' | 'allow' | null;
  policyHash(): string | null;
}

/**
 * PreSkillShellCommand (Claude Code 2.1.337): one inline shell command of a skill or command
 * (`` !`cmd` ``), sent before it runs with `tool_name: "Bash"` and the command as it would run.
 * It is decided as a Bash call of that command, so every Bash rule of the policy applies; a policy
 * that does not allow skill shell denies it outright (the session also sets
 * disableSkillShellExecution, so this fires only if that setting was lost). Claude Code reads a
 * deny or an ask as "block" (a skill cannot wait for approval).
 */
export function decideSkillShell(input: ToolHookInput, deps: SkillShellDeps): Decision {
  const allowed = deps.skillShell();
  if (allowed === 'deny') {
    return sessionDeny(
      'skill-shell',
      'The policy does not allow inline shell in skills and commands (session.skillShell: deny)',
      deps.policyHash(),
    );
  }
  const command = typeof input.tool.input.command === 'string' ? input.tool.input.command : null;
  if (command === null) {
    return sessionDeny('invalid-input', 'The skill shell command has no "command" string', deps.policyHash());
  }
  return deps.decide(
    toEvaluationInput(
      { ...input, tool: { ...input.tool, name: 'Bash', input: { command } } },
      { projectDir: deps.projectDir },
    ),
  );
}

/** The fields of a skill shell payload the journal keeps beside the decision. */
export function skillShellFields(input: ToolHookInput): Record<string, unknown> {
  return {
    origin: 'skill-shell',
    commandName: input.raw.command_name ?? null,
    commandSource: input.raw.command_source ?? null,
    invokedBy: input.raw.invoked_by ?? null,
  };
}

/** allow prints nothing; deny and ask block the command with the policy's reason. */
export function skillShellAnswer(decision: Decision): HookAnswer {
  if (decision.effect === 'allow' || decision.mode === 'monitor')
    return { exitCode: 0, stdout: '', stderr: '' };
  const reason = `ceros policy (${decision.rule}): ${decision.reason}${decision.detail ? ` [${decision.detail}]` : ''}`;
  return { exitCode: 0, stdout: JSON.stringify({ decision: 'block', reason }), stderr: '' };
}
