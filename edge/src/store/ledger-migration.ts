import type { Migration } from './migrations.ts';

/**
 * The transparency log's tables (issue 5). Nodes, leaves and the signed roots of checkpoints can
 * be inserted, never changed: triggers refuse UPDATE and DELETE, so a bug cannot rewrite history
 * (an operator with the database file can, which is what witnesses and devices are for).
 */
export const LEDGER_MIGRATION: Migration = {
  version: 3,
  name: 'transparency log: Merkle nodes, leaves, log keys, checkpoints, witness state',
  statements: [
    // Production deployments would keep the signer key in a KMS and store only a reference here.
    `CREATE TABLE IF NOT EXISTS log_keys (
      org_id TEXT PRIMARY KEY REFERENCES orgs(id),
      origin TEXT NOT NULL,
      signer_key TEXT NOT NULL,
      verifier_key TEXT NOT NULL,
      created_ms INTEGER NOT NULL
    )`,
    // The complete subtrees of level >= 4 of every organization's tree (merkle.md); smaller ones
    // are hashed from the leaves when a proof needs them (at most 16 leaf hashes).
    `CREATE TABLE IF NOT EXISTS merkle_nodes (
      org_id TEXT NOT NULL,
      level INTEGER NOT NULL,
      idx INTEGER NOT NULL,
      hash BLOB NOT NULL,
      PRIMARY KEY (org_id, level, idx)
    ) WITHOUT ROWID`,
    // Which entry each leaf is, and its leaf hash; UNIQUE (org, device, seq) means an entry is
    // never appended twice.
    `CREATE TABLE IF NOT EXISTS leaves (
      org_id TEXT NOT NULL,
      idx INTEGER NOT NULL,
      device_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      time_ms INTEGER NOT NULL,
      hash BLOB NOT NULL,
      PRIMARY KEY (org_id, idx),
      UNIQUE (org_id, device_id, seq)
    ) WITHOUT ROWID`,
    // UNIQUE (org, size): the log can never store two roots for one size.
    `CREATE TABLE IF NOT EXISTS checkpoints (
      org_id TEXT NOT NULL,
      size INTEGER NOT NULL,
      root_hash TEXT NOT NULL,
      note TEXT NOT NULL,
      signed_ms INTEGER NOT NULL,
      PRIMARY KEY (org_id, size)
    ) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS witness_state (
      org_id TEXT NOT NULL,
      witness TEXT NOT NULL,
      size INTEGER NOT NULL,
      last_error TEXT,
      updated_ms INTEGER NOT NULL,
      PRIMARY KEY (org_id, witness)
    ) WITHOUT ROWID`,
    ...['merkle_nodes', 'leaves'].flatMap((table) =>
      ['UPDATE', 'DELETE'].map(
        (op) => `CREATE TRIGGER IF NOT EXISTS ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
          BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
      ),
    ),
    `CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
      BEGIN SELECT RAISE(ABORT, 'checkpoints are never deleted'); END`,
    `CREATE TRIGGER IF NOT EXISTS checkpoints_fixed_root BEFORE UPDATE OF org_id, size, root_hash ON checkpoints
      BEGIN SELECT RAISE(ABORT, 'a checkpoint root is never changed'); END`,
  ],
};
