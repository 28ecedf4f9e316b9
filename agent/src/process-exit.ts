/** Exits once stdout and stderr are flushed: pooled connections must not keep a finished command alive. */
export function exitAfterFlush(code: number): void {
  let waiting = 2;
  const done = () => {
    if (--waiting === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
