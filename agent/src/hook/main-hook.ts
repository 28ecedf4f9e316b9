import { bunHookIo } from './bun-io.ts';
import { runHookClient } from './client.ts';

/**
 * `ceros hook <event>` as a process: prints the answer and exits. Bun.write rather than
 * process.stdout: touching process.stdout costs a compiled binary ~17 ms of stream setup.
 */
export async function hookMain(argv: string[]): Promise<never> {
  const answer = await runHookClient(argv, process.env, bunHookIo);
  if (answer.stdout) await Bun.write(Bun.stdout, answer.stdout);
  if (answer.stderr) await Bun.write(Bun.stderr, answer.stderr);
  process.exit(answer.exitCode);
}
