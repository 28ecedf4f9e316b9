/** Percentiles over samples in milliseconds; shared by every benchmark. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export const fmt = (ms: number, digits = 2): string => `${ms.toFixed(digits)} ms`;

export interface BenchLine {
  name: string;
  value: string;
  target?: string;
  ok?: boolean;
}

export function printLines(title: string, lines: BenchLine[]): string {
  const width = Math.max(...lines.map((l) => l.name.length));
  const rows = lines.map((l) => {
    const verdict = l.ok === undefined ? '' : l.ok ? '  ok' : '  OVER TARGET';
    return `  ${l.name.padEnd(width)}  ${l.value}${l.target ? `  (target ${l.target})` : ''}${verdict}`;
  });
  return `${title}\n${rows.join('\n')}\n`;
}
