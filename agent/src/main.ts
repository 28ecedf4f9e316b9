/**
 * The `ceros` entry when run from source (`bun agent/src/main.ts`). The compiled binary uses the
 * same two halves (scripts/build.ts): the hook client, spawned for every tool call, loads nothing
 * else; the rest of the CLI is loaded only for other commands.
 */
import { exitAfterFlush } from './process-exit.ts';

const argv = process.argv.slice(2);
const run =
  argv[0] === 'hook'
    ? import('./hook/main-hook.ts').then((m) => m.hookMain(argv.slice(1)))
    : import('./cli/main-cli.ts').then((m) => m.cliMain(argv));
run.then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`ceros: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
  exitAfterFlush(1);
});
