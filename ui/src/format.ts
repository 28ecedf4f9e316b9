/** Display formatting. Pure: every function takes `now` and a locale rather than reading them. */

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

// Building an Intl formatter costs far more than using one; a long session formats thousands of times.
const formatters = new Map<string, Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.NumberFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.NumberFormat>(
  key: string,
  make: () => T,
): T {
  let format = formatters.get(key) as T | undefined;
  if (!format) {
    format = make();
    formatters.set(key, format);
  }
  return format;
}

/** "3 minutes ago", "in 2 hours", "now". */
export function relativeTime(iso: string, now: number, locale?: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const delta = ms - now;
  const abs = Math.abs(delta);
  if (abs < 10_000) return 'just now';
  const format = cached(`rel:${locale}`, () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));
  for (const [unit, size] of units)
    if (abs >= size || unit === 'second') return format.format(Math.round(delta / size), unit);
  return format.format(0, 'second');
}

/** Local date and time, e.g. "Jan 15, 2026, 1:00:05 PM"; `withZone` adds the time zone name. */
export function localTime(iso: string, locale?: string, withZone = false): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  return cached(
    `local:${locale}:${withZone}`,
    () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: withZone ? 'long' : 'medium' }),
  ).format(ms);
}

/** A short local form for dense tables: "Jan 15, 13:00" this year, "Jan 15, 2025" before. */
export function shortTime(iso: string, now: number, locale?: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return cached(
    `short:${locale}:${sameYear}`,
    () =>
      new Intl.DateTimeFormat(
        locale,
        sameYear
          ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
          : { year: 'numeric', month: 'short', day: 'numeric' },
      ),
  ).format(ms);
}

/** "850 ms", "4.2 s", "3 min 20 s", "2 h 5 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function count(n: number, locale?: string): string {
  // Small integers read the same in every locale, and formatting them is the hot path of long lists.
  if (Number.isInteger(n) && n > -1000 && n < 1000) return String(n);
  return cached(`num:${locale}`, () => new Intl.NumberFormat(locale)).format(n);
}

/** "1 tool call", "3 tool calls". */
export function plural(n: number, one: string, many = `${one}s`, locale?: string): string {
  return `${count(n, locale)} ${n === 1 ? one : many}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** First and last characters of a long id or hash, for tables; the full value goes in a title. */
export function shortId(id: string, keep = 8): string {
  const bare = id.replace(/^dev_/, '');
  return bare.length <= keep + 2 ? id : `${id.startsWith('dev_') ? 'dev_' : ''}${bare.slice(0, keep)}…`;
}

/** Value for an `<input type="datetime-local">` from an ISO time, in local time. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** ISO time from an `<input type="datetime-local">` value (read as local time); undefined if blank. */
export function fromLocalInput(value: string): string | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** One line summary of a tool call's input: the command of Bash, the path of file tools, else JSON. */
export function summarizeInput(input: unknown): string {
  if (typeof input === 'string') return input;
  if (typeof input !== 'object' || input === null) return input === null ? '' : String(input);
  const record = input as Record<string, unknown>;
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'prompt', 'description'])
    if (typeof record[key] === 'string') return record[key] as string;
  const text = JSON.stringify(input);
  return text === '{}' ? '' : text;
}

/** Pretty JSON for display; strings that hold JSON are shown parsed. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? String(value);
}

/**
 * An audit detail's value in words, for the activity log: lists joined, a posture finding
 * (`{ fact, value, reason }`, as the agent journals it with a posture alert) as "firewall is
 * failed: reason", other objects as "key value" pairs; never JSON.
 */
export function detailText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(detailText).join('; ');
  const record = value as Record<string, unknown>;
  if (typeof record.fact === 'string' && typeof record.value === 'string') {
    const reason = typeof record.reason === 'string' && record.reason !== '' ? `: ${record.reason}` : '';
    return `${record.fact} is ${record.value}${reason}`;
  }
  const pairs = Object.entries(record).filter(([, v]) => v !== undefined);
  return pairs.length === 0 ? '—' : pairs.map(([k, v]) => `${k} ${detailText(v)}`).join(', ');
}
