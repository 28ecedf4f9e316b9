import { type CommandResult, EXIT } from '../cli/command.ts';
import { parseCliArgs } from './args.ts';
import type { PolicyCliDeps } from './deps.ts';
import { formatIssue, loadPolicyFile } from './load.ts';

export const CHECK_HELP = `Usage: ceros policy check FILE [--json]

Validates a policy file (YAML, or JSON when FILE ends in .json) and lists every problem with its
path, line and column. Exits 0 when the policy is valid, 1 when it is not.

Options:
  --json    print {"ok", "issues", "name", "hash", "rules"} as JSON
  --help    show this help
`;

export async function policyCheck(args: readonly string[], deps: PolicyCliDeps): Promise<CommandResult> {
  const parsed = parseCliArgs(args, [], ['--json', '--help']);
  if (parsed.flags.has('--help')) return { stdout: CHECK_HELP, stderr: '', exitCode: EXIT.OK };
  const [file, ...extra] = parsed.positional;
  if (parsed.errors.length > 0 || !file || extra.length > 0) {
    return {
      stdout: '',
      stderr: `${[...parsed.errors, ...(file ? [] : ['Missing FILE'])].join('\n') || 'Too many arguments'}\n\n${CHECK_HELP}`,
      exitCode: EXIT.USAGE,
    };
  }
  const loaded = await loadPolicyFile(file, deps);
  const json = parsed.flags.has('--json');
  if (!loaded.ok) {
    if (loaded.readError)
      return {
        stdout: json ? `${JSON.stringify({ ok: false, issues: [], error: loaded.readError })}\n` : '',
        stderr: `${loaded.readError}\n`,
        exitCode: EXIT.FAILURE,
      };
    if (json)
      return {
        stdout: `${JSON.stringify({ ok: false, issues: loaded.issues }, null, 2)}\n`,
        stderr: '',
        exitCode: EXIT.FAILURE,
      };
    const lines = loaded.issues.map((issue) => formatIssue(file, issue));
    const count = loaded.issues.length;
    return {
      stdout: '',
      stderr: `${lines.join('\n')}\n${count} problem${count === 1 ? '' : 's'} in ${file}\n`,
      exitCode: EXIT.FAILURE,
    };
  }
  const summary = {
    ok: true,
    issues: [],
    name: loaded.document.name ?? null,
    hash: loaded.policy.hash,
    rules: loaded.policy.rules.length,
  };
  if (json) return { stdout: `${JSON.stringify(summary, null, 2)}\n`, stderr: '', exitCode: EXIT.OK };
  return {
    stdout: `${file}: valid policy${summary.name ? ` "${summary.name}"` : ''}, ${summary.rules} rule${summary.rules === 1 ? '' : 's'}, hash ${summary.hash}\n`,
    stderr: '',
    exitCode: EXIT.OK,
  };
}
