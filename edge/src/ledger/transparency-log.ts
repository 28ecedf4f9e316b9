import { randomBytes } from 'node:crypto';
import {
  addSignatureLines,
  CompactRange,
  compactRangeNodes,
  createNoteSigner,
  encodeBase64,
  formatSignerKey,
  isValidKeyName,
  NOTE_ED25519,
  type NodeReader,
  type NoteSigner,
  openCheckpoint,
  parseSignerKey,
  proveConsistency,
  proveInclusion,
  rootAt,
  signCheckpoint,
} from '@ceros/protocol';
import { EdgeError } from '../errors.ts';
import { createGroupCommit } from '../store/group-commit.ts';
import type { CheckpointRow } from '../store/ledger-store.ts';
import type { EdgeStore, StoreEntriesInput } from '../store/store.ts';
import { type LogHead, planLogAppend } from './log-append.ts';
import { storedNodeReader } from './node-reader.ts';
import { type FetchLike, submitCheckpoint, type WitnessEndpoint, type WitnessOutcome } from './witnesses.ts';

/**
 * Each organization's transparency log (docs/spec/merkle.md, checkpoint.md): every entry the edge
 * accepts becomes a leaf in the same transaction that stores it, checkpoints are signed with the
 * organization's log key when the tree grew, and witnesses are asked to cosign them.
 *
 * Appends to one organization's log are serialized in this process, and the log's primary keys
 * serialize them across edge instances sharing one database (a writer that lost the race reloads
 * the tree and tries again). The in-memory head is only a cache of what is committed.
 */
export interface TransparencyLogOptions {
  store: EdgeStore;
  /** The first part of each log's origin, `<name>/<org slug>`: the edge's host or a configured name. */
  name: string;
  now?: () => number;
  witnesses?: readonly WitnessEndpoint[];
  /** How often `start()` signs the checkpoints of logs that grew (default 2 s). */
  checkpointIntervalMs?: number;
  /**
   * An inclusion proof for an entry no checkpoint covers yet signs one on demand, at most once per
   * this many milliseconds per log (default 250): requests arriving meanwhile share that signature.
   */
  onDemandIntervalMs?: number;
  witnessTimeoutMs?: number;
  fetch?: FetchLike;
  log?: (line: string) => void;
}

export interface LogKeyInfo {
  readonly origin: string;
  /** The C2SP verifier key devices pin and auditors pass to `ceros verify --log-key`. */
  readonly verifierKey: string;
  /** Verifier keys of the witnesses this edge asks to cosign (`ceros verify --witness-key`). */
  readonly witnesses: readonly string[];
}

export interface InclusionProof {
  readonly index: number;
  readonly size: number;
  /** base64 leaf hash of the entry's stored bytes. */
  readonly leafHash: string;
  readonly proof: readonly string[];
  /** The signed checkpoint of `size` the proof leads to. */
  readonly checkpoint: string;
}

export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly proof: readonly string[];
  /** The signed checkpoint of size `to`, when the log signed one. */
  readonly checkpoint: string | null;
}

