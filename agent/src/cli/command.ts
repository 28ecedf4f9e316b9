/**
 * Commands return, main prints (STYLE.md 8): a command never touches the process directly, so
 * it can be tested without spawning. Only `agent/src/main.ts` writes to stdout and exits.
 */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Capabilities handed to every command; tests pass fakes. */
export interface CommandContext {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Reads all of standard input (commands that take a payload on stdin). */
  readStdin: () => Promise<string>;
  /** Progress for anything slower than a second; goes to stderr, never mixed into --json output. */
  progress: (line: string) => void;
}

export function ok(stdout: string, stderr = ''): CommandResult {
  return { stdout, stderr, exitCode: 0 };
}

export function fail(stderr: string, exitCode = 1, stdout = ''): CommandResult {
  return { stdout, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n`, exitCode };
}

/** Exit codes, mapped once here (STYLE.md 6). */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  VERIFY_FAILED: 3,
  REFUSED: 77,
} as const;
