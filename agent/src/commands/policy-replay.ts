import { join, resolve } from 'node:path';
import { compilePolicy, parsePolicy, type ReplayCall, replayDecisions } from '@ceros/policy';
import { parseJournalEntry } from '@ceros/protocol';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';
import { JOURNAL_FILE, readJournalFile } from '../journal/journal.ts';
import type { PolicyCliDeps } from '../policy-cli/deps.ts';
import { cerosHome } from '../state/secure-fs.ts';

export const REPLAY_HELP = `Usage: ceros policy replay --policy FILE [--since DATE] [--json]

Evaluates FILE against every tool call recorded in this device's journal and reports the calls
whose decision would change (allowed then, denied now, or the reverse), and what monitor-mode
rules would have denied. Nothing is enforced or changed.

  --policy FILE   The policy to try (YAML or JSON)
  --since DATE    Only calls recorded at or after DATE (ISO 8601, e.g. 2026-11-01)
  --json          The full report as JSON
`;

/** `ceros policy replay`: the journal's recorded tool calls against a candidate policy. */
export async function runPolicyReplay(
  argv: string[],
  ctx: CommandContext,
  deps: PolicyCliDeps,
): Promise<CommandResult> {
  if (argv.includes('--help') || argv.includes('-h')) return ok(REPLAY_HELP);
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    return at === -1 ? undefined : argv[at + 1];
  };
  const file = value('--policy');
  if (!file) return fail(`ceros policy replay: --policy FILE is required\n\n${REPLAY_HELP}`, EXIT.USAGE);
  const sinceText = value('--since');
  const since = sinceText ? Date.parse(sinceText) : Number.NEGATIVE_INFINITY;
  if (Number.isNaN(since))
    return fail(`ceros policy replay: --since "${sinceText}" is not a date`, EXIT.USAGE);
  let text: string;
  try {
    text = await deps.readFile(resolve(ctx.cwd, file));
  } catch (error) {
    return fail(`ceros policy replay: Cannot read "${file}": ${(error as Error).message}`);
  }
  const parsed = parsePolicy(text);
  if (!parsed.ok) {
    return fail(
      `ceros policy replay: "${file}" is not a valid policy:\n${parsed.issues.map((i) => `  ${JSON.stringify(i)}`).join('\n')}`,
    );
  }
  const policy = compilePolicy(parsed.value);
  const calls: ReplayCall[] = [];
  for (const raw of readJournalFile(join(cerosHome(ctx.env), 'journal', JOURNAL_FILE)).entries) {
    const entry = parseJournalEntry(raw);
    if (!entry.ok || entry.value.type !== 'tool.decision' || Date.parse(entry.value.time) < since) continue;
    const p = entry.value.payload as Record<string, unknown>;
    const recorded = (p.decision ?? {}) as {
      effect?: 'allow' | 'deny' | 'ask';
      rule?: string;
      policyHash?: string;
    };
    const cwd = typeof p.cwd === 'string' ? p.cwd : ctx.cwd;
    calls.push({
      id: `${entry.value.seq}`,
      input: {
        toolName: String(p.toolName),
        toolInput: (p.toolInput ?? {}) as Record<string, unknown>,
        cwd,
        projectDir: typeof p.projectDir === 'string' ? p.projectDir : cwd,
      },
      ...(recorded.effect
        ? { recorded: { effect: recorded.effect, ...(recorded.rule ? { rule: recorded.rule } : {}) } }
        : {}),
    });
  }
  const result = replayDecisions(policy, calls, {
    home: deps.home,
    cerosHome: deps.cerosHome,
    cerosBinary: deps.cerosBinary,
    realpath: deps.realpath,
    shell: await deps.shellParser(),
  });
  if (argv.includes('--json')) return ok(`${JSON.stringify(result, null, 2)}\n`);
  const lines = result.decisions
    .filter((d) => d.changed || d.decision.monitor)
    .map((d) => {
      const call = `${d.input.toolName} ${JSON.stringify(d.input.toolInput).slice(0, 80)}`;
      if (d.changed)
        return `  seq ${d.id}: ${call}: was ${d.recorded?.effect}, now ${d.decision.effect} (${d.decision.rule}: ${d.decision.reason})`;
      return `  seq ${d.id}: ${call}: would ${d.decision.monitor?.effect} in enforce mode (${d.decision.monitor?.rule}: ${d.decision.monitor?.reason})`;
    });
  const s = result.summary;
  return ok(
    `Replayed ${s.total} recorded tool calls: ${s.changed} would change, ${s.wouldDeny} would be denied by monitor-mode rules (allow ${s.allow}, ask ${s.ask}, deny ${s.deny})\n${lines.join('\n')}${lines.length ? '\n' : ''}`,
  );
}
