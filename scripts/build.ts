/**
 * `npm run build`: compiles the agent (and, once it exists, the edge) into single binaries under
 * dist/. Type checking happens before this in `npm run build` and `npm test`: `bun build --compile`
 * strips types without checking them.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dir, '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const targets = [
  { entry: 'agent/src/main.ts', out: 'dist/ceros' },
  { entry: 'edge/src/main.ts', out: 'dist/ceros-edge' },
];
mkdirSync(join(root, 'dist'), { recursive: true });
for (const target of targets) {
  if (!existsSync(join(root, target.entry))) continue;
  const started = performance.now();
  const proc = Bun.spawnSync(
    [process.execPath, 'build', '--compile', '--minify', '--sourcemap', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', `--define=CEROS_VERSION=${JSON.stringify(version)}`, join(root, target.entry), '--outfile', join(root, target.out)],
    { cwd: root, stdout: 'pipe', stderr: 'pipe' },
  );
  if (proc.exitCode !== 0) {
    process.stderr.write(proc.stdout.toString() + proc.stderr.toString());
    process.stderr.write(`Build of ${target.out} failed\n`);
    process.exit(1);
  }
  process.stderr.write(`built ${target.out} in ${Math.round(performance.now() - started)} ms\n`);
}
