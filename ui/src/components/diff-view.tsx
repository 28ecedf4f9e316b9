import type { JSX } from 'preact';
import { diffLines, diffStats } from '../diff.ts';

/** A unified diff with both line numbers; unchanged runs longer than 6 lines fold to their edges. */
export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = diffLines(before, after);
  const { added, removed } = diffStats(lines);
  if (added === 0 && removed === 0) return <p class="muted small">No changes.</p>;
  const keep = new Set<number>();
  lines.forEach((line, i) => {
    if (line.kind !== 'same')
      for (let k = Math.max(0, i - 3); k <= Math.min(lines.length - 1, i + 3); k++) keep.add(k);
  });
  const rows: JSX.Element[] = [];
  let folded = 0;
  lines.forEach((line, i) => {
    if (!keep.has(i)) {
      folded++;
      return;
    }
    if (folded > 0) {
      rows.push(
        <tr class="diff-fold" key={`fold-${i}`}>
          <td colSpan={3}>{`… ${folded} unchanged lines`}</td>
        </tr>,
      );
      folded = 0;
    }
    rows.push(
      <tr class={`diff-${line.kind}`} key={i}>
        <td class="diff-num">{line.kind === 'add' ? '' : line.a}</td>
        <td class="diff-num">{line.kind === 'del' ? '' : line.b}</td>
        <td class="diff-text">
          <span class="diff-sign" aria-hidden="true">
            {line.kind === 'add' ? '+' : line.kind === 'del' ? '−' : ' '}
          </span>
          <span class="sr-only">
            {line.kind === 'add' ? 'added: ' : line.kind === 'del' ? 'removed: ' : ''}
          </span>
          {line.text}
        </td>
      </tr>,
    );
  });
  if (folded > 0)
    rows.push(
      <tr class="diff-fold" key="fold-end">
        <td colSpan={3}>{`… ${folded} unchanged lines`}</td>
      </tr>,
    );
  return (
    <figure class="diff" aria-label={label}>
      <p class="diff-stats small">
        <span class="diff-added">+{added}</span> <span class="diff-removed">−{removed}</span>
      </p>
      <table>
        <tbody>{rows}</tbody>
      </table>
    </figure>
  );
}
