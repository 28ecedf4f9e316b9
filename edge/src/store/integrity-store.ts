import type { IntegrityAlertKind } from '../ingest/integrity.ts';

/**
 * The part of the store that keeps what devices journaled about their journals' integrity
 * (ingest/integrity.ts): one row per `alert` entry of those kinds, for the device page and the
 * dashboard. The entry itself, signed by the session that wrote it, stays in the device's chain.
 */
export interface IntegrityAlertRow {
  deviceId: string;
  /** The alert entry's seq in the device's chain, and the session whose key signed it. */
  seq: number;
  sessionId: string;
  timeMs: number;
  kind: IntegrityAlertKind;
  message: string;
  /** Canonical JSON of ingest/integrity.ts IntegrityDetails. */
  details: string;
}

export interface IntegrityAlertFilter {
  deviceId?: string;
  fromMs?: number;
  toMs?: number;
}

export interface IntegrityStore {
  /** The newest first, at most `limit`. */
  listIntegrityAlerts(
    orgId: string,
    filter: IntegrityAlertFilter,
    limit: number,
  ): Promise<IntegrityAlertRow[]>;
  /** Alerts journaled in [fromMs, toMs), and how many devices journaled them. */
  integrityAlertCounts(
    orgId: string,
    fromMs: number,
    toMs: number,
  ): Promise<{ alerts: number; devices: number }>;
}
