import { runCli } from './run.ts';

/** Every command but `hook`, as a process. Loaded only when needed: see scripts/build.ts. */
export async function cliMain(argv: string[]): Promise<number> {
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
