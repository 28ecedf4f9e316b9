import { count } from '../format.ts';

export interface Bucket {
  /** Short axis label, e.g. "Mon 12". */
  label: string;
  /** Full label for the tooltip and the screen-reader table. */
  title: string;
  value: number;
}

const W = 280;
const H = 96;
const PAD_BOTTOM = 16;

/**
 * A small inline SVG bar chart: one bar per bucket, the maximum marked, every value in a title
 * for hover and in a visually hidden table for screen readers.
 */
export function BarChart({
  buckets,
  tone,
  label,
}: {
  buckets: readonly Bucket[];
  tone: string;
  label: string;
}) {
  const max = Math.max(1, ...buckets.map((b) => b.value));
  const slot = W / Math.max(1, buckets.length);
  const barWidth = Math.max(2, slot * 0.62);
  const plot = H - PAD_BOTTOM;
  const every = Math.ceil(buckets.length / 7);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} class={`chart-svg chart-${tone}`} role="img" aria-label={label}>
        <line x1="0" y1={plot + 0.5} x2={W} y2={plot + 0.5} class="chart-axis" />
        {buckets.map((b, i) => {
          const h = b.value === 0 ? 0 : Math.max(2, (b.value / max) * (plot - 6));
          const x = i * slot + (slot - barWidth) / 2;
          return (
            <g key={b.title}>
              <rect x={x} y={plot - h} width={barWidth} height={h} rx="1.5" class="chart-bar">
                <title>{`${b.title}: ${count(b.value)}`}</title>
              </rect>
              {i % every === 0 ? (
                <text x={x + barWidth / 2} y={H - 3} class="chart-label" text-anchor="middle">
                  {b.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <table class="sr-only">
        <caption>{label}</caption>
        <tbody>
          {buckets.map((b) => (
            <tr key={b.title}>
              <th scope="row">{b.title}</th>
              <td>{b.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
