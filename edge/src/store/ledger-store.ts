/**
 * The part of the store the transparency log (edge/src/ledger/) uses: each organization's Merkle
 * tree (leaves with their hashes, and complete subtrees of level >= 4), its log key, its signed checkpoints and what each witness
 * has cosigned. Every method takes the organization id, like the rest of `EdgeStore`.
 *
 * Nodes and leaves are only ever inserted (the schema refuses UPDATE and DELETE), so a subtree
 * hash read once is valid forever and a proof can read them without a transaction.
 */
export interface LogNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

export interface LogLeaf {
  readonly deviceId: string;
  readonly seq: number;
  /** When the edge appended it; never decreasing along the log. */
  readonly timeMs: number;
  /** RFC 9162 leaf hash of the entry's stored bytes. */
  readonly hash: Uint8Array;
}

/** The rows one append adds to an organization's log; stored in the same transaction as the entries. */
export interface LogAppend {
  /** The log's size before the append: the index of the first new leaf. */
  readonly firstIndex: number;
  /** One per entry, in log order. */
  readonly leaves: readonly LogLeaf[];
  /**
   * The complete subtrees of level >= 4 the append creates. Smaller ones are hashed from at most
   * 16 leaf hashes when a proof needs them, which keeps the rows per entry near one.
   */
  readonly nodes: readonly LogNode[];
}

export interface LogKeyRow {
  /** The log's name and the key's name: `<edge name>/<org slug>`. Fixed when the key is made. */
  readonly origin: string;
  /** C2SP signer key `PRIVATE+KEY+origin+keyid+base64(0x01 || seed)`. */
  readonly signerKey: string;
  /** C2SP verifier key `origin+keyid+base64(0x01 || public key)`: what auditors and devices pin. */
  readonly verifierKey: string;
  readonly createdMs: number;
}

export interface CheckpointRow {
  readonly size: number;
  /** base64 root hash at `size`. */
  readonly rootHash: string;
  /** The signed note, with every cosignature collected so far. */
  readonly note: string;
  readonly signedMs: number;
}

export interface WitnessStateRow {
  /** The witness's key name. */
  readonly witness: string;
  /** The largest checkpoint size the witness has cosigned for this log (0: none). */
  readonly size: number;
  /** The last refusal or incident, as `CODE: reason`; null after a cosignature. */
  readonly lastError: string | null;
  readonly updatedMs: number;
}

export interface UnloggedEntry {
  readonly deviceId: string;
  readonly seq: number;
  readonly receivedMs: number;
}

export interface LedgerStore {
  logKey(orgId: string): Promise<LogKeyRow | undefined>;
  /** Stores `key` unless the organization has a log key already; returns the one it has (race-safe). */
  createLogKey(orgId: string, key: LogKeyRow): Promise<LogKeyRow>;

  /** Number of leaves in the organization's log. */
  logSize(orgId: string): Promise<number>;
  /** The leaf hashes of the given leaves, in order; undefined for one the log does not have. */
  readLeafHashes(orgId: string, indexes: readonly number[]): Promise<(Uint8Array | undefined)[]>;
  /** The hashes of the given stored subtrees (level >= 4), in order; undefined for one not stored. */
  readLogNodes(
    orgId: string,
    ids: readonly { level: number; index: number }[],
  ): Promise<(Uint8Array | undefined)[]>;
  /** When the edge appended leaf `index`. */
  leafTime(orgId: string, index: number): Promise<number | undefined>;
  /** The leaf index of entry (device, seq). */
  leafIndex(orgId: string, deviceId: string, seq: number): Promise<number | undefined>;
  /**
   * Stored entries that are not leaves yet, oldest first: each device's entries after its last
   * leaf (entries stored before the log existed). One seek per device when there are none.
   */
  unloggedEntries(orgId: string): Promise<UnloggedEntry[]>;
  /** The stored bytes of the given entries, in the same order. */
  entryBytes(orgId: string, keys: readonly { deviceId: string; seq: number }[]): Promise<string[]>;
  /** Appends leaves whose entries are already stored; throws INGEST_CONFLICT when an index is taken. */
  appendLog(orgId: string, append: LogAppend): Promise<void>;
  /** The stored bytes of leaves [fromIndex, toIndex), in log order. */
  logEntries(orgId: string, fromIndex: number, toIndex: number): Promise<string[]>;
  /** The `session.key` entries (stored bytes) of the given sessions of one device. */
  sessionKeyEntries(orgId: string, deviceId: string, sessionIds: readonly string[]): Promise<string[]>;

  /** Stores a checkpoint unless one of that size exists; returns the stored one (UNIQUE(org, size)). */
  saveCheckpoint(orgId: string, checkpoint: CheckpointRow): Promise<CheckpointRow>;
  /** The checkpoint of `size`, or the largest when `size` is omitted. */
  getCheckpoint(orgId: string, size?: number): Promise<CheckpointRow | undefined>;
  /** Replaces the note of a checkpoint with one carrying more cosignatures (same signed text). */
  setCheckpointNote(orgId: string, size: number, note: string): Promise<void>;

  listWitnessStates(orgId: string): Promise<WitnessStateRow[]>;
  saveWitnessState(orgId: string, state: WitnessStateRow): Promise<void>;
}
