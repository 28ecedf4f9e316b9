import type { IntegrityAlertKind, IntegrityDetails } from '../ingest/integrity.ts';
import type { IntegrityAlertRow } from '../store/integrity-store.ts';

/** An integrity alert as the console reads it (GET /v1/admin/devices/:id, /v1/admin/integrity-alerts). */
export interface IntegrityAlertView {
  deviceId: string;
  /** The alert entry: its seq in the device's chain, and the session whose key signed it. */
  seq: number;
  sessionId: string;
  time: string;
  kind: IntegrityAlertKind;
  /** The agent's sentence; for a rewind, the statement the new chain epoch is signed with. */
  message: string;
  details: IntegrityDetails | null;
}

export function integrityAlertView(row: IntegrityAlertRow): IntegrityAlertView {
  let details: IntegrityDetails | null = null;
  try {
    details = JSON.parse(row.details) as IntegrityDetails;
  } catch {
    // Stored by this edge's projection; a row from elsewhere still shows its message.
  }
  return {
    deviceId: row.deviceId,
    seq: row.seq,
    sessionId: row.sessionId,
    time: new Date(row.timeMs).toISOString(),
    kind: row.kind,
    message: row.message,
    details,
  };
}
