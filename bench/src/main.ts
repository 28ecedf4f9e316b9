/**
 * `npm run bench`: every benchmark of the project, each printed against a baseline measured in
 * the same run. `--quick` shrinks sample counts for a smoke run; `--only NAME` runs one group.
 */
import { printLines } from './stats.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

interface Group {
  name: string;
  run: () => Promise<{ name: string; value: string; target?: string; ok?: boolean }[]>;
}

const groups: Group[] = [
  {
    name: 'spine',
    run: async () => {
      const spine = await import('./spine.bench.ts');
      return [
        ...(await spine.benchHookRoundTrip(quick ? 100 : 500)),
        ...(await spine.benchProxyTtfb(quick ? 50 : 200)),
        ...(await spine.benchSession(quick ? 20 : 50, quick ? 1 : 3)),
      ];
    },
  },
];

let failed = false;
for (const group of groups) {
  if (only && group.name !== only) continue;
  const started = performance.now();
  process.stderr.write(`running ${group.name} benchmarks...\n`);
  try {
    const lines = await group.run();
    process.stdout.write(
      printLines(`${group.name} (${((performance.now() - started) / 1000).toFixed(1)} s)`, lines),
    );
  } catch (error) {
    failed = true;
    process.stdout.write(`${group.name}: failed: ${(error as Error).message}\n`);
  }
}
process.exit(failed ? 1 : 0);
