/**
 * Writes `text` and resolves once the stream has handed all of it to the kernel. Through a pipe a
 * write is asynchronous: exiting right after `write()` cuts the output at the pipe's buffer (64 KiB
 * here, issue 14.4), and in Bun the callback of an empty write fires before earlier data drains, so
 * only the callback of the data's own write says it is out. A reader that went away (EPIPE, as with
 * `| head`) is not an error of ours: there is no one left to tell.
 */
export function writeFully(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => {
    try {
      stream.write(text, () => resolve());
    } catch {
      resolve();
    }
  });
}

/** Exits once stdout and stderr are flushed: pooled connections must not keep a finished command alive. */
export function exitAfterFlush(code: number): void {
  let waiting = 2;
  const done = () => {
    if (--waiting === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/** A closed pipe on stdout (`ceros log | head`) ends the output, not the process with a stack trace. */
export function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
}
