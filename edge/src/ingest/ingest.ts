import { hash } from 'node:crypto';
import {
  devicePublicKeyFromSpki,
  type Ed25519BatchVerifier,
  encodeEntry,
  inProcessEd25519Verifier,
  parseSessionCertificate,
  type SessionCertificate,
  verifyJournalBatch,
} from '@ceros/protocol';
import type { AppContext } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { createGroupCommit } from '../store/group-commit.ts';
import type { Device, EdgeStore, StoreEntriesInput } from '../store/store.ts';
import { type ProjectedEntry, projectEntry } from './project.ts';

export interface IngestResult {
  /** Entries stored by this request. */
  accepted: number;
  /** Entries the edge already had (a retried batch): acknowledged, not stored again. */
  duplicates: number;
  /** The device's last stored entry after this request. */
  head: { seq: number; hash: string } | null;
  /**
   * The latest checkpoint of the organization's log this edge knows of, when it keeps one: it may
   * not include this batch yet (checkpoints are signed every few seconds).
   */
  checkpoint?: string | null;
}

export interface IngestOptions {
  /**
   * Where entry signatures are checked: in this thread by default; the route passes a worker pool
   * (signature-pool.ts) so that this thread serves requests and writes while the pool verifies.
   */
  verifySignatures?: Ed25519BatchVerifier;
}

/**
 * Verifies a batch of one device's journal entries and stores the new ones, idempotently by
 * (device, seq):
 * - every entry must name the authenticated device (CROSS_DEVICE otherwise);
 * - entries at or below the stored head must be byte-identical to what is stored (a re-send),
 *   else CHAIN_CONFLICT: the device forked its chain;
 * - the rest must continue the chain at head + 1 (CHAIN_GAP with `expectedSeq` otherwise, so the
 *   uploader can rewind) and pass `verifyJournalBatch` anchored at the stored head, with the session
 *   certificates of sessions that started in earlier batches.
 * After storage the new entries go to the ledger (the Merkle log) in seq order.
 */
export async function ingestBatch(
  ctx: AppContext,
  device: Device,
  raw: readonly unknown[],
  options: IngestOptions = {},
): Promise<IngestResult> {
  // A cheap look at device and seq only: verifyJournalBatch encodes every entry it checks in
  // full, once, and the stored bytes and chain hashes come from that one pass.
  const entries = raw.map((item, index) => peek(item, index, device.id));
  const first = entries[0];
  const last = entries.at(-1);
  if (!first || !last)
    return { accepted: 0, duplicates: 0, head: headOf(device), ...checkpointOf(ctx, device) };
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1];
    const entry = entries[i];
    if (prev && entry && entry.seq !== prev.seq + 1)
      throw new EdgeError('VERIFY_FAILED', `Cannot accept the batch: seq ${entry.seq} follows ${prev.seq}`, {
        index: i,
      });
  }

  const sessionIds = [...new Set(entries.map((e) => e.session))];
  const state = await ctx.store.ingestState(device.id, first.seq, last.seq, sessionIds);
  const headSeq = state.head?.seq ?? -1;

  let duplicates = 0;
  const fresh: unknown[] = [];
  for (const [index, entry] of entries.entries()) {
    if (entry.seq > headSeq) {
      fresh.push(raw[index]);
      continue;
    }
    if (state.stored.get(entry.seq) !== hashOf(raw[index]))
      throw new EdgeError(
        'CHAIN_CONFLICT',
        `Cannot accept seq ${entry.seq} of device "${device.id}": the edge stored a different entry at that seq`,
        { seq: entry.seq },
      );
    duplicates++;
  }
  const start = entries[duplicates];
  if (!start) return { accepted: 0, duplicates, head: state.head, ...checkpointOf(ctx, device) };
  if (start.seq !== headSeq + 1)
    throw new EdgeError(
      'CHAIN_GAP',
      `Cannot accept seq ${start.seq} of device "${device.id}": the edge expects seq ${headSeq + 1} next`,
      { expectedSeq: headSeq + 1 },
    );

  const certificates: SessionCertificate[] = [];
  for (const text of state.certificates) {
    const cert = parseSessionCertificate(JSON.parse(text));
    if (cert.ok) certificates.push(cert.value);
  }
  const deviceKey = devicePublicKeyFromSpki(device.publicKey);
  let verdict: Awaited<ReturnType<typeof verifyJournalBatch>>;
  try {
    verdict = await verifyJournalBatch(fresh, {
      deviceKey: (id) => (id === device.id ? deviceKey : undefined),
      ...(state.head ? { anchor: state.head } : {}),
      certificates,
      verifySignatures: options.verifySignatures ?? inProcessEd25519Verifier,
    });
  } catch (error) {
    // Fail closed: without every signature's answer the batch is not stored; the agent re-sends.
    throw new EdgeError(
      'INTERNAL',
      `Cannot accept the batch of device "${device.id}" now: its signatures could not be checked (${(error as Error).message}); retry`,
    );
  }
  if (!verdict.ok)
    throw new EdgeError('VERIFY_FAILED', `Cannot accept the batch: ${verdict.reason}`, {
      seq: verdict.seq,
      check: verdict.code,
    });

  const projected: ProjectedEntry[] = verdict.entries.map(({ entry, text, hash }) => {
    const time = Date.parse(entry.time);
    return {
      seq: entry.seq,
      hash,
      sessionId: entry.session,
      type: entry.type,
      timeMs: Number.isFinite(time) ? time : ctx.now(),
      // The canonical text the signature and the chain hash were checked over: stored as is.
      bytes: text,
      projection: projectEntry(entry),
    };
  });
  const input = {
    orgId: device.orgId,
    deviceId: device.id,
    userId: device.userId,
    receivedMs: ctx.now(),
    entries: projected,
  };
  // With a transparency log, the entries' leaves are stored in the same transaction.
  await (ctx.tlog ? ctx.tlog.storeEntries(input) : groupCommitOf(ctx.store)(input));
  if (ctx.ledger)
    await ctx.ledger.append(
      device.orgId,
      projected.map((entry) => entry.bytes),
    );
  const tail = projected.at(-1);
  return {
    accepted: projected.length,
    duplicates,
    head: tail ? { seq: tail.seq, hash: tail.hash } : state.head,
    ...checkpointOf(ctx, device),
  };
}

