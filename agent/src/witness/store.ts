/**
 * What a witness remembers per log: the latest checkpoint it cosigned (c2sp.org/tlog-witness:
 * "the witness is only required to keep track of the latest checkpoint it observed and
 * verified"). One port, a file store (file-store.ts) and this in-memory fake.
 */
export interface WitnessRecord {
  readonly origin: string;
  readonly size: number;
  /** base64 root hash at `size`. */
  readonly rootHash: string;
  /** The signed checkpoint note the witness cosigned, as received. */
  readonly checkpoint: string;
  /** POSIX seconds of the cosignature. */
  readonly cosignedAt: number;
}

export interface WitnessStore {
  load(origin: string): Promise<WitnessRecord | undefined>;
  /** Persists the record durably before returning (the witness answers only after that). */
  save(record: WitnessRecord): Promise<void>;
}

export function createMemoryWitnessStore(initial: readonly WitnessRecord[] = []): WitnessStore & {
  records: Map<string, WitnessRecord>;
} {
  const records = new Map(initial.map((r) => [r.origin, r]));
  return {
    records,
    async load(origin) {
      return records.get(origin);
    },
    async save(record) {
      records.set(record.origin, record);
    },
  };
}
