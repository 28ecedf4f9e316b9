import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';
import { pendingItems, readApprovals, writeApprovals } from '../inventory/approvals.ts';
import { type ConfigItem, itemId } from '../inventory/config-item.ts';
import { openMaintenanceJournal } from '../journal/maintenance-session.ts';
import type { Keystore } from '../keystore/keystore.ts';
import { pendingLaunchPath } from '../session/inventory-stage.ts';
import { type AncestorProcess, detectNesting } from '../session/nesting.ts';
import { cerosHome } from '../state/secure-fs.ts';
import { inventoryClaude } from '../wrapper/claude-inventory.ts';

export const APPROVE_HELP = `Usage: ceros approve [--all | ID...] [--project DIR] [--json]

Hooks, settings that name a program (statusLine, apiKeyHelper...), environment values that load
code (BASH_ENV, NODE_OPTIONS...) and MCP servers of Claude Code's settings files, .mcp.json,
~/.claude.json, subagent files and plugins run code on this machine, and a session can plant
them for the next one. Under a policy with session.configApproval: required (both starters),
ceros starts Claude Code only once you approved each of them; one that changes afterwards (or a
script it runs) needs approval again. Managed settings and what you type on the command line
need none.

  ceros approve            List what is new or changed for the project (with ids)
  ceros approve --all      Approve everything listed
  ceros approve ID...      Approve the items with these ids

Options:
  --project DIR   The project folder (default: the current folder)
  --json          Machine-readable output
  --help          Show this help

Approvals are kept in CEROS_HOME/approvals.json (0600), where no tool of a session can write.
This command refuses to run inside a Claude Code session: only you can approve.
`;

export interface ApproveDeps {
  keystore: () => Keystore;
  /** The processes above this one (an approval from inside a session is refused). */
  ancestors: () => Promise<AncestorProcess[]>;
  now?: () => Date;
}

interface Listed {
  id: string;
  status: 'new' | 'changed';
  kind: ConfigItem['kind'];
  source: ConfigItem['source'];
  file: string | null;
  label: string;
  summary: string;
  mayRewriteInput: boolean;
}

export async function runApprove(
  argv: string[],
  ctx: CommandContext,
  deps: ApproveDeps,
): Promise<CommandResult> {
  const args = parseApproveArgs(argv);
  if (!args.ok) return fail(`ceros approve: ${args.error}\n\n${APPROVE_HELP}`, EXIT.USAGE);
  if (args.value.help) return ok(APPROVE_HELP);
  const nesting = detectNesting(ctx.env, await deps.ancestors());
  if (nesting.nested) {
    return fail(
      `ceros: Refusing to approve from inside an agent session (${[
        ...Object.keys(nesting.markers),
        ...nesting.agents.map((agent) => `Claude Code pid ${agent.pid}`),
      ].join(', ')}): run \`ceros approve\` yourself, in a terminal of your own`,
      EXIT.REFUSED,
    );
  }
  const home = cerosHome(ctx.env);
  const projectDir = resolve(ctx.cwd, args.value.project ?? '.');
  const launch = pendingLaunch(home, projectDir);
  const items = inventoryClaude({
    claudeArgs: launch?.agentArgs ?? [],
    userSettings: launch?.userConfig ?? [],
    cwd: launch?.cwd ?? projectDir,
    projectDir,
    userHome: ctx.env.HOME ?? home,
    env: ctx.env,
  }).items;
  const approvals = readApprovals(home);
  if (!approvals.ok && (args.value.all || args.value.ids.length > 0))
    return fail(`ceros: ${approvals.error}: fix or remove it, then approve again`, EXIT.FAILURE);
  const pending = pendingItems(items, approvals.ok ? approvals.value : { items: {} });
  const listed: Listed[] = pending.map((item) => ({
    id: itemId(item),
    status: item.status,
    kind: item.kind,
    source: item.source,
    file: item.file,
    label: item.label,
    summary: item.summary,
    mayRewriteInput: item.mayRewriteInput === true,
  }));
  if (!args.value.all && args.value.ids.length === 0) {
    if (args.value.json) return ok(`${JSON.stringify({ projectDir, pending: listed }, null, 2)}\n`);
    if (listed.length === 0) return ok(`Nothing to approve for "${projectDir}"\n`);
    return ok(
      `${listed.length} new or changed for "${projectDir}" (each runs code on this machine):\n${listed.map(describe).join('\n')}\n\nApprove them with \`ceros approve --all\`, or some with \`ceros approve ID...\`\n`,
    );
  }
  const unknown = args.value.ids.filter((id) => !listed.some((item) => item.id === id));
  if (unknown.length > 0)
    return fail(
      `ceros: Nothing to approve with the id${unknown.length > 1 ? 's' : ''} "${unknown.join('", "')}": run \`ceros approve\` to list the ids`,
      EXIT.USAGE,
    );
  const chosen = args.value.all ? pending : pending.filter((item) => args.value.ids.includes(itemId(item)));
  writeApprovals(
    home,
    approvals.ok ? approvals.value : { items: {} },
    chosen,
    (deps.now ?? (() => new Date()))(),
  );
  const approved = listed.filter((item) => chosen.some((c) => itemId(c) === item.id));
  const opened = await openMaintenanceJournal(home, deps.keystore, 'ceros approve').catch(() => null);
  if (opened) {
    opened.journal.append('config.approved', {
      projectDir,
      items: chosen.map((item) => ({ ...item, id: itemId(item) })),
    });
    opened.journal.close();
  }
  if (args.value.json) return ok(`${JSON.stringify({ projectDir, approved }, null, 2)}\n`);
  return ok(
    approved.length === 0
      ? `Nothing to approve for "${projectDir}"\n`
      : `Approved ${approved.length}:\n${approved.map(describe).join('\n')}\n`,
  );
}

function describe(item: Listed): string {
  const rewrite = item.mayRewriteInput ? ' (can rewrite the tool input ceros decided on)' : '';
  return `  ${item.id}  ${item.status.padEnd(7)}  ${item.source.padEnd(8)}  ${item.summary}${rewrite}\n              in ${item.file ? `"${item.file}"` : 'the command line'}`;
}

/** The arguments of the last launch refused in this project, so `--settings` files are found again. */
function pendingLaunch(
  home: string,
  projectDir: string,
): { cwd: string; agentArgs: string[]; userConfig: string[] } | null {
  const path = pendingLaunchPath(home);
  if (!existsSync(path)) return null;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (value.projectDir !== projectDir || typeof value.cwd !== 'string') return null;
    const strings = (list: unknown) =>
      Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
    return { cwd: value.cwd, agentArgs: strings(value.agentArgs), userConfig: strings(value.userConfig) };
  } catch {
    return null;
  }
}

type ApproveArgs = { all: boolean; ids: string[]; project: string | null; json: boolean; help: boolean };

function parseApproveArgs(
  argv: readonly string[],
): { ok: true; value: ApproveArgs } | { ok: false; error: string } {
  const value: ApproveArgs = { all: false, ids: [], project: null, json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--all') value.all = true;
    else if (arg === '--json') value.json = true;
    else if (arg === '--help' || arg === '-h') value.help = true;
    else if (arg === '--project') {
      const dir = argv[++i];
      if (!dir) return { ok: false, error: '--project needs a folder' };
      value.project = dir;
    } else if (/^[0-9a-f]{10}$/.test(arg)) value.ids.push(arg);
    else return { ok: false, error: `Unknown argument "${arg}"` };
  }
  if (value.all && value.ids.length > 0)
    return { ok: false, error: '--all and ids cannot be used together: choose one' };
  return { ok: true, value };
}