/** Without a log, concurrent requests still share transactions: one group commit per store. */
const plainGroups = new WeakMap<EdgeStore, (input: StoreEntriesInput) => Promise<void>>();

function groupCommitOf(store: EdgeStore): (input: StoreEntriesInput) => Promise<void> {
  let commit = plainGroups.get(store);
  if (!commit) {
    commit = createGroupCommit<StoreEntriesInput>({
      key: () => 'entries',
      storeGroup: (inputs) => store.storeEntryGroup(inputs),
      storeOne: (input) => store.storeEntries(input),
      weight: (input) => input.entries.length,
      maxWeight: 2000,
    });
    plainGroups.set(store, commit);
  }
  return commit;
}

function peek(item: unknown, index: number, deviceId: string): { seq: number; session: string } {
  const fields =
    typeof item === 'object' && item !== null
      ? (item as { device?: unknown; seq?: unknown; session?: unknown })
      : {};
  if (
    typeof fields.device !== 'string' ||
    typeof fields.session !== 'string' ||
    !Number.isSafeInteger(fields.seq) ||
    (fields.seq as number) < 0
  )
    throw new EdgeError(
      'VERIFY_FAILED',
      `Cannot accept entry ${index}: malformed: it needs a device, a session and a seq`,
      { index },
    );
  if (fields.device !== deviceId)
    throw new EdgeError(
      'CROSS_DEVICE',
      `Cannot accept entry ${index} for device "${fields.device}" from device "${deviceId}"`,
      { index },
    );
  return { seq: fields.seq as number, session: fields.session };
}

/** The chain hash of a re-sent entry; null when it is not even well formed (so it cannot match). */
function hashOf(item: unknown): string | null {
  const encoded = encodeEntry(item);
  return encoded.ok ? hash('sha256', encoded.value.bytes, 'hex') : null;
}

function checkpointOf(ctx: AppContext, device: Device): Pick<IngestResult, 'checkpoint'> {
  return ctx.tlog ? { checkpoint: ctx.tlog.lastKnownCheckpoint(device.orgId) } : {};
}

function headOf(device: Device): IngestResult['head'] {
  return device.headSeq === null || device.headHash === null
    ? null
    : { seq: device.headSeq, hash: device.headHash };
}
