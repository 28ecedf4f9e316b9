import type { IntegrityAlert } from './api.ts';
import {
  type EntryCheck,
  type ParsedEntry,
  parseEntryLine,
  sessionKeysOf,
  verifyEntries,
} from './verify-entries.ts';

/** One line that says what happened to a device's journal, from the alert's facts. */
export function integrityHeadline(alert: IntegrityAlert): string {
  const d = alert.details;
  switch (d?.kind) {
    case 'journal-rewound': {
      const at =
        d.rewoundToSeq === null ? '' : d.rewoundToSeq < 0 ? ' to empty' : ` at seq ${d.rewoundToSeq}`;
      const epoch =
        d.anchorSeq === null
          ? 'new chain epoch'
          : d.anchorSeq < 0
            ? 'new chain epoch from seq 0'
            : `new chain epoch from seq ${d.anchorSeq + 1}, chained to ${d.anchorSource === 'edge' ? "the edge's head" : "the journal's last entry"} (seq ${d.anchorSeq})`;
      const lost = d.missing
        ? `; seqs ${d.missing.from}–${d.missing.to} lost on the device, kept by the edge`
        : '';
      return `Journal rewound${at}, ${epoch}${lost}`;
    }
    case 'sync-refused':
      return `Sync refused${d.seq === null ? '' : ` at seq ${d.seq}`}${d.code ? ` (${d.code})` : ''}${d.edgeHeadSeq === null ? '' : `; the edge holds up to seq ${d.edgeHeadSeq}`}`;
    case 'journal-repaired':
      return `Journal repaired${d.removedLines === null ? '' : `: ${d.removedLines} ${d.removedLines === 1 ? 'line that was not an entry' : 'lines that were not entries'} set aside`}`;
    case 'journal-torn-tail':
      return `Torn last line set aside${d.length === null ? '' : ` (${d.length} bytes, never acknowledged)`}`;
    default:
      return `Journal alert: ${alert.kind}`;
  }
}

export type SignedStatement =
  | { state: 'verified'; message: string }
  | { state: 'bad'; reason: string }
  | { state: 'unknown'; reason: string };

/** How far back from an alert to look for its session's key entry. */
export const KEY_LOOKBACK = 500;

/**
 * Checks, in this browser, the alert entry the edge stored: its session's Ed25519 signature over
 * the exact line (verify-entries.ts), and that the statement it signs is the one shown. `lines`
 * are the device's stored lines ending with the alert's seq; the session's key comes from its
 * `session.key` entry among them (a rewind's alert follows its epoch's key entry).
 */
export async function checkSignedAlert(
  alert: IntegrityAlert,
  lines: readonly string[],
): Promise<SignedStatement> {
  const entries = lines.map(parseEntryLine).filter((e): e is ParsedEntry => e !== null);
  const entry = entries.find((e) => e.seq === alert.seq);
  if (!entry) return { state: 'unknown', reason: `The edge returned no entry at seq ${alert.seq}` };
  const keys = sessionKeysOf(entries);
  if (!keys.has(entry.session))
    return {
      state: 'unknown',
      reason: `The key of session ${entry.session} is not within ${KEY_LOOKBACK} entries`,
    };
  const checks: Map<number, EntryCheck> = await verifyEntries([entry], null, keys);
  if (checks.get(entry.seq)?.signature !== 'ok')
    return { state: 'bad', reason: `The signature of entry ${entry.seq} does not verify` };
  const payload = entry.payload as { kind?: unknown; message?: unknown } | null;
  if (entry.type !== 'alert' || payload?.kind !== alert.kind || typeof payload.message !== 'string')
    return { state: 'bad', reason: `Entry ${entry.seq} is not the ${alert.kind} alert` };
  return { state: 'verified', message: payload.message };
}
