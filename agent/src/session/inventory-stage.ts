import { join } from 'node:path';
import { EXIT } from '../cli/command.ts';
import {
  type ApprovalStatus,
  type Approvals,
  approvalStatus,
  pendingItems,
  readApprovals,
  writeApprovals,
} from '../inventory/approvals.ts';
import { type ConfigItem, itemId } from '../inventory/config-item.ts';
import { writePrivateFile } from '../state/secure-fs.ts';
import type { SessionPolicy } from './session-policy.ts';
import { type Progress, type StageResult, stageFailure } from './stage.ts';

/** One inventoried item as journaled in `config.inventory`. */
export type InventoriedItem = ConfigItem & { id: string; status: ApprovalStatus };

export interface ConfigInventory {
  /** `required`: items of other sources load only once approved (the policy's session.configApproval). */
  approval: 'required' | 'off';
  items: InventoriedItem[];
  /** Approved at this start, at the prompt. */
  approvedNow: string[];
}

export interface InventoryStageInput {
  items: readonly ConfigItem[];
  policy: SessionPolicy | null;
  /** The agent runs in a terminal where the user can answer (Claude Code without -p). */
  interactive: boolean;
  product: string;
  /** What `ceros approve` needs to find the same items again (the launch's folder and arguments). */
  launch: { cwd: string; projectDir: string; agentArgs: readonly string[]; userConfig: readonly string[] };
}

export interface InventoryStageDeps {
  home: string;
  progress: Progress;
  ask(question: string): boolean;
  now(): Date;
  /** Journals a refused start (`session.refused`); the session never starts. */
  journalRefusal(payload: { reason: string; pending: InventoriedItem[] }): Promise<void>;
}

/** Where a refused launch leaves what `ceros approve` should look at. */
export const pendingLaunchPath = (home: string): string => join(home, 'pending-approval.json');

/**
 * Inventory stage: every hook, command setting, code-loading environment value and MCP server the
 * agent will load, with its source and hash (journaled as `config.inventory`), checked against the
 * user's approvals. Under `configApproval: required`, one that is new or changed since approved
 * does not load: in a terminal the user is asked; otherwise (`-p`) the session is refused, naming
 * each item and `ceros approve`. An approvals file that cannot be read approves nothing.
 */
export async function runInventoryStage(
  input: InventoryStageInput,
  deps: InventoryStageDeps,
): Promise<StageResult<ConfigInventory>> {
  const approval = input.policy?.compiled.session.configApproval ?? 'off';
  const read = readApprovals(deps.home);
  let approvals: Approvals = read.ok ? read.value : { items: {} };
  if (!read.ok && approval === 'required') {
    deps.progress(`ceros: ${read.error}; treating every hook and MCP server as not approved`);
  }
  const withStatus = (list: readonly ConfigItem[]): InventoriedItem[] =>
    list.map((item) => ({ ...item, id: itemId(item), status: approvalStatus(item, approvals) }));
  const pending = pendingItems(input.items, approvals).map((item) => ({ ...item, id: itemId(item) }));
  if (approval === 'off' || pending.length === 0)
    return { ok: true, value: { approval, items: withStatus(input.items), approvedNow: [] } };

  const listing = describePending(pending);
  if (input.interactive) {
    deps.progress(
      `ceros: ${count(pending.length)} new or changed since you last approved them; they run code on this machine:\n${listing}`,
    );
    if (deps.ask(`ceros: Approve ${pending.length === 1 ? 'it' : 'them'} and start ${input.product}?`)) {
      approvals = writeApprovals(deps.home, approvals, pending, deps.now());
      return {
        ok: true,
        value: { approval, items: withStatus(input.items), approvedNow: pending.map((item) => item.id) },
      };
    }
  } else {
    writePrivateFile(
      pendingLaunchPath(deps.home),
      `${JSON.stringify({ ...input.launch, at: deps.now().toISOString() }, null, 2)}\n`,
    );
  }
  const reason = `${count(pending.length)} new or changed since you last approved them`;
  const inventoried = pending.map((item) => ({ ...item, status: item.status }) as InventoriedItem);
  await deps.journalRefusal({ reason, pending: inventoried }).catch((error: Error) => {
    deps.progress(`ceros: Cannot journal the refused start: ${error.message}`);
  });
  return stageFailure(
    `Refusing to start ${input.product}: ${reason}, and they would run code on this machine:\n${listing}\nceros: Review them, then run \`ceros approve\` in this folder to approve them (or remove them)`,
    EXIT.REFUSED,
  );
}

function count(n: number): string {
  return n === 1 ? '1 hook or MCP server is' : `${n} hooks and MCP servers are`;
}

function describePending(items: readonly (ConfigItem & { id: string; status: 'new' | 'changed' })[]): string {
  return items
    .map((item) => {
      const where = item.file ? `"${item.file}"` : 'the command line';
      const rewrite = item.mayRewriteInput ? ' (can rewrite the tool input ceros decided on)' : '';
      return `  ${item.id}  ${item.status.padEnd(7)}  ${item.source.padEnd(8)}  ${item.summary}${rewrite}\n              in ${where}`;
    })
    .join('\n');
}
