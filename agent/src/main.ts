/**
 * The `ceros` binary's entry: the only file that touches the process (STYLE.md 8). The hook
 * client is dispatched before anything else is loaded: it runs for every tool call.
 */
import { runHookClient } from './hook/client.ts';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'hook') {
    const answer = await runHookClient(argv.slice(1), process.env);
    if (answer.stdout) process.stdout.write(answer.stdout);
    if (answer.stderr) process.stderr.write(answer.stderr);
    return answer.exitCode;
  }
  const { runCli } = await import('./cli/run.ts');
  const result = await runCli(
    argv,
    {
      env: process.env,
      cwd: process.cwd(),
      readStdin: async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
      progress: (line) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`),
    },
    { cerosBinary: process.execPath, uid: process.getuid?.() ?? 0 },
  );
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  return result.exitCode;
}

/** Exits once output is flushed: pooled upstream connections must not keep a finished session alive. */
function exit(code: number): void {
  let waiting = 2;
  const done = () => {
    if (--waiting === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main().then(exit, (error: unknown) => {
  process.stderr.write(`ceros: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
  exit(1);
});
