import { abandonedEndMs, INTEGRITY_ALERT_KINDS, type IntegrityAlertKind } from '../ingest/integrity.ts';
import { activityDetails } from '../ingest/project.ts';
import type { IntegrityAlertRow, IntegrityStore } from './integrity-store.ts';
import type { Migration } from './migrations.ts';
import type { StoreEntriesInput } from './store.ts';

/** Integrity alerts per device (integrity-store.ts), and the state a session ended in. */
export const INTEGRITY_MIGRATION: Migration = {
  version: 6,
  name: 'integrity alerts per device; how a session ended',
  statements: [
    `CREATE TABLE IF NOT EXISTS integrity_alerts (
      org_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      session_id TEXT NOT NULL,
      time_ms INTEGER NOT NULL,
      kind TEXT NOT NULL,
      message TEXT NOT NULL,
      details TEXT NOT NULL,
      PRIMARY KEY (device_id, seq)
    ) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS integrity_alerts_by_org ON integrity_alerts (org_id, time_ms)`,
    // Null for a session that ended itself (session.end) or still runs; `abandoned: <reason>` for
    // one the next session ended because its wrapper died.
    `ALTER TABLE sessions ADD COLUMN end_state TEXT`,
  ],
};

type SqlArg = string | number | null;
interface Statement {
  sql: string;
  args: SqlArg[];
}
/** What this module needs of a database: the libSQL client, or the store's SQL port. */
interface Db {
  execute(statement: Statement): Promise<{ rows: readonly Record<string, unknown>[] }>;
}

/**
 * What a batch's integrity alerts and abandoned sessions add to the query tables. Runs after the
 * batch's session rows are written (libsql-store.ts), so a session that died and the one that
 * found it dead may arrive in one batch.
 */
export function integrityStatements(inputs: readonly StoreEntriesInput[]): Statement[] {
  const out: Statement[] = [];
  for (const { orgId, deviceId, entries } of inputs)
    for (const entry of entries) {
      const p = entry.projection;
      if (p.kind === 'activity' && p.integrity)
        out.push({
          sql: `INSERT INTO integrity_alerts (org_id, device_id, seq, session_id, time_ms, kind, message, details)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq) DO NOTHING`,
          args: [
            orgId,
            deviceId,
            entry.seq,
            entry.sessionId,
            entry.timeMs,
            p.integrity.alertKind,
            p.integrity.message,
            p.integrity.details,
          ],
        });
      if (p.kind !== 'session.abandoned') continue;
      const endedMs = abandonedEndMs(p, entry.timeMs);
      // A session that journaled its own end was not abandoned, whatever a later one says.
      out.push(
        {
          sql: `UPDATE sessions SET ended_ms = ?, end_state = ?, duration_ms = coalesce(duration_ms, ? - started_ms)
                WHERE org_id = ? AND device_id = ? AND session_id = ? AND ended_ms IS NULL`,
          args: [endedMs, p.state, endedMs, orgId, deviceId, p.session],
        },
        {
          sql: 'INSERT INTO activity (org_id, time_ms, actor, action, target, details) VALUES (?, ?, ?, ?, ?, ?)',
          args: [
            orgId,
            entry.timeMs,
            `device:${deviceId}`,
            'session.abandoned',
            p.session,
            activityDetails({ state: p.state, endedBy: entry.sessionId }),
          ],
        },
      );
    }
  return out;
}

const KINDS = new Set<string>(INTEGRITY_ALERT_KINDS);
const toRow = (row: Record<string, unknown>): IntegrityAlertRow => ({
  deviceId: String(row.device_id),
  seq: Number(row.seq),
  sessionId: String(row.session_id),
  timeMs: Number(row.time_ms),
  kind: (KINDS.has(String(row.kind)) ? String(row.kind) : 'journal-rewound') as IntegrityAlertKind,
  message: String(row.message ?? ''),
  details: String(row.details ?? '{}'),
});

/** The integrity SQL, spread into the libSQL store. */
export function libsqlIntegrityMethods(db: Db): IntegrityStore {
  return {
    async listIntegrityAlerts(orgId, filter, limit) {
      const where = ['org_id = ?'];
      const args: SqlArg[] = [orgId];
      if (filter.deviceId !== undefined) {
        where.push('device_id = ?');
        args.push(filter.deviceId);
      }
      if (filter.fromMs !== undefined) {
        where.push('time_ms >= ?');
        args.push(filter.fromMs);
      }
      if (filter.toMs !== undefined) {
        where.push('time_ms < ?');
        args.push(filter.toMs);
      }
      const { rows } = await db.execute({
        sql: `SELECT device_id, seq, session_id, time_ms, kind, message, details FROM integrity_alerts
              WHERE ${where.join(' AND ')} ORDER BY time_ms DESC, seq DESC LIMIT ?`,
        args: [...args, limit],
      });
      return rows.map(toRow);
    },

    async integrityAlertCounts(orgId, fromMs, toMs) {
      const { rows } = await db.execute({
        sql: `SELECT count(*) AS alerts, count(DISTINCT device_id) AS devices FROM integrity_alerts
              WHERE org_id = ? AND time_ms >= ? AND time_ms < ?`,
        args: [orgId, fromMs, toMs],
      });
      const row = rows[0] ?? {};
      return { alerts: Number(row.alerts ?? 0), devices: Number(row.devices ?? 0) };
    },
  };
}