export interface TransparencyLog {
  readonly name: string;
  readonly witnesses: readonly WitnessEndpoint[];
  /** Stores entries (`EdgeStore.storeEntries`) with their leaves, in one transaction. */
  storeEntries(input: StoreEntriesInput): Promise<void>;
  /** The organization's log key, made on first use. */
  logKey(orgId: string): Promise<LogKeyInfo>;
  /** Leaves in the log now. */
  size(orgId: string): Promise<number>;
  /** The largest signed checkpoint; signs the current tree if none was signed yet. */
  latestCheckpoint(orgId: string): Promise<CheckpointRow>;
  /** The latest checkpoint this process signed or read, without a database round trip. */
  lastKnownCheckpoint(orgId: string): string | null;
  /** Signs the current tree unless a checkpoint of its size exists; returns the largest checkpoint. */
  signCheckpoint(orgId: string): Promise<CheckpointRow>;
  /** The checkpoint of exactly `size` leaves, signed now if there is none (size <= the log's size). */
  checkpointAt(orgId: string, size: number): Promise<CheckpointRow>;
  /** Sends the largest checkpoint to every witness that has not cosigned it. */
  witness(orgId: string): Promise<void>;
  inclusionProof(orgId: string, deviceId: string, seq: number): Promise<InclusionProof>;
  consistencyProof(orgId: string, from: number, to?: number): Promise<ConsistencyProof>;
  /** The first leaf appended at or after `timeMs` (the log's size if none). */
  leafIndexAt(orgId: string, timeMs: number): Promise<number>;
  nodeReader(orgId: string): NodeReader;
  /** One round of the background work: sign logs that grew, bring witnesses up to date. */
  tick(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 2000;
export const DEFAULT_ON_DEMAND_INTERVAL_MS = 250;
/** Rounds of on-demand signing one proof waits for before it gives up (the log outruns it). */
const ON_DEMAND_ROUNDS = 3;
const CATCH_UP_BATCH = 500;
/** Another instance appended first: reload the head and try again, this many times. */
const LOG_CONFLICT_RETRIES = 3;
/** At most this many entries go into one group commit. */
const GROUP_MAX_ENTRIES = 2000;

function logInputs(input: StoreEntriesInput) {
  return input.entries.map((entry) => ({ deviceId: input.deviceId, seq: entry.seq, bytes: entry.bytes }));
}
const MAX_BACKOFF_MS = 5 * 60_000;

interface OrgKey {
  readonly origin: string;
  readonly signer: NoteSigner;
  readonly verifierKey: string;
}

export function createTransparencyLog(options: TransparencyLogOptions): TransparencyLog {
  const { store } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const witnesses = options.witnesses ?? [];
  const intervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  const onDemandMs = options.onDemandIntervalMs ?? DEFAULT_ON_DEMAND_INTERVAL_MS;
  const onDemand = new Map<string, Promise<CheckpointRow>>();
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  if (!isValidKeyName(`${options.name}/x`))
    throw new RangeError(`Log name "${options.name}" cannot start a C2SP key name (no spaces or "+")`);

  const heads = new Map<string, LogHead>();
  const caughtUp = new Set<string>();
  const keys = new Map<string, Promise<OrgKey>>();
  const latest = new Map<string, CheckpointRow>();
  const appendQueues = new Map<string, Promise<unknown>>();
  const signQueues = new Map<string, Promise<unknown>>();
  const backoff = new Map<string, { delayMs: number; untilMs: number }>();

  /** Runs `task` after every earlier task of the same key has settled. */
  function serialized<T>(queues: Map<string, Promise<unknown>>, key: string, task: () => Promise<T>) {
    const previous = queues.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return run;
  }

  const nodeReader = (orgId: string): NodeReader => storedNodeReader(store, orgId);

  async function loadHead(orgId: string): Promise<LogHead> {
    const size = await store.logSize(orgId);
    const hashes = await nodeReader(orgId).readNodes(compactRangeNodes(size));
    const lastTimeMs = size > 0 ? ((await store.leafTime(orgId, size - 1)) ?? 0) : 0;
    return { size, range: CompactRange.fromHashes(size, hashes), lastTimeMs };
  }

  /** Appends entries stored before the log existed (or by an edge without one), oldest first. */
  async function catchUp(orgId: string, start: LogHead): Promise<LogHead> {
    const keys = await store.unloggedEntries(orgId);
    let head = start;
    for (let at = 0; at < keys.length; at += CATCH_UP_BATCH) {
      const chunk = keys.slice(at, at + CATCH_UP_BATCH);
      const bytes = await store.entryBytes(orgId, chunk);
      const planned = planLogAppend(
        head,
        chunk.map((key, i) => ({ ...key, bytes: bytes[i] as string, timeMs: key.receivedMs })),
        now(),
      );
      await store.appendLog(orgId, planned.append);
      head = planned.next;
    }
    if (keys.length > 0)
      log(`ledger: appended ${keys.length} earlier entries to the log of organization ${orgId}`);
    return head;
  }

  /** The head of the log; call only inside the organization's append queue. */
  async function ensureHead(orgId: string): Promise<LogHead> {
    const known = heads.get(orgId);
    if (known) return known;
    let head = await loadHead(orgId);
    if (!caughtUp.has(orgId)) {
      head = await catchUp(orgId, head);
      caughtUp.add(orgId);
    }
    heads.set(orgId, head);
    return head;
  }

  /** The head, reloaded when the database holds more leaves (another edge instance appended). */
  async function freshHead(orgId: string): Promise<LogHead> {
    const stored = await store.logSize(orgId);
    return serialized(appendQueues, orgId, () => {
      const known = heads.get(orgId);
      if (known && known.size < stored) heads.delete(orgId);
      return ensureHead(orgId);
    });
  }

  function keyOf(orgId: string): Promise<OrgKey> {
    let pending = keys.get(orgId);
    if (!pending) {
      pending = (async () => {
        let row = await store.logKey(orgId);
        if (!row) {
          const org = await store.getOrgById(orgId);
          if (!org) throw new EdgeError('UNKNOWN_ORG', `Cannot find organization "${orgId}"`);
          const origin = `${options.name}/${org.slug}`;
          // Production deployments would create this key in a KMS and keep only a reference here.
          const seed = new Uint8Array(randomBytes(32));
          row = await store.createLogKey(orgId, {
            origin,
            signerKey: formatSignerKey(origin, NOTE_ED25519, seed),
            verifierKey: createNoteSigner(origin, NOTE_ED25519, seed).verifierKey,
            createdMs: now(),
          });
          log(`ledger: created the log key of organization ${org.slug}: ${row.verifierKey}`);
        }
        const signer = parseSignerKey(row.signerKey);
        if (!signer.ok || signer.value.type !== NOTE_ED25519)
          throw new EdgeError('INTERNAL', `Cannot use the log key of organization "${orgId}": it is corrupt`);
        return { origin: row.origin, signer: signer.value, verifierKey: row.verifierKey };
      })();
      keys.set(orgId, pending);
      pending.catch(() => keys.delete(orgId));
    }
    return pending;
  }

  function remember(orgId: string, row: CheckpointRow): CheckpointRow {
    const known = latest.get(orgId);
    if (!known || known.size < row.size || (known.size === row.size && known.note !== row.note))
      latest.set(orgId, row);
    return row;
  }

  /** Signs the root of `size` unless a checkpoint of that size exists; never two roots for one size. */
  async function signAt(orgId: string, size: number, root: Uint8Array): Promise<CheckpointRow> {
    const key = await keyOf(orgId);
    const rootHash = encodeBase64(root);
    const stored =
      (await store.getCheckpoint(orgId, size)) ??
      (await store.saveCheckpoint(orgId, {
        size,
        rootHash,
        note: signCheckpoint({ origin: key.origin, size, rootHash: root, extensions: [] }, key.signer),
        signedMs: now(),
      }));
    if (stored.rootHash !== rootHash) {
      // Unreachable while nodes are append-only: two roots for one size is the log's worst failure.
      await store.recordActivity(orgId, {
        timeMs: now(),
        actor: 'edge:ledger',
        action: 'ledger.incident.split_view',
        target: String(size),
        details: JSON.stringify({ stored: stored.rootHash, computed: rootHash }),
      });
      throw new EdgeError(
        'INTERNAL',
        `Cannot sign size ${size}: the log computed a root it did not sign before`,
      );
    }
    return remember(orgId, stored);
  }

  async function signCurrent(orgId: string): Promise<CheckpointRow> {
    const head = await freshHead(orgId);
    const largest = await store.getCheckpoint(orgId);
    if (largest && largest.size >= head.size) return remember(orgId, largest);
    return signAt(orgId, head.size, head.range.root());
  }

  /**
   * One on-demand signature per log at a time, no sooner than `onDemandMs` after the last one:
   * devices asking for receipts right after uploading cannot make the edge sign per request.
   */
  function signSoon(orgId: string): Promise<CheckpointRow> {
    let pending = onDemand.get(orgId);
    if (!pending) {
      pending = (async () => {
        const since = now() - (latest.get(orgId)?.signedMs ?? 0);
        const wait = Math.min(onDemandMs, Math.max(0, onDemandMs - since));
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        return tlog.signCheckpoint(orgId);
      })().finally(() => onDemand.delete(orgId));
      onDemand.set(orgId, pending);
    }
    return pending;
  }

  async function latestCheckpoint(orgId: string): Promise<CheckpointRow> {
    const largest = await store.getCheckpoint(orgId);
    return largest ? remember(orgId, largest) : signCurrent(orgId);
  }

  async function checkpointAt(orgId: string, size: number): Promise<CheckpointRow> {
    const existing = await store.getCheckpoint(orgId, size);
    if (existing) return remember(orgId, existing);
    const head = await freshHead(orgId);
    if (!Number.isSafeInteger(size) || size < 0 || size > head.size)
      throw new EdgeError('INVALID_INPUT', `Cannot sign size ${size}: the log has ${head.size} leaves`);
    const root = size === head.size ? head.range.root() : await rootAt(nodeReader(orgId), size);
    return signAt(orgId, size, root);
  }

  function due(key: string): boolean {
    return (backoff.get(key)?.untilMs ?? 0) <= now();
  }
  function delay(key: string, failure: 'retry' | 'incident'): void {
    const previous = backoff.get(key)?.delayMs ?? intervalMs;
    const delayMs = failure === 'incident' ? MAX_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, previous * 2);
    backoff.set(key, { delayMs, untilMs: now() + delayMs });
  }

  async function witnessLatest(orgId: string): Promise<void> {
    if (witnesses.length === 0) return;
    const checkpoint = await store.getCheckpoint(orgId);
    if (!checkpoint) return;
    const key = await keyOf(orgId);
    const opened = openCheckpoint(checkpoint.note, {
      logKey: key.verifierKey,
      witnessKeys: witnesses.map((w) => w.key),
    });
    const cosignedBy = new Set(opened.ok ? opened.value.cosignatures.map((c) => c.name) : []);
    const pending = witnesses.filter((w) => !cosignedBy.has(w.key.name) && due(`${orgId}\n${w.key.name}`));
    if (pending.length === 0) return;
    const states = new Map((await store.listWitnessStates(orgId)).map((s) => [s.witness, s]));
    const reader = nodeReader(orgId);
    const outcomes = await Promise.all(
      pending.map(
        async (witness): Promise<[WitnessEndpoint, WitnessOutcome]> => [
          witness,
          await submitCheckpoint({
            witness,
            note: checkpoint.note,
            size: checkpoint.size,
            oldSize: states.get(witness.key.name)?.size ?? 0,
            prove: (from) => proveConsistency(reader, from, checkpoint.size),
            logKey: key.verifierKey,
            fetch: doFetch,
            timeoutMs: options.witnessTimeoutMs ?? 10_000,
          }),
        ],
      ),
    );
    let lines = '';
    for (const [witness, outcome] of outcomes) {
      const backoffKey = `${orgId}\n${witness.key.name}`;
      const state = states.get(witness.key.name);
      const save = (size: number, lastError: string | null) =>
        store.saveWitnessState(orgId, { witness: witness.key.name, size, lastError, updatedMs: now() });
      if (outcome.kind === 'cosigned') {
        lines += outcome.lines;
        backoff.delete(backoffKey);
        await save(outcome.size, null);
        continue;
      }
      if (outcome.kind === 'unreachable') {
        delay(backoffKey, 'retry');
        log(`ledger: ${outcome.reason}`);
        continue;
      }
      const error = `${outcome.code}: ${outcome.reason}`;
      delay(backoffKey, outcome.kind === 'incident' ? 'incident' : 'retry');
      log(`ledger: organization ${orgId}: ${error}`);
      if (state?.lastError !== error)
        // An incident: the witness holds evidence that this log showed it another history.
        await store.recordActivity(orgId, {
          timeMs: now(),
          actor: 'edge:ledger',
          action:
            outcome.kind === 'incident'
              ? `ledger.incident.${outcome.code.toLowerCase()}`
              : 'ledger.witness.refused',
          target: witness.key.name,
          details: JSON.stringify({
            size: checkpoint.size,
            witnessSize: outcome.witnessSize,
            reason: outcome.reason,
          }),
        });
      await save(outcome.witnessSize ?? state?.size ?? 0, error);
    }
    if (lines === '') return;
    // Merge with what is stored now: another edge instance may have added cosignatures meanwhile.
    const current = (await store.getCheckpoint(orgId, checkpoint.size)) ?? checkpoint;
    const merged = addSignatureLines(current.note, lines);
    if (!merged.ok) throw new EdgeError('INTERNAL', `Cannot add cosignatures: ${merged.error}`);
    await store.setCheckpointNote(orgId, checkpoint.size, merged.value);
    remember(orgId, { ...current, note: merged.value });
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  async function tick(): Promise<void> {
    for (const org of await store.listOrgs()) {
      try {
        const head = await freshHead(org.id);
        const known = latest.get(org.id) ?? (await store.getCheckpoint(org.id));
        if (head.size > 0 && (known?.size ?? -1) < head.size) await tlog.signCheckpoint(org.id);
        if (witnesses.length > 0) await tlog.witness(org.id);
      } catch (error) {
        log(`ledger: organization ${org.slug}: ${(error as Error).message}`);
      }
    }
  }

  /** Stores one batch with its leaves, again when another instance appended to the log first. */
  async function storeOne(input: StoreEntriesInput): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const head = await ensureHead(input.orgId);
      const planned = planLogAppend(head, logInputs(input), input.receivedMs);
      try {
        await store.storeEntries({ ...input, log: planned.append });
      } catch (error) {
        // Committed or not, the head may be stale now (a remote database can fail after the
        // commit; another instance may have appended): reload it next time.
        heads.delete(input.orgId);
        if (attempt < LOG_CONFLICT_RETRIES && error instanceof EdgeError && error.details.conflict === 'log')
          continue;
        throw error;
      }
      heads.set(input.orgId, planned.next);
      return;
    }
  }

