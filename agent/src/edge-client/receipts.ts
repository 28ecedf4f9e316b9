import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type Checkpoint,
  decodeBase64Strict,
  encodeBase64,
  entryBytes,
  entryHash,
  type JournalEntry,
  leafHash,
  openCheckpoint,
  verifyInclusion,
} from '@ceros/protocol';
import { z } from 'zod';
import { ensurePrivateDir, FILE_MODE } from '../state/secure-fs.ts';
import { type LogAlertCode, type LogTrustStore, verifyLogCheckpoint } from './checkpoints.ts';
import { type EdgeClient, EdgeClientError } from './client.ts';

/**
 * Inclusion receipts (docs/spec/receipt.md): proof, kept by the device, that the organization's
 * transparency log holds an entry this device wrote, at a leaf of a checkpoint the log signed and
 * this device verified. The entry names the hash of the one before it, so a receipt for seq N
 * also fixes every earlier entry of the device's chain: the edge cannot later show other ones
 * without contradicting a tree it signed.
 */
export const receiptSchema = z.strictObject({
  v: z.literal(1),
  device: z.string().min(1),
  seq: z.number().int().min(0),
  /** The entry's chain hash: lowercase hex SHA-256 of its entry bytes, what the next entry's prev names. */
  entryHash: z.string().regex(/^[0-9a-f]{64}$/),
  leafIndex: z.number().int().min(0),
  /** base64 RFC 6962 leaf hash of the entry bytes. */
  leafHash: z.string(),
  /** base64 hashes of the inclusion proof (RFC 9162 2.1.3.1) of the leaf in the checkpoint's tree. */
  proof: z.array(z.string()),
  /** The signed checkpoint (a C2SP note) the proof leads to. */
  checkpoint: z.string(),
  /** When this device verified the receipt (RFC 3339). */
  time: z.string(),
});
export type Receipt = z.infer<typeof receiptSchema>;

export type ReceiptVerification = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

/**
 * Checks a receipt offline against the device's own entry and the log key: the entry is the one
 * the receipt names, its leaf hash is the receipt's, the checkpoint is signed by the log key, and
 * the proof leads from the leaf to the checkpoint's root. Pure; never throws.
 */
export function verifyReceipt(receipt: Receipt, entry: JournalEntry, logKey: string): ReceiptVerification {
  if (entry.device !== receipt.device || entry.seq !== receipt.seq)
    return {
      ok: false,
      reason: `The receipt is for seq ${receipt.seq} of device "${receipt.device}", not seq ${entry.seq} of "${entry.device}"`,
    };
  const bytes = Buffer.from(entryBytes(entry));
  if (entryHash(entry) !== receipt.entryHash)
    return { ok: false, reason: `The receipt names entry hash "${receipt.entryHash}", not this entry's` };
  const leaf = leafHash(bytes);
  if (encodeBase64(leaf) !== receipt.leafHash)
    return {
      ok: false,
      reason: `The log's leaf for seq ${entry.seq} is another entry than the one this device wrote (leaf hash "${receipt.leafHash}", expected "${encodeBase64(leaf)}")`,
    };
  const opened = openCheckpoint(receipt.checkpoint, { logKey });
  if (!opened.ok) return { ok: false, reason: `The receipt's checkpoint does not open: ${opened.error}` };
  const checkpoint = opened.value.checkpoint;
  const proof = receipt.proof.map((h) => decodeBase64Strict(h));
  if (proof.some((h) => h === undefined))
    return { ok: false, reason: 'The inclusion proof has a hash that is not canonical base64' };
  const result = verifyInclusion(
    leaf,
    receipt.leafIndex,
    checkpoint.size,
    proof as Uint8Array[],
    checkpoint.rootHash,
  );
  if (!result.ok)
    return {
      ok: false,
      reason: `The inclusion proof of seq ${entry.seq} at leaf ${receipt.leafIndex} does not lead to the root of the checkpoint of ${checkpoint.size} entries: ${result.reason}`,
    };
  return { ok: true, checkpoint };
}

/** What can go wrong with the log, from the consistency check or from a receipt. */
export type LedgerAlertCode =
  | LogAlertCode
  /** The edge's inclusion proof of an entry this device uploaded does not verify. */
  | 'BAD_INCLUSION';

export interface LedgerAlert {
  code: LedgerAlertCode;
  /** One sentence for the user and the alert entry. */
  message: string;
  /** Signed checkpoints and the edge's answers, as JSON: what the alert rests on. */
  evidence: Record<string, unknown>;
}

export type ReceiptCheck =
  | { kind: 'receipt'; receipt: Receipt }
  | ({ kind: 'alert' } & LedgerAlert)
  /** The edge could not be asked, could not answer, or answered nonsense: the entry stays pending. */
  | { kind: 'unavailable'; error: EdgeClientError };

interface InclusionBody {
  index: number;
  leafHash: string;
  proof: string[];
  checkpoint: string;
}

function isInclusionBody(body: unknown): body is InclusionBody {
  const b = body as Partial<InclusionBody> | null;
  return (
    Number.isSafeInteger(b?.index) &&
    (b?.index as number) >= 0 &&
    typeof b?.leafHash === 'string' &&
    typeof b.checkpoint === 'string' &&
    Array.isArray(b.proof) &&
    b.proof.every((h) => typeof h === 'string')
  );
}

