import type { JournalEntry } from '@ceros/protocol';
import { checkLogConsistency, type LogCheck, type LogTrustStore } from './checkpoints.ts';
import { type EdgeClient, EdgeClientError } from './client.ts';
import { fetchReceipt, type LedgerAlert, type ReceiptCheck, type ReceiptStore } from './receipts.ts';

/**
 * The device watching its organization's log at every sync (docs/spec/receipt.md): after each
 * acknowledged upload it checks that the log still extends the checkpoint it verified, then gets
 * an inclusion receipt for the last entry it uploaded. One check runs at a time; uploads that
 * finish meanwhile ask for exactly one more, so a fast uploader never queues a backlog and the
 * last upload is always followed by a check that sees it.
 */
export interface LogMonitorOptions {
  client: EdgeClient;
  trust: LogTrustStore;
  receipts: ReceiptStore;
  /**
   * Called once per alert code in the monitor's life (the first evidence is enough; a log that
   * stays rewound would otherwise alert at every sync): journal it, tell the user.
   */
  onAlert: (alert: LedgerAlert) => void;
  now?: () => number;
}

export type SyncResult = {
  log: LogCheck;
  /**
   * `none`: every uploaded entry has a receipt (or nothing was uploaded yet); `skipped`: the log
   * check gave no verdict or an alert, so no proof against it was asked for.
   */
  receipt: ReceiptCheck | { kind: 'none' } | { kind: 'skipped' };
};

export interface LogMonitor {
  /** The edge acknowledged entries up to `last`: check now, or once more after the check running. */
  uploaded(last: JournalEntry): Promise<SyncResult>;
  /** Checks now, or once more after the check running; resolves with that check's result. */
  sync(): Promise<SyncResult>;
}

export function createLogMonitor(options: LogMonitorOptions): LogMonitor {
  const { client, trust, receipts } = options;
  const now = options.now ?? Date.now;
  const alerted = new Set<string>();
  /** The highest entry the edge acknowledged in this monitor's life. */
  let target: JournalEntry | undefined;
  let running: Promise<SyncResult> | null = null;
  let queued: Promise<SyncResult> | null = null;

  const alert = (a: LedgerAlert) => {
    if (alerted.has(a.code)) return;
    alerted.add(a.code);
    options.onAlert(a);
  };

  const check = async (): Promise<SyncResult> => {
    const log = await checkLogConsistency(client, trust);
    if (log.kind === 'alert') alert({ code: log.code, message: log.message, evidence: log.evidence });
    if (log.kind !== 'consistent') return { log, receipt: { kind: 'skipped' } };
    const entry = target;
    if (!entry || (receipts.latest(entry.device)?.seq ?? -1) >= entry.seq)
      return { log, receipt: { kind: 'none' } };
    // One receipt per check, for the highest entry uploaded: its leaf commits to the whole chain
    // before it (each entry names the hash of the previous one), so it covers every entry up to it.
    const receipt = await fetchReceipt(client, trust, entry, now);
    if (receipt.kind === 'receipt') receipts.append(receipt.receipt);
    if (receipt.kind === 'alert')
      alert({ code: receipt.code, message: receipt.message, evidence: receipt.evidence });
    return { log, receipt };
  };

  const runOnce = (): Promise<SyncResult> =>
    check().catch((error: unknown) => ({
      // A file the device could not write, a journal entry that would not encode: no verdict.
      log: {
        kind: 'unavailable',
        error: new EdgeClientError('LOG_CHECK_FAILED', (error as Error).message, null),
      },
      receipt: { kind: 'skipped' },
    }));

  const sync = (): Promise<SyncResult> => {
    if (!running) {
      running = runOnce().finally(() => {
        running = null;
      });
      return running;
    }
    if (!queued)
      queued = running.then(() => {
        queued = null;
        return sync();
      });
    return queued;
  };

  return {
    uploaded(last) {
      if (!target || last.seq > target.seq) target = last;
      return sync();
    },
    sync,
  };
}
