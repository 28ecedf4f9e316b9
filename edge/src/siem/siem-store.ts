import type { Client, InStatement, Row } from '@libsql/client';
import type { Migration } from '../store/migrations.ts';
import type { ExportRecord } from './ocsf.ts';
import type { SinkConfig } from './sink-config.ts';

/**
 * Where SIEM export keeps its state (issue 17): the sinks of each organization, one durable
 * cursor per (sink, device) and the entries a receiver refused for good.
 *
 * A device's chain is stored gapless and in seq order (ingest/ingest.ts accepts head + 1 only), so
 * "every entry of this device above seq N" is exact, and a cursor of one seq per device is a
 * complete position: entries are delivered at least once, and exactly once per cursor unless a
 * delivery succeeds at the receiver and the edge stops before it records that (then they go
 * again). A lease per sink keeps two edge instances on one database from sending the same batch.
 */
export const SIEM_MIGRATION: Migration = {
  version: 5,
  name: 'SIEM export: sinks, cursors per device, dead letters',
  statements: [
    `CREATE TABLE IF NOT EXISTS siem_sinks (
      id TEXT PRIMARY KEY,
      org_id TEXT NOT NULL REFERENCES orgs(id),
      name TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('hec', 'syslog', 'otlp')),
      -- The sink's settings as JSON; a HEC token is in here, never in a response or a log line.
      config TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      delivered INTEGER NOT NULL DEFAULT 0,
      dead_letters INTEGER NOT NULL DEFAULT 0,
      failures INTEGER NOT NULL DEFAULT 0,
      next_attempt_ms INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      last_error_ms INTEGER,
      last_delivery_ms INTEGER,
      lease_owner TEXT,
      lease_until_ms INTEGER NOT NULL DEFAULT 0,
      UNIQUE (org_id, name)
    )`,
    `CREATE TABLE IF NOT EXISTS siem_cursors (
      sink_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      PRIMARY KEY (sink_id, device_id)
    ) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS siem_dead_letters (
      sink_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      time_ms INTEGER NOT NULL,
      error TEXT NOT NULL,
      PRIMARY KEY (sink_id, device_id, seq)
    ) WITHOUT ROWID`,
  ],
};

export interface SinkRow {
  id: string;
  orgId: string;
  name: string;
  config: SinkConfig;
  createdMs: number;
  delivered: number;
  deadLetters: number;
  failures: number;
  nextAttemptMs: number;
  lastError: string | null;
  lastErrorMs: number | null;
  lastDeliveryMs: number | null;
}

export interface SinkStatus extends SinkRow {
  /** Entries stored for the organization that this sink has not delivered yet. */
  pending: number;
}

/** What a delivered batch moves: the highest seq per device, and what went to the dead letters. */
export interface DeliveryCommit {
  delivered: number;
  cursors: { deviceId: string; seq: number }[];
  deadLetters: { deviceId: string; seq: number; error: string }[];
  /** Refused without naming which (OTLP partial success): counted only. */
  unnamedDeadLetters: number;
}

export interface SiemStore {
  addSink(
    sink: { id: string; orgId: string; name: string; config: SinkConfig; from: 'start' | 'now' },
    nowMs: number,
  ): Promise<void>;
  listSinks(orgId: string): Promise<SinkStatus[]>;
  getSink(orgId: string, idOrName: string): Promise<SinkRow | undefined>;
  removeSink(orgId: string, id: string): Promise<boolean>;
  /** Every sink of every organization, for the delivery loop. */
  allSinks(): Promise<SinkRow[]>;
  /** Takes or renews the sink's lease for `owner` until `untilMs`; false when another holds it. */
  leaseSink(sinkId: string, owner: string, nowMs: number, untilMs: number): Promise<boolean>;
  /** Up to `limit` entries above the sink's cursors, each device's in seq order. */
  pendingEntries(sink: SinkRow, limit: number): Promise<ExportRecord[]>;
  /** Moves the cursors and counters; only while `owner` holds the lease (else false). */
  commitDelivery(sinkId: string, owner: string, commit: DeliveryCommit, nowMs: number): Promise<boolean>;
  recordFailure(
    sinkId: string,
    error: string,
    failures: number,
    nextAttemptMs: number,
    nowMs: number,
  ): Promise<void>;
}

