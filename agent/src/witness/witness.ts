import {
  cosignCheckpoint,
  decodeBase64Strict,
  encodeBase64,
  hashesEqual,
  NOTE_COSIGNATURE_V1,
  type NoteSigner,
  type NoteVerifierKey,
  openCheckpoint,
  parseAddCheckpointRequest,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  TLOG_SIZE_CONTENT_TYPE,
  verifyConsistency,
} from '@ceros/protocol';
import type { WitnessRecord, WitnessStore } from './store.ts';

/**
 * A C2SP witness (https://c2sp.org/tlog-witness): cosigns a log's checkpoint only after checking
 * that it extends the last checkpoint the witness cosigned for that log, so a log that rewrites
 * or forks its history cannot get the fork cosigned. Pure core: no HTTP, no files, no clock of
 * its own; http.ts and serve.ts put it on the network.
 */

/** Why a request was answered the way it was. */
export type WitnessOutcome =
  | 'COSIGNED'
  | 'MALFORMED_REQUEST'
  | 'UNKNOWN_LOG'
  | 'BAD_LOG_SIGNATURE'
  | 'OLD_SIZE_TOO_LARGE'
  | 'STALE_OLD_SIZE'
  | 'ROLLBACK'
  | 'FORK'
  | 'BAD_PROOF'
  | 'INCONSISTENT';

/** An HTTP-shaped answer; the status codes are the ones c2sp.org/tlog-witness prescribes. */
export interface WitnessReply {
  readonly outcome: WitnessOutcome;
  readonly status: 200 | 400 | 403 | 404 | 409 | 422;
  readonly contentType: string;
  readonly body: string;
  /** For logs and tests: what was wrong, in words. */
  readonly reason: string;
}

export interface WitnessLog {
  readonly origin: string;
  /** The log's verifier key (type 0x01). */
  readonly key: NoteVerifierKey;
}

export interface WitnessOptions {
  /** The witness's cosigning key (type 0x04). */
  readonly signer: NoteSigner;
  readonly logs: readonly WitnessLog[];
  readonly store: WitnessStore;
  /** POSIX seconds. */
  readonly now: () => number;
}

export interface Witness {
  readonly name: string;
  readonly verifierKey: string;
  /** Handles the body of `POST /add-checkpoint`. */
  addCheckpoint(body: string): Promise<WitnessReply>;
}

/** The log list from verifier key strings: each key's name is the log's origin. */
export function witnessLogsFromKeys(keys: readonly string[]): WitnessLog[] {
  return keys.map((text) => {
    const parsed = parseVerifierKey(text);
    if (!parsed.ok) throw new RangeError(`Cannot use log key "${text}": ${parsed.error}`);
    return { origin: parsed.value.name, key: parsed.value };
  });
}

const TEXT = 'text/plain; charset=utf-8';

function reply(outcome: WitnessOutcome, status: WitnessReply['status'], reason: string): WitnessReply {
  return { outcome, status, contentType: TEXT, body: `${reason}\n`, reason };
}

export function createWitness(options: WitnessOptions): Witness {
  const { signer, store, now } = options;
  if (signer.type !== NOTE_COSIGNATURE_V1) throw new RangeError('A witness cosigns with a type 0x04 key');
  const logs = new Map(options.logs.map((l) => [l.origin, l]));
  // c2sp.org/tlog-witness: checking the old size and persisting the new checkpoint must be
  // atomic, or two requests can roll the state back. One request at a time.
  let queue: Promise<unknown> = Promise.resolve();

  async function handle(body: string): Promise<WitnessReply> {
    const request = parseAddCheckpointRequest(body);
    if (!request.ok) return reply('MALFORMED_REQUEST', 400, `Cannot read the request: ${request.error}`);
    const { oldSize, proof, checkpoint: note } = request.value;
    const parsedNote = parseNote(note);
    const body_ = parsedNote.ok ? parseCheckpoint(parsedNote.value.text) : undefined;
    if (!parsedNote.ok || !body_?.ok)
      return reply(
        'MALFORMED_REQUEST',
        400,
        `Cannot read the checkpoint: ${parsedNote.ok ? (body_ && !body_.ok ? body_.error : '') : parsedNote.error}`,
      );
    const origin = body_.value.origin;
    const log = logs.get(origin);
    if (!log) return reply('UNKNOWN_LOG', 404, `This witness does not follow log "${origin}"`);
    const opened = openCheckpoint(note, { logKey: log.key, origin });
    if (!opened.ok)
      return reply(
        'BAD_LOG_SIGNATURE',
        403,
        `The checkpoint is not signed by the key of "${origin}": ${opened.error}`,
      );
    const checkpoint = opened.value.checkpoint;
    if (oldSize > checkpoint.size)
      return reply(
        'OLD_SIZE_TOO_LARGE',
        400,
        `The old size ${oldSize} is larger than the checkpoint's ${checkpoint.size}`,
      );

    const latest = await store.load(origin);
    const latestSize = latest?.size ?? 0;
    if (oldSize !== latestSize) {
      const rollback = checkpoint.size < latestSize;
      return {
        outcome: rollback ? 'ROLLBACK' : 'STALE_OLD_SIZE',
        status: 409,
        contentType: TLOG_SIZE_CONTENT_TYPE,
        body: `${latestSize}\n`,
        reason: rollback
          ? `The checkpoint (size ${checkpoint.size}) is older than the one already cosigned (size ${latestSize}): refusing a rollback`
          : `The request proves from size ${oldSize} but the latest cosigned size is ${latestSize}`,
      };
    }
    if (latest && checkpoint.size === latest.size) {
      const known = decodeBase64Strict(latest.rootHash);
      if (!known || !hashesEqual(known, checkpoint.rootHash))
        return reply(
          'FORK',
          409,
          `The log signed a second root for size ${checkpoint.size}: this is a fork, and the request is evidence of it`,
        );
      if (proof.length !== 0) return reply('BAD_PROOF', 422, 'Equal sizes need an empty proof');
    } else if (latest) {
      const known = decodeBase64Strict(latest.rootHash);
      const consistent = known
        ? verifyConsistency(latest.size, checkpoint.size, proof, known, checkpoint.rootHash)
        : ({ ok: false, reason: 'the stored root is unreadable' } as const);
      if (!consistent.ok)
        return reply(
          'INCONSISTENT',
          422,
          `Size ${checkpoint.size} does not extend the cosigned size ${latest.size}: ${consistent.reason}`,
        );
    } else if (proof.length !== 0) {
      return reply('BAD_PROOF', 422, 'The proof must be empty when the old size is 0');
    }

    const timestamp = now();
    const line = cosignCheckpoint(opened.value.text, signer, timestamp);
    const record: WitnessRecord = {
      origin,
      size: checkpoint.size,
      rootHash: encodeBase64(checkpoint.rootHash),
      checkpoint: note,
      cosignedAt: timestamp,
    };
    await store.save(record);
    return {
      outcome: 'COSIGNED',
      status: 200,
      contentType: TEXT,
      body: line,
      reason: `Cosigned size ${checkpoint.size} of "${origin}"`,
    };
  }

  return {
    name: signer.name,
    verifierKey: signer.verifierKey,
    addCheckpoint(body) {
      const result = queue.then(() => handle(body));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
