import { type Client, type InStatement, LibsqlError, type Row } from '@libsql/client';
import { EdgeError } from '../errors.ts';
import type {
  CheckpointRow,
  LedgerStore,
  LogAppend,
  LogKeyRow,
  LogLeaf,
  LogNode,
  UnloggedEntry,
  WitnessStateRow,
} from './ledger-store.ts';

/**
 * The transparency log's SQL (tables in ledger-migration.ts), spread into the libSQL store.
 * `logAppendStatements` is also what `storeEntries` adds to its batch, so the entries and their
 * leaves commit together or not at all.
 */

const int = (row: Row, key: string): number => Number(row[key] ?? 0);
const text = (row: Row, key: string): string => String(row[key] ?? '');

function bytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  return undefined;
}

const hex = (hash: Uint8Array): string =>
  Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');

/** Keys per IN list: well below SQLite's 32766 parameters. */
const CHUNK = 100;

/**
 * Plain INSERTs: a leaf index or a node another writer already took fails the whole batch, which
 * is how two edge instances appending to one organization's log are kept from interleaving.
 * Each table gets one statement whose rows travel as one JSON parameter (json_each), so a batch
 * of any size is two statements of two or three parameters.
 */
export function logAppendStatements(orgId: string, append: LogAppend): InStatement[] {
  if (append.leaves.length === 0) return [];
  const statements: InStatement[] = [
    {
      sql: `INSERT INTO leaves (org_id, idx, device_id, seq, time_ms, hash)
            SELECT ?, ? + j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2, unhex(j.value ->> 3)
            FROM json_each(?) j`,
      args: [
        orgId,
        append.firstIndex,
        JSON.stringify(append.leaves.map((leaf) => [leaf.deviceId, leaf.seq, leaf.timeMs, hex(leaf.hash)])),
      ],
    },
  ];
  if (append.nodes.length > 0)
    statements.push({
      sql: `INSERT INTO merkle_nodes (org_id, level, idx, hash)
            SELECT ?, j.value ->> 0, j.value ->> 1, unhex(j.value ->> 2) FROM json_each(?) j`,
      args: [orgId, JSON.stringify(append.nodes.map((node) => [node.level, node.index, hex(node.hash)]))],
    });
  return statements;
}

/**
 * The log appends of a group of batches, joined where one continues the other in the same
 * organization's log: a group stored together appends with two statements, not two per batch.
 */
export function mergeLogAppends(
  inputs: readonly { orgId: string; log?: LogAppend }[],
): { orgId: string; append: LogAppend }[] {
  const out: { orgId: string; append: { firstIndex: number; leaves: LogLeaf[]; nodes: LogNode[] } }[] = [];
  for (const { orgId, log } of inputs) {
    if (!log || log.leaves.length === 0) continue;
    const last = out.at(-1);
    if (
      last &&
      last.orgId === orgId &&
      last.append.firstIndex + last.append.leaves.length === log.firstIndex
    ) {
      last.append.leaves.push(...log.leaves);
      last.append.nodes.push(...log.nodes);
    } else
      out.push({
        orgId,
        append: { firstIndex: log.firstIndex, leaves: [...log.leaves], nodes: [...log.nodes] },
      });
  }
  return out;
}

/** A constraint failure caused by the log's tables: another writer appended to the same log first. */
export function isLogConflict(error: unknown): boolean {
  return (
    error instanceof LibsqlError &&
    error.code.startsWith('SQLITE_CONSTRAINT') &&
    /\b(leaves|merkle_nodes)\./.test(error.message)
  );
}

function toCheckpoint(row: Row): CheckpointRow {
  return {
    size: int(row, 'size'),
    rootHash: text(row, 'root_hash'),
    note: text(row, 'note'),
    signedMs: int(row, 'signed_ms'),
  };
}