const int = (row: Row, key: string): number => Number(row[key] ?? 0);
const intOrNull = (row: Row, key: string): number | null =>
  row[key] === null || row[key] === undefined ? null : Number(row[key]);
const text = (row: Row, key: string): string => String(row[key] ?? '');

function toSink(row: Row): SinkRow {
  return {
    id: text(row, 'id'),
    orgId: text(row, 'org_id'),
    name: text(row, 'name'),
    config: JSON.parse(text(row, 'config')) as SinkConfig,
    createdMs: int(row, 'created_ms'),
    delivered: int(row, 'delivered'),
    deadLetters: int(row, 'dead_letters'),
    failures: int(row, 'failures'),
    nextAttemptMs: int(row, 'next_attempt_ms'),
    lastError: row.last_error === null || row.last_error === undefined ? null : text(row, 'last_error'),
    lastErrorMs: intOrNull(row, 'last_error_ms'),
    lastDeliveryMs: intOrNull(row, 'last_delivery_ms'),
  };
}

/** Devices per pass, and entries per device per pass, so one busy device cannot starve the rest. */
const DEVICES_PER_PASS = 200;

export function libsqlSiemMethods(client: Client): SiemStore {
  const all = async (stmt: InStatement): Promise<Row[]> => (await client.execute(stmt)).rows;

  return {
    async addSink(sink, nowMs) {
      const statements: InStatement[] = [
        {
          sql: `INSERT INTO siem_sinks (id, org_id, name, kind, config, created_ms) VALUES (?, ?, ?, ?, ?, ?)`,
          args: [sink.id, sink.orgId, sink.name, sink.config.kind, JSON.stringify(sink.config), nowMs],
        },
      ];
      // From now: every device's cursor starts at its head; devices enrolled later start at 0.
      if (sink.from === 'now')
        statements.push({
          sql: `INSERT INTO siem_cursors (sink_id, device_id, seq)
                SELECT ?, id, head_seq FROM devices WHERE org_id = ? AND head_seq IS NOT NULL`,
          args: [sink.id, sink.orgId],
        });
      await client.batch(statements, 'write');
    },

    async listSinks(orgId) {
      const rows = await all({
        sql: `SELECT s.*, (
                SELECT COALESCE(SUM(d.head_seq - COALESCE(c.seq, -1)), 0) FROM devices d
                LEFT JOIN siem_cursors c ON c.sink_id = s.id AND c.device_id = d.id
                WHERE d.org_id = s.org_id AND d.head_seq IS NOT NULL AND d.head_seq > COALESCE(c.seq, -1)
              ) AS pending
              FROM siem_sinks s WHERE s.org_id = ? ORDER BY s.created_ms, s.id`,
        args: [orgId],
      });
      return rows.map((row) => ({ ...toSink(row), pending: int(row, 'pending') }));
    },

    async getSink(orgId, idOrName) {
      const row = (
        await all({
          sql: 'SELECT * FROM siem_sinks WHERE org_id = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC LIMIT 1',
          args: [orgId, idOrName, idOrName, idOrName],
        })
      )[0];
      return row ? toSink(row) : undefined;
    },

    async removeSink(orgId, id) {
      const [removed] = await client.batch(
        [
          { sql: 'DELETE FROM siem_sinks WHERE org_id = ? AND id = ?', args: [orgId, id] },
          { sql: 'DELETE FROM siem_cursors WHERE sink_id = ?', args: [id] },
          { sql: 'DELETE FROM siem_dead_letters WHERE sink_id = ?', args: [id] },
        ],
        'write',
      );
      return (removed?.rowsAffected ?? 0) > 0;
    },

    async allSinks() {
      return (await all('SELECT * FROM siem_sinks ORDER BY created_ms, id')).map(toSink);
    },

    async leaseSink(sinkId, owner, nowMs, untilMs) {
      const result = await client.execute({
        sql: `UPDATE siem_sinks SET lease_owner = ?, lease_until_ms = ?
              WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until_ms < ?)`,
        args: [owner, untilMs, sinkId, owner, nowMs],
      });
      return result.rowsAffected > 0;
    },

    async pendingEntries(sink, limit) {
      const devices = await all({
        sql: `SELECT d.id, d.hostname, u.email, COALESCE(c.seq, -1) AS cursor FROM devices d
              LEFT JOIN siem_cursors c ON c.sink_id = ? AND c.device_id = d.id
              LEFT JOIN users u ON u.id = d.user_id
              WHERE d.org_id = ? AND d.head_seq IS NOT NULL AND d.head_seq > COALESCE(c.seq, -1)
              ORDER BY d.id LIMIT ?`,
        args: [sink.id, sink.orgId, DEVICES_PER_PASS],
      });
      if (devices.length === 0) return [];
      const perDevice = Math.max(1, Math.ceil(limit / devices.length));
      const out: ExportRecord[] = [];
      for (const device of devices) {
        if (out.length >= limit) break;
        const rows = await all({
          sql: `SELECT e.seq, e.hash, e.bytes, e.received_ms, l.idx FROM entries e
                LEFT JOIN leaves l ON l.org_id = e.org_id AND l.device_id = e.device_id AND l.seq = e.seq
                WHERE e.device_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?`,
          args: [text(device, 'id'), int(device, 'cursor'), Math.min(perDevice, limit - out.length)],
        });
        for (const row of rows)
          out.push({
            orgId: sink.orgId,
            deviceId: text(device, 'id'),
            seq: int(row, 'seq'),
            hash: text(row, 'hash'),
            logIndex: intOrNull(row, 'idx'),
            bytes: text(row, 'bytes'),
            receivedMs: int(row, 'received_ms'),
            hostname: device.hostname === null ? null : text(device, 'hostname'),
            userEmail: device.email === null ? null : text(device, 'email'),
          });
      }
      return out;
    },

    async commitDelivery(sinkId, owner, commit, nowMs) {
      const leased = `EXISTS (SELECT 1 FROM siem_sinks WHERE id = ? AND lease_owner = ?)`;
      const statements: InStatement[] = [
        {
          sql: `UPDATE siem_sinks SET delivered = delivered + ?, dead_letters = dead_letters + ?, failures = 0,
                  next_attempt_ms = 0, last_delivery_ms = ? WHERE id = ? AND lease_owner = ?`,
          args: [
            commit.delivered,
            commit.deadLetters.length + commit.unnamedDeadLetters,
            nowMs,
            sinkId,
            owner,
          ],
        },
      ];
      if (commit.cursors.length > 0)
        statements.push({
          sql: `INSERT INTO siem_cursors (sink_id, device_id, seq)
                SELECT ?, j.value ->> 0, j.value ->> 1 FROM json_each(?) j WHERE ${leased}
                ON CONFLICT (sink_id, device_id) DO UPDATE SET seq = MAX(seq, excluded.seq)`,
          args: [sinkId, JSON.stringify(commit.cursors.map((c) => [c.deviceId, c.seq])), sinkId, owner],
        });
      if (commit.deadLetters.length > 0)
        statements.push({
          sql: `INSERT OR REPLACE INTO siem_dead_letters (sink_id, device_id, seq, time_ms, error)
                SELECT ?, j.value ->> 0, j.value ->> 1, ?, j.value ->> 2 FROM json_each(?) j WHERE ${leased}`,
          args: [
            sinkId,
            nowMs,
            JSON.stringify(commit.deadLetters.map((d) => [d.deviceId, d.seq, d.error])),
            sinkId,
            owner,
          ],
        });
      const [updated] = await client.batch(statements, 'write');
      return (updated?.rowsAffected ?? 0) > 0;
    },

    async recordFailure(sinkId, error, failures, nextAttemptMs, nowMs) {
      await client.execute({
        sql: `UPDATE siem_sinks SET failures = ?, next_attempt_ms = ?, last_error = ?, last_error_ms = ? WHERE id = ?`,
        args: [failures, nextAttemptMs, error, nowMs, sinkId],
      });
    },
  };
}
