import { ignoreClosedPipes, writeFully } from '../process-exit.ts';
import { runCli } from './run.ts';

/** Every command but `hook`, as a process. Loaded only when needed: see scripts/build.ts. */
export async function cliMain(argv: string[]): Promise<number> {
  ignoreClosedPipes();
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
  // Every byte out before main exits (issue 14.4: `ceros log --json | jq` got 64 KiB of 388).
  await Promise.all([writeFully(process.stdout, result.stdout), writeFully(process.stderr, result.stderr)]);
  return result.exitCode;
}