export function libsqlLedgerMethods(client: Client): LedgerStore {
  const one = async (stmt: InStatement): Promise<Row | undefined> => (await client.execute(stmt)).rows[0];
  const all = async (stmt: InStatement): Promise<Row[]> => (await client.execute(stmt)).rows;

  const logKey = async (orgId: string): Promise<LogKeyRow | undefined> => {
    const row = await one({ sql: 'SELECT * FROM log_keys WHERE org_id = ?', args: [orgId] });
    if (!row) return undefined;
    return {
      origin: text(row, 'origin'),
      signerKey: text(row, 'signer_key'),
      verifierKey: text(row, 'verifier_key'),
      createdMs: int(row, 'created_ms'),
    };
  };
  const getCheckpoint = async (orgId: string, size?: number): Promise<CheckpointRow | undefined> => {
    const row =
      size === undefined
        ? await one({
            sql: 'SELECT * FROM checkpoints WHERE org_id = ? ORDER BY size DESC LIMIT 1',
            args: [orgId],
          })
        : await one({ sql: 'SELECT * FROM checkpoints WHERE org_id = ? AND size = ?', args: [orgId, size] });
    return row ? toCheckpoint(row) : undefined;
  };

  return {
    logKey,
    async createLogKey(orgId, key) {
      await client.execute({
        sql: `INSERT INTO log_keys (org_id, origin, signer_key, verifier_key, created_ms) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (org_id) DO NOTHING`,
        args: [orgId, key.origin, key.signerKey, key.verifierKey, key.createdMs],
      });
      const stored = await logKey(orgId);
      if (!stored) throw new EdgeError('UNKNOWN_ORG', `Cannot create a log key for organization "${orgId}"`);
      return stored;
    },

    async logSize(orgId) {
      // max() over the primary key is one index seek.
      const row = await one({ sql: 'SELECT max(idx) AS last FROM leaves WHERE org_id = ?', args: [orgId] });
      return row?.last === null || row?.last === undefined ? 0 : int(row, 'last') + 1;
    },
    async readLeafHashes(orgId, indexes) {
      const found = new Map<number, Uint8Array>();
      for (let i = 0; i < indexes.length; i += CHUNK) {
        const part = indexes.slice(i, i + CHUNK);
        const rows = await all({
          sql: `SELECT idx, hash FROM leaves WHERE org_id = ? AND idx IN (${part.map(() => '?').join(', ')})`,
          args: [orgId, ...part],
        });
        for (const row of rows) {
          const hash = bytes(row.hash);
          if (hash) found.set(int(row, 'idx'), hash);
        }
      }
      return indexes.map((index) => found.get(index));
    },
    async readLogNodes(orgId, ids) {
      if (ids.length === 0) return [];
      const stmts: InStatement[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        stmts.push({
          sql: `SELECT level, idx, hash FROM merkle_nodes WHERE org_id = ? AND (level, idx) IN (VALUES ${part
            .map(() => '(?, ?)')
            .join(', ')})`,
          args: [orgId, ...part.flatMap((id) => [id.level, id.index])],
        });
      }
      const results =
        stmts.length === 1
          ? [await client.execute(stmts[0] as InStatement)]
          : await client.batch(stmts, 'read');
      const found = new Map<string, Uint8Array>();
      for (const result of results)
        for (const row of result.rows) {
          const hash = bytes(row.hash);
          if (hash) found.set(`${int(row, 'level')}/${int(row, 'idx')}`, hash);
        }
      return ids.map((id) => found.get(`${id.level}/${id.index}`));
    },
    async leafTime(orgId, index) {
      const row = await one({
        sql: 'SELECT time_ms FROM leaves WHERE org_id = ? AND idx = ?',
        args: [orgId, index],
      });
      return row ? int(row, 'time_ms') : undefined;
    },
    async leafIndex(orgId, deviceId, seq) {
      const row = await one({
        sql: 'SELECT idx FROM leaves WHERE org_id = ? AND device_id = ? AND seq = ?',
        args: [orgId, deviceId, seq],
      });
      return row ? int(row, 'idx') : undefined;
    },
    async unloggedEntries(orgId) {
      // A device's entries are seq 0..head_seq and its leaves a prefix of them, so only devices
      // whose last leaf is behind their head have entries to catch up.
      const lagging = await all({
        sql: `SELECT d.id, d.head_seq, (SELECT max(l.seq) FROM leaves l WHERE l.org_id = d.org_id AND l.device_id = d.id)
                AS logged FROM devices d WHERE d.org_id = ? AND d.head_seq IS NOT NULL`,
        args: [orgId],
      });
      const out: UnloggedEntry[] = [];
      for (const row of lagging) {
        const logged = row.logged === null || row.logged === undefined ? -1 : int(row, 'logged');
        if (logged >= int(row, 'head_seq')) continue;
        const rows = await all({
          sql: 'SELECT seq, received_ms FROM entries WHERE device_id = ? AND org_id = ? AND seq > ? ORDER BY seq',
          args: [text(row, 'id'), orgId, logged],
        });
        for (const entry of rows)
          out.push({
            deviceId: text(row, 'id'),
            seq: int(entry, 'seq'),
            receivedMs: int(entry, 'received_ms'),
          });
      }
      // The order the edge accepted them in; each device's entries stay in seq order.
      return out.sort(
        (a, b) =>
          a.receivedMs - b.receivedMs ||
          (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0) ||
          a.seq - b.seq,
      );
    },
    async entryBytes(orgId, keys) {
      const byDevice = new Map<string, number[]>();
      for (const k of keys) {
        const seqs = byDevice.get(k.deviceId);
        if (seqs) seqs.push(k.seq);
        else byDevice.set(k.deviceId, [k.seq]);
      }
      const found = new Map<string, string>();
      for (const [deviceId, seqs] of byDevice)
        for (let i = 0; i < seqs.length; i += CHUNK) {
          const part = seqs.slice(i, i + CHUNK);
          // device_id = ? AND seq IN (...): a primary key seek per entry.
          const rows = await all({
            sql: `SELECT seq, bytes FROM entries WHERE device_id = ? AND org_id = ? AND seq IN (${part
              .map(() => '?')
              .join(', ')})`,
            args: [deviceId, orgId, ...part],
          });
          for (const row of rows) found.set(`${deviceId}\n${int(row, 'seq')}`, text(row, 'bytes'));
        }
      return keys.map((k) => {
        const bytes = found.get(`${k.deviceId}\n${k.seq}`);
        if (bytes === undefined)
          throw new EdgeError('INTERNAL', `Cannot read seq ${k.seq} of device "${k.deviceId}"`);
        return bytes;
      });
    },
    async appendLog(orgId, append) {
      try {
        await client.batch(logAppendStatements(orgId, append), 'write');
      } catch (error) {
        if (error instanceof LibsqlError && error.code.startsWith('SQLITE_CONSTRAINT'))
          throw new EdgeError(
            'INGEST_CONFLICT',
            `Cannot append to the log of organization "${orgId}": another writer appended first; retry`,
            { conflict: 'log' },
          );
        throw error;
      }
    },
    async logEntries(orgId, fromIndex, toIndex) {
      if (toIndex <= fromIndex) return [];
      const rows = await all({
        sql: `SELECT e.bytes FROM leaves l JOIN entries e ON e.device_id = l.device_id AND e.seq = l.seq AND e.org_id = l.org_id
              WHERE l.org_id = ? AND l.idx >= ? AND l.idx < ? ORDER BY l.idx`,
        args: [orgId, fromIndex, toIndex],
      });
      if (rows.length !== toIndex - fromIndex)
        throw new EdgeError(
          'INTERNAL',
          `Cannot read leaves ${fromIndex}..${toIndex} of organization "${orgId}": ${rows.length} entries found`,
        );
      return rows.map((row) => text(row, 'bytes'));
    },
    async sessionKeyEntries(orgId, deviceId, sessionIds) {
      const out: string[] = [];
      for (let i = 0; i < sessionIds.length; i += CHUNK) {
        const part = sessionIds.slice(i, i + CHUNK);
        const rows = await all({
          sql: `SELECT bytes FROM entries WHERE device_id = ? AND org_id = ? AND type = 'session.key'
                AND session_id IN (${part.map(() => '?').join(', ')}) ORDER BY seq`,
          args: [deviceId, orgId, ...part],
        });
        out.push(...rows.map((row) => text(row, 'bytes')));
      }
      return out;
    },

    async saveCheckpoint(orgId, checkpoint) {
      await client.execute({
        sql: `INSERT INTO checkpoints (org_id, size, root_hash, note, signed_ms) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (org_id, size) DO NOTHING`,
        args: [orgId, checkpoint.size, checkpoint.rootHash, checkpoint.note, checkpoint.signedMs],
      });
      const stored = await getCheckpoint(orgId, checkpoint.size);
      if (!stored) throw new EdgeError('INTERNAL', `Cannot store the checkpoint of size ${checkpoint.size}`);
      return stored;
    },
    getCheckpoint,
    async setCheckpointNote(orgId, size, note) {
      await client.execute({
        sql: 'UPDATE checkpoints SET note = ? WHERE org_id = ? AND size = ?',
        args: [note, orgId, size],
      });
    },

    async listWitnessStates(orgId) {
      const rows = await all({ sql: 'SELECT * FROM witness_state WHERE org_id = ?', args: [orgId] });
      return rows.map(
        (row): WitnessStateRow => ({
          witness: text(row, 'witness'),
          size: int(row, 'size'),
          lastError: row.last_error === null || row.last_error === undefined ? null : text(row, 'last_error'),
          updatedMs: int(row, 'updated_ms'),
        }),
      );
    },
    async saveWitnessState(orgId, state) {
      await client.execute({
        sql: `INSERT INTO witness_state (org_id, witness, size, last_error, updated_ms) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (org_id, witness) DO UPDATE SET size = excluded.size, last_error = excluded.last_error,
                updated_ms = excluded.updated_ms`,
        args: [orgId, state.witness, state.size, state.lastError, state.updatedMs],
      });
    },
  };
}
