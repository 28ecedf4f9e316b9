import { execFile } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the command could not be started or was killed at its deadline. */
  exitCode: number | null;
  /** Why it did not run to completion (ENOENT, timeout). */
  error?: string;
}

/**
 * Runs an OS tool (fdesetup, reg, powershell, gsettings). Never throws: failures come back in
 * `error` so a probe turns them into evidence. The real one spawns; tests pass recorded outputs.
 */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options: { timeoutMs: number },
) => Promise<ExecResult>;

export function createNodeCommandRunner(): CommandRunner {
  return (file, args, { timeoutMs }) =>
    new Promise((resolve) => {
      execFile(
        file,
        [...args],
        {
          timeout: timeoutMs,
          windowsHide: true,
          maxBuffer: 8 << 20,
          encoding: 'utf8',
          env: { ...process.env, LC_ALL: 'C' },
        },
        (error, stdout, stderr) => {
          if (error === null) return resolve({ stdout, stderr, exitCode: 0 });
          const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
          if (typeof e.code === 'number') return resolve({ stdout, stderr, exitCode: e.code });
          resolve({
            stdout,
            stderr,
            exitCode: null,
            error: e.killed ? `timed out after ${timeoutMs} ms` : (e.code ?? e.message),
          });
        },
      );
    });
}

/**
 * Recorded commands and their outputs, for tests: keyed by the command line joined with spaces;
 * a key ending in ` *` matches any command line it is a prefix of (long PowerShell scripts).
 */
export type RecordedOutputs = Readonly<Record<string, string | ExecResult>>;

/**
 * The fake runner: answers from recorded outputs and reports anything else as not found, the way
 * a machine without that tool would. `calls` lists what was asked, in order.
 */
export function createFakeCommandRunner(outputs: RecordedOutputs): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const runner = async (file: string, args: readonly string[]): Promise<ExecResult> => {
    const key = [file, ...args].join(' ');
    calls.push(key);
    const prefix = Object.keys(outputs).find((k) => k.endsWith(' *') && key.startsWith(k.slice(0, -1)));
    const recorded = outputs[key] ?? (prefix === undefined ? undefined : outputs[prefix]);
    if (recorded === undefined) return { stdout: '', stderr: '', exitCode: null, error: 'ENOENT' };
    return typeof recorded === 'string' ? { stdout: recorded, stderr: '', exitCode: 0 } : recorded;
  };
  return Object.assign(runner, { calls });
}
