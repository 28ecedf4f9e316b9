/**
 * Group commit: writes that arrive while earlier ones wait or run (or in the same turn of the event
 * loop) are committed together in one transaction, so concurrent requests share one commit and a
 * handful of multi-row statements. When a group fails (one write conflicts, say), each of its
 * writes is retried alone, so one write's failure never fails the others.
 */
export interface GroupCommitOptions<T> {
  /** Writes with the same key may share a transaction. */
  key: (write: T) => string;
  /** Stores several writes atomically: all or none. */
  storeGroup: (writes: readonly T[]) => Promise<void>;
  /** Stores one write; its error is the write's error. */
  storeOne: (write: T) => Promise<void>;
  /** How much a write weighs (entries); a group stays at or under `maxWeight` unless one write is heavier. */
  weight: (write: T) => number;
  maxWeight: number;
  /** Runs a flush; the transparency log runs it in the organization's append queue. */
  schedule?: (key: string, flush: () => Promise<void>) => Promise<unknown>;
}

interface Waiting<T> {
  readonly write: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export function createGroupCommit<T>(options: GroupCommitOptions<T>): (write: T) => Promise<void> {
  const waiting = new Map<string, Waiting<T>[]>();
  const schedule = options.schedule ?? ((_key, flush) => flush());

  const flush = async (key: string): Promise<void> => {
    const all = waiting.get(key) ?? [];
    let weight = 0;
    let take = 0;
    while (take < all.length) {
      const next = options.weight((all[take] as Waiting<T>).write);
      if (take > 0 && weight + next > options.maxWeight) break;
      weight += next;
      take++;
    }
    const group = all.slice(0, take);
    // The rest stays waiting (later writes join it) and is flushed after this group, in order.
    if (take < all.length) waiting.set(key, all.slice(take));
    else waiting.delete(key);
    try {
      await store(group);
    } finally {
      if (take < all.length) void schedule(key, () => flush(key));
    }
  };

  const store = async (group: readonly Waiting<T>[]): Promise<void> => {
    if (group.length > 1) {
      try {
        await options.storeGroup(group.map((w) => w.write));
        for (const w of group) w.resolve();
        return;
      } catch {
        // Retried one by one below: the failure belongs to some of them, or to none.
      }
    }
    for (const w of group) {
      try {
        await options.storeOne(w.write);
        w.resolve();
      } catch (error) {
        w.reject(error);
      }
    }
  };

  return (write) =>
    new Promise<void>((resolve, reject) => {
      const key = options.key(write);
      let group = waiting.get(key);
      if (!group) {
        group = [];
        waiting.set(key, group);
        setImmediate(() => void schedule(key, () => flush(key)));
      }
      group.push({ write, resolve, reject });
    });
}
