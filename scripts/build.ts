/**
 * `npm run build`: compiles the agent (and the edge, once it exists) into single binaries under
 * dist/. Type checking happens before this in `npm run build` and `npm test`: `bun build
 * --compile` strips types without checking them.
 *
 * The agent is built in two halves. `ceros hook` runs for every tool call, and a Bun binary pays
 * for every module it links at startup (node:net alone ~15 ms), so the compiled entry links only
 * the hook client; the rest of the CLI is bundled separately, embedded as a file, and imported
 * at run time by the commands that need it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dir, '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const staging = join(root, 'dist', '.build');
const define = `--define=CEROS_VERSION=${JSON.stringify(version)}`;
const compileFlags = [
  '--compile',
  '--minify',
  '--no-compile-autoload-dotenv',
  '--no-compile-autoload-bunfig',
  define,
];

function bun(args: string[], label: string): void {
  const started = performance.now();
  const proc = Bun.spawnSync([process.execPath, ...args], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
  if (proc.exitCode !== 0) {
    process.stderr.write(proc.stdout.toString() + proc.stderr.toString());
    process.stderr.write(`Build of ${label} failed\n`);
    process.exit(1);
  }
  process.stderr.write(`built ${label} in ${Math.round(performance.now() - started)} ms\n`);
}

rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });

bun(
  [
    'build',
    '--target=bun',
    '--minify',
    define,
    join(root, 'agent/src/cli/main-cli.ts'),
    '--outfile',
    join(staging, 'cli.js'),
  ],
  'the ceros CLI bundle',
);
writeFileSync(
  join(staging, 'entry.ts'),
  `import cliPath from './cli.js' with { type: 'file' };
import runtimeWasm from ${JSON.stringify(join(root, 'node_modules/web-tree-sitter/tree-sitter.wasm'))} with { type: 'file' };
import bashWasm from ${JSON.stringify(join(root, 'node_modules/tree-sitter-bash/tree-sitter-bash.wasm'))} with { type: 'file' };
import { exitAfterFlush } from ${JSON.stringify(join(root, 'agent/src/process-exit.ts'))};
const argv = process.argv.slice(2);
const run = argv[0] === 'hook'
  ? import(${JSON.stringify(join(root, 'agent/src/hook/main-hook.ts'))}).then((m) => m.hookMain(argv.slice(1)))
  : (globalThis.__CEROS_WASM__ = { runtimeWasm, bashWasm }, import(cliPath).then((m) => m.cliMain(argv)));

run.then(exitAfterFlush, (error) => {
  process.stderr.write('ceros: unexpected failure: ' + (error?.stack ?? String(error)) + '\\n');
  exitAfterFlush(1);
});
`,
);
bun(
  ['build', ...compileFlags, join(staging, 'entry.ts'), '--outfile', join(root, 'dist/ceros')],
  'dist/ceros',
);

if (existsSync(join(root, 'edge/src/main.ts'))) {
  // The console (ui/) is one gzipped HTML page; a second entrypoint embeds it in the binary, where
  // edge/src/routes/console.ts finds it in Bun.embeddedFiles.
  const consoleStarted = performance.now();
  const { buildConsole } = await import('../ui/src/index.ts');
  const page = await buildConsole();
  process.stderr.write(
    `built the console (${(page.gzipBytes / 1024).toFixed(1)} KB gzipped) in ${Math.round(performance.now() - consoleStarted)} ms\n`,
  );
  bun(
    [
      'build',
      ...compileFlags,
      join(root, 'edge/src/main.ts'),
      page.path,
      '--outfile',
      join(root, 'dist/ceros-edge'),
    ],
    'dist/ceros-edge',
  );
}
