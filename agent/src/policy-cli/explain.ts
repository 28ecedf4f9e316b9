import { evaluate, type PostureValue, parsePreToolUse, toEvaluationInput } from '@ceros/policy';
import { type CommandContext, type CommandResult, EXIT } from '../cli/command.ts';
import { parseCliArgs } from './args.ts';
import type { PolicyCliDeps } from './deps.ts';
import { formatIssue, loadPolicyFile } from './load.ts';

export const EXPLAIN_HELP = `Usage: ceros policy explain --policy FILE [--project DIR] [--posture JSON] < payload.json

Reads one Claude Code PreToolUse hook payload on standard input and prints, as JSON, what the
policy decides and why: effect, rule, reason, detail, policyHash, mode, opaque, monitor, matches,
and the hookOutput ceros would answer with. The payload is read exactly as a running session
reads it (permission_mode, agent_id and agent_type included), so a payload the session would
refuse is refused here, naming the field.

Options:
  --policy FILE    the policy to evaluate (YAML, or JSON when FILE ends in .json)
  --project DIR    the project folder (default: $CLAUDE_PROJECT_DIR, else the payload's cwd)
  --posture JSON   posture facts, e.g. '{"diskEncryption":"ok"}'
  --json           accepted for symmetry: the output is always JSON
  --help           show this help
`;

export async function policyExplain(
  args: readonly string[],
  ctx: CommandContext,
  deps: PolicyCliDeps,
): Promise<CommandResult> {
  const parsed = parseCliArgs(args, ['--policy', '--project', '--posture'], ['--json', '--help']);
  if (parsed.flags.has('--help')) return { stdout: EXPLAIN_HELP, stderr: '', exitCode: EXIT.OK };
  const file = parsed.values.get('--policy');
  if (parsed.errors.length > 0 || !file || parsed.positional.length > 0) {
    const problems = [
      ...parsed.errors,
      ...(file ? [] : ['Missing --policy FILE']),
      ...(parsed.positional.length > 0 ? ['Unexpected arguments'] : []),
    ];
    return { stdout: '', stderr: `${problems.join('\n')}\n\n${EXPLAIN_HELP}`, exitCode: EXIT.USAGE };
  }
  let posture: Record<string, PostureValue> | undefined;
  const postureText = parsed.values.get('--posture');
  if (postureText !== undefined) {
    try {
      posture = JSON.parse(postureText) as Record<string, PostureValue>;
    } catch {
      return { stdout: '', stderr: 'Cannot read --posture: it is not JSON\n', exitCode: EXIT.USAGE };
    }
  }
  const loaded = await loadPolicyFile(file, deps);
  if (!loaded.ok) {
    const text = loaded.readError ?? loaded.issues.map((issue) => formatIssue(file, issue)).join('\n');
    return { stdout: '', stderr: `${text}\n`, exitCode: EXIT.FAILURE };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await ctx.readStdin());
  } catch {
    return {
      stdout: '',
      stderr: 'Cannot read the hook payload on standard input: it is not JSON\n',
      exitCode: EXIT.USAGE,
    };
  }
  const payload = parsePreToolUse(raw);
  if (!payload.ok)
    return { stdout: '', stderr: `Cannot read the hook payload: ${payload.error}\n`, exitCode: EXIT.USAGE };
  const projectDir = parsed.values.get('--project') ?? ctx.env.CLAUDE_PROJECT_DIR ?? payload.value.cwd;
  const input = toEvaluationInput(payload.value, { projectDir, ...(posture ? { posture } : {}) });
  const shell = await deps.shellParser();
  const decision = evaluate(loaded.policy, input, {
    home: deps.home,
    cerosHome: deps.cerosHome,
    cerosBinary: deps.cerosBinary,
    realpath: deps.realpath,
    ...(deps.readdir ? { readdir: deps.readdir } : {}),
    shell,
  });
  const output = {
    ...decision,
    hookOutput: {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: decision.effect,
        permissionDecisionReason: decision.reason,
      },
    },
  };
  return { stdout: `${JSON.stringify(output, null, 2)}\n`, stderr: '', exitCode: EXIT.OK };
}
