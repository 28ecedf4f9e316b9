import { localTime, relativeTime, shortTime } from '../format.ts';
import { useNow } from '../hooks.ts';

/**
 * A time shown local and relative: "Jan 15, 13:00 · 5 min ago", the full local time with its
 * zone on hover, and the exact instant in `datetime` for machines.
 */
export function Time({
  iso,
  relativeOnly = false,
}: {
  iso: string | null | undefined;
  relativeOnly?: boolean;
}) {
  const now = useNow();
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={localTime(iso, undefined, true)} class="time">
      {relativeOnly ? null : <span>{shortTime(iso, now)}</span>}
      <span class={relativeOnly ? '' : 'muted'}>
        {relativeOnly ? relativeTime(iso, now) : ` · ${relativeTime(iso, now)}`}
      </span>
    </time>
  );
}
