import {
  type CompiledPolicy,
  compilePolicy,
  createFakeRealpath,
  type Effect,
  type EvaluationInput,
  evaluate,
  type PolicyDocument,
  type PolicyTestReport,
  runPolicyTests,
  type ShellParser,
} from '@ceros/policy';
import type { EdgeStore, Keyset, ToolCallRow } from '../store/store.ts';

/**
 * What a draft policy would do, before anyone publishes it: its own test cases (`tests:`), and a
 * replay of the tool calls devices recorded in the last days, each decided again under the draft
 * and compared with what was decided at the time.
 *
 * The edge does not have the device's file system, so a replayed call is decided with the
 * session's recorded folders, a home folder read from them (`/home/<user>`, `/Users/<user>`,
 * `/root`), no symlinks and unknown posture. The result says so; `ceros policy replay` on the device
 * is exact.
 */
export interface DraftEvaluation {
  tests: PolicyTestReport;
  replay: {
    days: number;
    from: string;
    to: string;
    /** Calls decided again (the newest first, up to the cap). */
    calls: number;
    /** More calls were recorded in the period than were replayed. */
    truncated: boolean;
    summary: {
      allow: number;
      ask: number;
      deny: number;
      /** Calls whose decision would differ from the recorded one. */
      changed: number;
      /** Recorded as allowed (or asked), denied under the draft. */
      newlyDenied: number;
      /** Recorded as denied (or asked), allowed under the draft. */
      newlyAllowed: number;
    };
    changed: ReplayChange[];
    /** How the replay approximates the devices, for the reader. */
    assumptions: string[];
  };
}

export interface ReplayChange {
  deviceId: string;
  sessionId: string;
  toolUseId: string;
  toolName: string;
  userEmail: string | null;
  time: string;
  input: unknown;
  recorded: { effect: Effect; rule: string | null };
  draft: { effect: Effect; rule: string; reason: string; detail: string | null };
}

export const MAX_REPLAY_CALLS = 2000;
const MAX_CHANGES = 200;
const PAGE = 500;
const DAY_MS = 86_400_000;
const EFFECTS = new Set<string>(['allow', 'ask', 'deny']);

/** The home folder a project folder sits in, for `~` in rules; null when it does not say. */
export function homeOf(folder: string | null): string | null {
  const match = folder?.match(/^(\/home\/[^/]+|\/Users\/[^/]+|\/root)(?:\/|$)/);
  return match?.[1] ?? null;
}

export async function evaluateDraft(input: {
  store: EdgeStore;
  orgId: string;
  document: unknown;
  shell: ShellParser;
  days: number;
  nowMs: number;
  maxCalls?: number;
}): Promise<DraftEvaluation> {
  const policy: CompiledPolicy = compilePolicy(input.document as PolicyDocument);
  const tests = runPolicyTests(policy, input.shell);
  const maxCalls = input.maxCalls ?? MAX_REPLAY_CALLS;
  const fromMs = input.nowMs - input.days * DAY_MS;

  const rows: ToolCallRow[] = [];
  let after: Keyset | null = null;
  let truncated = false;
  for (;;) {
    const page = await input.store.listToolCalls(
      input.orgId,
      { fromMs, toMs: input.nowMs },
      after,
      Math.min(PAGE, maxCalls - rows.length + 1),
    );
    for (const row of page.items) {
      if (rows.length === maxCalls) {
        truncated = true;
        break;
      }
      rows.push(row);
    }
    if (truncated || !page.next) break;
    after = page.next;
  }

  const folders = new Map<string, { cwd: string | null; projectDir: string | null }>();
  const summary = { allow: 0, ask: 0, deny: 0, changed: 0, newlyDenied: 0, newlyAllowed: 0 };
  const changed: ReplayChange[] = [];
  let calls = 0;
  for (const row of rows) {
    const key = `${row.deviceId}\u0000${row.sessionId}`;
    let folder = folders.get(key);
    if (!folder) {
      const conversation = await input.store.getConversation(input.orgId, row.deviceId, row.sessionId);
      folder = { cwd: conversation?.cwd ?? null, projectDir: conversation?.projectDir ?? null };
      folders.set(key, folder);
    }
    const toolInput = parseInput(row.input);
    const projectDir = folder.projectDir ?? folder.cwd ?? '/';
    const call: EvaluationInput = {
      toolName: row.toolName,
      toolInput,
      cwd: folder.cwd ?? projectDir,
      projectDir,
    };
    const home = homeOf(projectDir) ?? '/nonexistent-home';
    const decision = evaluate(policy, call, {
      home,
      cerosHome: `${home}/.ceros`,
      cerosBinary: '/usr/local/bin/ceros',
      realpath: createFakeRealpath({}),
      shell: input.shell,
    });
    calls++;
    summary[decision.effect]++;
    const recorded = row.effect !== null && EFFECTS.has(row.effect) ? (row.effect as Effect) : null;
    if (recorded === null || recorded === decision.effect) continue;
    summary.changed++;
    if (decision.effect === 'deny') summary.newlyDenied++;
    if (decision.effect === 'allow') summary.newlyAllowed++;
    if (changed.length < MAX_CHANGES)
      changed.push({
        deviceId: row.deviceId,
        sessionId: row.sessionId,
        toolUseId: row.toolUseId,
        toolName: row.toolName,
        userEmail: row.userEmail,
        time: new Date(row.timeMs).toISOString(),
        input: toolInput,
        recorded: { effect: recorded, rule: row.rule },
        draft: {
          effect: decision.effect,
          rule: decision.rule,
          reason: decision.reason,
          detail: decision.detail ?? null,
        },
      });
  }
  return {
    tests,
    replay: {
      days: input.days,
      from: new Date(fromMs).toISOString(),
      to: new Date(input.nowMs).toISOString(),
      calls,
      truncated,
      summary,
      changed,
      assumptions: [
        "Paths are decided with each session's recorded folders and a home folder read from them; symlinks on the device are not known here",
        'Posture facts count as unknown',
        ...(truncated ? [`Only the newest ${maxCalls} calls of the period were replayed`] : []),
      ],
    },
  };
}

function parseInput(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
