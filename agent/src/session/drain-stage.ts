import { wasReported } from '../journal/journal-error.ts';
import type { LaunchResult } from '../wrapper/launch.ts';
import type { SessionJournal } from './session-journal.ts';
import type { Progress } from './stage.ts';
import type { EdgeSync } from './sync-stage.ts';

/** How long recordings still in flight (streamed responses) may hold up the end of a session. */
export const DRAIN_TIMEOUT_MS = 5_000;

export interface DrainStageDeps {
  /** The session's start (journal stage and what follows); it may still be running, or have failed. */
  startup: Promise<unknown>;
  journal: SessionJournal;
  exit: LaunchResult;
  durationMs: () => number;
  sync: () => EdgeSync | undefined;
  progress: Progress;
  /** Run in order whatever happened above (monitors, sync, journal, daemon, files). */
  close: (() => unknown)[];
  drainTimeoutMs?: number;
}

/**
 * Drain stage, after the agent exits: wait for recordings in flight (bounded), journal session.end,
 * hand what is left to the edge, then close everything. A failure on the way is reported, never
 * thrown: the agent's exit code is the command's.
 */
export async function runDrainStage(deps: DrainStageDeps): Promise<void> {
  try {
    await deps.startup;
    await deps.journal.drain(deps.drainTimeoutMs ?? DRAIN_TIMEOUT_MS);
    deps.journal.writer()?.append('session.end', {
      exitCode: deps.exit.exitCode,
      signal: deps.exit.signal,
      durationMs: deps.durationMs(),
    });
    await deps.sync()?.flushAtExit();
  } catch (error) {
    if (!wasReported(error))
      deps.progress(`ceros: Cannot close the session journal: ${(error as Error).message}`);
  } finally {
    for (const close of deps.close) {
      try {
        await close();
      } catch (error) {
        deps.progress(`ceros: Cannot close the session cleanly: ${(error as Error).message}`);
      }
    }
  }
}