  /** Batches of one organization, their leaves appended in arrival order; runs in its append queue. */
  async function storeGroup(inputs: readonly StoreEntriesInput[]): Promise<void> {
    const orgId = (inputs[0] as StoreEntriesInput).orgId;
    let head = await ensureHead(orgId);
    const planned = inputs.map((input) => {
      const plan = planLogAppend(head, logInputs(input), input.receivedMs);
      head = plan.next;
      return { ...input, log: plan.append };
    });
    try {
      await store.storeEntryGroup(planned);
    } catch (error) {
      heads.delete(orgId);
      throw error;
    }
    heads.set(orgId, head);
  }

  const storeGrouped = createGroupCommit<StoreEntriesInput>({
    key: (input) => input.orgId,
    storeGroup,
    storeOne,
    weight: (input) => input.entries.length,
    maxWeight: GROUP_MAX_ENTRIES,
    schedule: (orgId, flush) => serialized(appendQueues, orgId, flush),
  });

  const tlog: TransparencyLog = {
    name: options.name,
    witnesses,

    storeEntries(input) {
      if (input.entries.length === 0) return store.storeEntries(input);
      // Concurrent requests of an organization share one transaction (group-commit.ts).
      return storeGrouped(input);
    },

    async logKey(orgId) {
      const key = await keyOf(orgId);
      return {
        origin: key.origin,
        verifierKey: key.verifierKey,
        witnesses: witnesses.map((w) => w.key.text),
      };
    },

    async size(orgId) {
      return (await freshHead(orgId)).size;
    },

    latestCheckpoint,
    lastKnownCheckpoint: (orgId) => latest.get(orgId)?.note ?? null,
    signCheckpoint: (orgId) => serialized(signQueues, orgId, () => signCurrent(orgId)),
    checkpointAt,
    witness: (orgId) => serialized(signQueues, orgId, () => witnessLatest(orgId)),

    async inclusionProof(orgId, deviceId, seq) {
      const index = await store.leafIndex(orgId, deviceId, seq);
      if (index === undefined)
        throw new EdgeError('NOT_FOUND', `Cannot find seq ${seq} of device "${deviceId}" in the log`);
      let checkpoint = await latestCheckpoint(orgId);
      // Appended since the last checkpoint: sign one that covers it, shared with other requests.
      for (let round = 0; checkpoint.size <= index; round++) {
        if (round === ON_DEMAND_ROUNDS)
          throw new EdgeError('CONFLICT', `Cannot prove seq ${seq} yet: no checkpoint covers it; retry`);
        checkpoint = await signSoon(orgId);
      }
      const reader = nodeReader(orgId);
      const [proof, leaf] = await Promise.all([
        proveInclusion(reader, index, checkpoint.size),
        reader.readNodes([{ level: 0, index }]),
      ]);
      return {
        index,
        size: checkpoint.size,
        leafHash: encodeBase64(leaf[0] as Uint8Array),
        proof: proof.map(encodeBase64),
        checkpoint: checkpoint.note,
      };
    },

    async consistencyProof(orgId, from, to) {
      const target = to ?? (await latestCheckpoint(orgId)).size;
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(target) || from < 0 || from > target)
        throw new EdgeError('INVALID_INPUT', `Cannot prove size ${from} consistent with size ${target}`);
      const head = await freshHead(orgId);
      if (target > head.size)
        throw new EdgeError('INVALID_INPUT', `Cannot prove size ${target}: the log has ${head.size} leaves`);
      const proof = await proveConsistency(nodeReader(orgId), from, target);
      const checkpoint = await store.getCheckpoint(orgId, target);
      return { from, to: target, proof: proof.map(encodeBase64), checkpoint: checkpoint?.note ?? null };
    },

    async leafIndexAt(orgId, timeMs) {
      // Leaf times never decrease (log-append.ts), so the first leaf at or after a time is found
      // by bisection: about 2 log2(size) point reads.
      let low = 0;
      let high = (await freshHead(orgId)).size;
      while (low < high) {
        const mid = Math.floor((low + high) / 2);
        const at = (await store.leafTime(orgId, mid)) ?? Number.POSITIVE_INFINITY;
        if (at < timeMs) low = mid + 1;
        else high = mid;
      }
      return low;
    },

    nodeReader,
    tick,

    start() {
      if (!stopped) return;
      stopped = false;
      const loop = () => {
        running = tick().finally(() => {
          if (!stopped) timer = setTimeout(loop, intervalMs);
        });
      };
      timer = setTimeout(loop, 0);
    },

    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
  return tlog;
}
