/**
 * Output of the one-shot commands, as the agent's CLI does it (agent/src/process-exit.ts; the two
 * packages never import each other). Through a pipe a write is asynchronous: exiting right after
 * `write()` cut `ceros-edge siem list --json | jq` at the pipe's 64 KiB (issue 14.4), and in Bun
 * only the callback of the data's own write says it is out.
 */
export function writeFully(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => {
    try {
      stream.write(text, () => resolve());
    } catch {
      // A reader that went away (EPIPE, as with `| head`): there is no one left to tell.
      resolve();
    }
  });
}

/** Writes both outputs whole, then exits with `code`. */
export async function exitAfterWriting(stdout: string, stderr: string, code: number): Promise<never> {
  await Promise.all([writeFully(process.stdout, stdout), writeFully(process.stderr, stderr)]);
  process.exit(code);
}

/** A closed pipe on stdout (`ceros-edge siem list | head`) ends the output, not the process with a stack trace. */
export function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
}