/**
 * Asks the edge to prove that `entry` (this device's own, as its journal holds it) is in the log,
 * checks the checkpoint the proof leads to against the one this device verified (adopting it when
 * it provably extends it), and verifies the proof. A proof that fails is BAD_INCLUSION; an edge
 * that is unreachable, or does not have the entry in its log yet, leaves it pending.
 */
export async function fetchReceipt(
  client: EdgeClient,
  trust: LogTrustStore,
  entry: JournalEntry,
  now: () => number = Date.now,
): Promise<ReceiptCheck> {
  let body: unknown;
  try {
    const query = `device=${encodeURIComponent(entry.device)}&seq=${entry.seq}`;
    body = (await client.request('GET', `/v1/agent/inclusion?${query}`)).body;
  } catch (error) {
    if (error instanceof EdgeClientError) return { kind: 'unavailable', error };
    throw error;
  }
  if (!isInclusionBody(body))
    return {
      kind: 'unavailable',
      error: new EdgeClientError('BAD_RESPONSE', 'Cannot read the edge inclusion proof answer', 200),
    };
  // The checkpoint first: a proof is worth only as much as the tree it leads to.
  const log = await verifyLogCheckpoint(client, trust, body.checkpoint);
  if (log.kind === 'unavailable') return log;
  if (log.kind === 'alert') return log;
  const receipt: Receipt = {
    v: 1,
    device: entry.device,
    seq: entry.seq,
    entryHash: entryHash(entry),
    leafIndex: body.index,
    leafHash: body.leafHash,
    proof: body.proof,
    checkpoint: body.checkpoint,
    time: new Date(now()).toISOString(),
  };
  const verified = verifyReceipt(receipt, entry, trust.readLogKey() as string);
  if (!verified.ok)
    return {
      kind: 'alert',
      code: 'BAD_INCLUSION',
      message: `The edge cannot prove that its log holds seq ${entry.seq} of this device as this device wrote it: ${verified.reason}`,
      evidence: {
        logKey: trust.readLogKey() ?? null,
        device: entry.device,
        seq: entry.seq,
        entryHash: receipt.entryHash,
        leafHash: encodeBase64(leafHash(Buffer.from(entryBytes(entry)))),
        answer: body as unknown as Record<string, unknown>,
      },
    };
  return { kind: 'receipt', receipt };
}

/** Where the device keeps its receipts. */
export interface ReceiptStore {
  /** The receipt with the highest seq of `device`, if any. */
  latest(device: string): Receipt | undefined;
  append(receipt: Receipt): void;
}

/** `${CEROS_HOME}/receipts.jsonl`: append-only, one receipt a line, 0600 in the 0700 folder. */
export const receiptsPath = (home: string): string => join(home, 'receipts.jsonl');

/** Every receipt the file holds, in order; lines that do not parse (a torn write) are counted. */
export function readReceipts(path: string): { receipts: Receipt[]; unreadable: number } {
  if (!existsSync(path)) return { receipts: [], unreadable: 0 };
  const receipts: Receipt[] = [];
  let unreadable = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = receiptSchema.safeParse(JSON.parse(line));
      if (parsed.success) receipts.push(parsed.data);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  return { receipts, unreadable };
}

/** Appends one line durably; a line torn by a crash before it is closed off first. */
function appendPrivateLine(path: string, line: string): void {
  ensurePrivateDir(dirname(path));
  const fd = openSync(path, 'a+', FILE_MODE);
  try {
    const size = fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    // O_APPEND: one write lands whole at the end even beside another session's.
    writeSync(fd, Buffer.from(`${prefix}${line}\n`));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Remembers `receipt` as its device's latest unless one for a higher seq is known. */
function keepHighest(latest: Map<string, Receipt>, receipt: Receipt): void {
  const known = latest.get(receipt.device);
  if (!known || receipt.seq > known.seq) latest.set(receipt.device, receipt);
}

function highest(receipts: readonly Receipt[], device: string): Receipt | undefined {
  let best: Receipt | undefined;
  for (const r of receipts) if (r.device === device && (!best || r.seq > best.seq)) best = r;
  return best;
}

/**
 * The file store reads the file once, on first use, and then remembers what it appended. Another
 * session appending meanwhile only makes this one ask for a receipt it could have skipped.
 */
export function createFileReceiptStore(home: string): ReceiptStore {
  const path = receiptsPath(home);
  let latest: Map<string, Receipt> | undefined;
  const load = () => {
    if (latest) return latest;
    latest = new Map();
    for (const r of readReceipts(path).receipts) keepHighest(latest, r);
    return latest;
  };
  return {
    latest: (device) => load().get(device),
    append(receipt) {
      const known = load();
      appendPrivateLine(path, JSON.stringify(receipt));
      keepHighest(known, receipt);
    },
  };
}

export function createMemoryReceiptStore(): ReceiptStore & { receipts: Receipt[] } {
  const receipts: Receipt[] = [];
  return {
    receipts,
    latest: (device) => highest(receipts, device),
    append: (receipt) => void receipts.push(receipt),
  };
}
