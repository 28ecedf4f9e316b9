import { explainUnmet, type UnmetRequirement } from './requirements.ts';

/** What the policy does when posture stops meeting it mid-session. */
export type OnUnmetMidSession = 'deny' | 'end';

/** Fail mode: without a policy choice, later tool calls are denied but Claude Code keeps running. */
export const DEFAULT_ON_UNMET_MID_SESSION: OnUnmetMidSession = 'deny';

export type PostureAction =
  | { action: 'allow' }
  /** At session start: do not launch Claude Code; show `message`. */
  | { action: 'refuse-session'; unmet: UnmetRequirement[]; message: string }
  /** Mid-session: deny every further tool call, raise an alert entry. */
  | { action: 'deny-tool-calls'; unmet: UnmetRequirement[]; message: string }
  /** Mid-session: end Claude Code (SIGTERM, then SIGKILL), raise an alert entry. */
  | { action: 'end-claude'; unmet: UnmetRequirement[]; message: string };

/** The enforcement decision for a set of unmet requirements. Pure. */
export function decidePostureAction(
  phase: 'start' | 'session',
  unmet: readonly UnmetRequirement[],
  onUnmet: OnUnmetMidSession = DEFAULT_ON_UNMET_MID_SESSION,
): PostureAction {
  if (unmet.length === 0) return { action: 'allow' };
  const list = [...unmet];
  if (phase === 'start') return { action: 'refuse-session', unmet: list, message: explainUnmet(list) };
  const message = `Posture no longer meets the policy: ${list.map((u) => u.message).join('; ')}`;
  return onUnmet === 'end'
    ? { action: 'end-claude', unmet: list, message }
    : { action: 'deny-tool-calls', unmet: list, message };
}

/** Signals and liveness of a process; `nodeProcessControl` is the real one. */
export interface ProcessControl {
  signal(pid: number, signal: 'SIGTERM' | 'SIGKILL'): void;
  isAlive(pid: number): boolean;
}

export const nodeProcessControl: ProcessControl = {
  signal: (pid, signal) => {
    process.kill(pid, signal);
  },
  isAlive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it exists but belongs to someone else.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

export interface EndProcessOptions {
  control: ProcessControl;
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
  pollMs?: number;
  /**
   * True while `pid` is still the process meant (compare its start time, see
   * ProcessReader.readStart): no signal goes to a process that reused the pid.
   */
  sameProcess?: () => boolean;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_END_GRACE_MS = 5_000;

/**
 * Ends a process: SIGTERM, up to `graceMs` for it to exit, then SIGKILL. Returns how it ended.
 * For a child of this process, prefer its exit event to `isAlive`: an unreaped child still
 * answers signal 0.
 */
export async function endProcess(
  pid: number,
  options: EndProcessOptions,
): Promise<'not-running' | 'terminated' | 'killed'> {
  const { control } = options;
  const graceMs = options.graceMs ?? DEFAULT_END_GRACE_MS;
  const pollMs = options.pollMs ?? 50;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const ours = () => control.isAlive(pid) && (options.sameProcess?.() ?? true);
  if (!ours()) return 'not-running';
  control.signal(pid, 'SIGTERM');
  for (let waited = 0; waited < graceMs; waited += pollMs) {
    await sleep(pollMs);
    if (!ours()) return 'terminated';
  }
  control.signal(pid, 'SIGKILL');
  return 'killed';
}
