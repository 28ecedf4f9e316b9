import type { Decision, EvaluationInput } from '@ceros/policy';
import { type Decide, sessionDeny } from '../decide/decision.ts';
import { pendingItems, readApprovals } from '../inventory/approvals.ts';
import type { ConfigItem } from '../inventory/config-item.ts';

export interface SubagentGateOptions {
  /** The subagent's own hooks and MCP servers, read from its file now; null when it declares none. */
  findConfig(name: string): { file: string; items: ConfigItem[] } | null;
  home: string;
  /** The policy's session.configApproval; `off` (or no policy) lets every subagent through. */
  approval(): 'required' | 'off';
  policyHash(): string | null;
}

/** The tools that start a subagent, and the input field that names which one. */
const SUBAGENT_TOOLS = new Set(['Agent', 'Task']);

/**
 * A subagent's frontmatter `hooks:` fire and its `mcpServers:` start when it runs (checked on
 * 2.1.197 and 2.1.337), so a subagent file planted mid-session would run code the user never
 * approved: starting a subagent whose hooks or servers are not approved is denied, before the
 * policy is asked, with the file and the way to approve it. The file is read at each call.
 */
export function gateSubagents(decide: Decide, options: SubagentGateOptions): Decide {
  return (call: EvaluationInput): Decision => {
    if (!SUBAGENT_TOOLS.has(call.toolName) || options.approval() !== 'required') return decide(call);
    const name = call.toolInput.subagent_type;
    if (typeof name !== 'string' || name === '') return decide(call);
    const config = options.findConfig(name);
    if (!config) return decide(call);
    const approvals = readApprovals(options.home);
    const pending = pendingItems(config.items, approvals.ok ? approvals.value : { items: {} });
    if (pending.length === 0) return decide(call);
    return {
      ...sessionDeny(
        'unapproved-subagent',
        `The subagent "${name}" declares hooks or MCP servers you have not approved (${pending.length} new or changed in "${config.file}"); they would run code on this machine. Run \`ceros approve\` outside the session to approve them`,
        options.policyHash(),
      ),
      detail: pending
        .map((item) => item.summary)
        .join('; ')
        .slice(0, 500),
    };
  };
}
