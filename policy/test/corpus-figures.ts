/**
 * Prints the corpus figures the analyzer work is measured by: per starter, how many must-block
 * cases are stopped (denied, or asked) and how many benign cases are allowed, overall and per
 * fixture file. `bun policy/test/corpus-figures.ts [--json]`.
 */
import { evaluate } from '../src/index.ts';
import { type CorpusCase, fixtureContext, loadCorpus, starter } from './support.ts';

const ctx = await fixtureContext();
const starters = { baseline: starter('baseline'), strict: starter('strict') } as const;

interface Tally {
  cases: number;
  denied: number;
  asked: number;
  allowed: number;
}

function tally(cases: CorpusCase[], name: keyof typeof starters): Tally {
  const out: Tally = { cases: 0, denied: 0, asked: 0, allowed: 0 };
  for (const item of cases) {
    const effect = evaluate(starters[name], item.input, ctx).effect;
    out.cases++;
    if (effect === 'deny') out.denied++;
    else if (effect === 'ask') out.asked++;
    else out.allowed++;
  }
  return out;
}

const percent = (part: number, whole: number) =>
  whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;

const bypass = loadCorpus('bypass');
const benign = loadCorpus('benign');
const mustBlock = {
  baseline: bypass.filter((item) => item.expect.baseline === 'deny'),
  strict: bypass.filter((item) => item.expect.strict === 'deny'),
};
const figures = {
  bypassCases: bypass.length,
  benignCases: benign.length,
  baseline: {
    mustBlock: tally(mustBlock.baseline, 'baseline'),
    allBypass: tally(bypass, 'baseline'),
    benign: tally(benign, 'baseline'),
  },
  strict: {
    mustBlock: tally(mustBlock.strict, 'strict'),
    benign: tally(
      benign.filter((item) => item.expect.strict === 'allow'),
      'strict',
    ),
  },
};

if (process.argv.includes('--json')) console.log(JSON.stringify(figures, null, 2));
else {
  const line = (label: string, t: Tally) =>
    console.log(
      `${label.padEnd(34)} ${String(t.cases).padStart(4)} cases  denied ${percent(t.denied, t.cases).padStart(6)}  stopped ${percent(t.denied + t.asked, t.cases).padStart(6)}  allowed ${percent(t.allowed, t.cases).padStart(6)}`,
    );
  line('baseline must-block (expect deny)', figures.baseline.mustBlock);
  line('baseline, every bypass case', figures.baseline.allBypass);
  line('baseline benign', figures.baseline.benign);
  line('strict must-block (expect deny)', figures.strict.mustBlock);
  line('strict benign (marked allow)', figures.strict.benign);
  if (process.argv.includes('--by-file')) {
    const files = [...new Set([...mustBlock.baseline, ...mustBlock.strict].map((item) => item.file))];
    for (const file of files) {
      line(
        `baseline ${file}`,
        tally(
          mustBlock.baseline.filter((item) => item.file === file),
          'baseline',
        ),
      );
      line(
        `strict ${file}`,
        tally(
          mustBlock.strict.filter((item) => item.file === file),
          'strict',
        ),
      );
    }
  }
}
