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
    // The hook round trip alone (also part of spine): `npm run bench -- --only hook`.
    name: 'hook',
    run: async () => (await import('./spine.bench.ts')).benchHookRoundTrip(quick ? 100 : 500),
  },
  {
    name: 'spine',
    run: async () => {
      const spine = await import('./spine.bench.ts');
      return [
        ...(await spine.benchHookRoundTrip(quick ? 100 : 500)),
        ...(await spine.benchProxyTtfb(quick ? 50 : 200)),
        ...(await spine.benchJournalAppend(quick ? 300 : 2_000)),
        ...(await spine.benchSession(quick ? 20 : 50, quick ? 1 : 3)),
      ];
    },
  },
  {
    name: 'redaction',
    run: async () => {
      const redaction = await import('./redaction.bench.ts');
      return [
        ...(await redaction.benchRedactionThroughput(quick ? 4_000_000 : 16_000_000)),
        ...(await redaction.benchHookWithRedaction(quick ? 40 : 200)),
      ];
    },
  },
  {
    name: 'policy',
    run: async () => {
      const { runEvaluateBench } = await import('../../policy/bench/evaluate.bench.ts');
      const r = await runEvaluateBench({ rounds: quick ? 40 : 200 });
      const us = (v: number) => `${v.toFixed(1)} us`;
      return [
        {
          name: `evaluate(), ${r.rules}-rule policy, with shell parsing`,
          value: `p50 ${us(r.withParsing.p50Us)}, p99 ${us(r.withParsing.p99Us)} (control loop p99/p50 ${r.control.tailRatio.toFixed(1)}x)`,
          target: 'p99 <= 1000 us',
          ok: r.withParsing.p99Us <= 1000,
        },
        {
          name: 'rule matching alone',
          value: `p50 ${us(r.matchingOnly.p50Us)}, p99 ${us(r.matchingOnly.p99Us)}`,
          target: 'p99 <= 50 us',
          ok: r.matchingOnly.p99Us <= 50,
        },
        { name: 'decisions per second, one core', value: `${r.decisionsPerSecond}` },
      ];
    },
  },
  {
    name: 'posture',
    run: async () => {
      const { runPostureBench } = await import('./posture.bench.ts');
      return (await runPostureBench({ coldSamples: quick ? 4 : 12, warmSamples: quick ? 10 : 40 })).lines;
    },
  },
  {
    name: 'ledger',
    run: async () => {
      const { runLedgerBench } = await import('./ledger.bench.ts');
      return runLedgerBench({ entries: quick ? 10_000 : 100_000 });
    },
  },
  {
    name: 'edge',
    run: async () => {
      const { runEdgeBench } = await import('./edge.bench.ts');
      return runEdgeBench();
    },
  },
  {
    name: 'edge-ledger',
    run: async () => {
      const { runEdgeLedgerBench } = await import('./edge-ledger.bench.ts');
      return runEdgeLedgerBench(quick ? { devices: 60, rounds: 1, samples: 50 } : {});
    },
  },
  {
    name: 'siem',
    run: async () => {
      const { runSiemBench } = await import('./siem.bench.ts');
      return runSiemBench(quick ? { entries: 3_000 } : {});
    },
  },
  {
    name: 'console',
    run: async () => {
      const { runConsoleBench } = await import('./console.bench.ts');
      return runConsoleBench(quick ? { samples: 2 } : {});
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
