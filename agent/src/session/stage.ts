/**
 * The result of one stage of a session's launch (agent/src/session/*-stage.ts): a value for the
 * next stage, or why the session cannot start and the exit code that says so (cli/command.ts EXIT).
 */
export type StageResult<T> = { ok: true; value: T } | StageFailure;

export interface StageFailure {
  ok: false;
  /** One message for the user, `ceros: ` prefixed where it is printed. */
  error: string;
  exitCode: number;
}

export function stageFailure(error: string, exitCode: number): StageFailure {
  return { ok: false, error, exitCode };
}

/** Progress lines for the user (stderr); a stage never writes to the process itself. */
export type Progress = (line: string) => void;

/** Waits for `work`, or rejects after `ms` saying what did not answer in time. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
