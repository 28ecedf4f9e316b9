import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkCheckpointConsistency,
  decodeBase64Strict,
  NOTE_ED25519,
  type OpenedCheckpoint,
  openCheckpoint,
  parseVerifierKey,
} from '@ceros/protocol';
import { writePrivateFile } from '../state/secure-fs.ts';
import { type EdgeClient, EdgeClientError } from './client.ts';

/**
 * The device as a monitor of its organization's transparency log (docs/spec/checkpoint.md): it
 * pins the log key (at enrollment, or on first use), keeps the last checkpoint it verified, and
 * accepts a new one only if it is signed by the pinned key and provably extends the old one. An
 * edge that rewound its log, rewrote it, or shows this device a different tree than it showed
 * before is caught here, and the two signed checkpoints are the evidence.
 */

/** What the device remembers about its organization's log. */
export interface LogTrustStore {
  readLogKey(): string | undefined;
  pinLogKey(verifierKey: string): void;
  /** The last checkpoint this device verified (a signed note). */
  readCheckpoint(): string | undefined;
  writeCheckpoint(note: string): void;
}

export const logKeyPath = (home: string): string => join(home, 'log-key');
export const logCheckpointPath = (home: string): string => join(home, 'log-checkpoint');

/** `${CEROS_HOME}/log-key` (the pinned verifier key) and `${CEROS_HOME}/log-checkpoint`, both 0600. */
export function createFileLogTrustStore(home: string): LogTrustStore {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  return {
    readLogKey: () => read(logKeyPath(home))?.trim() || undefined,
    pinLogKey: (key) => writePrivateFile(logKeyPath(home), `${key}\n`),
    readCheckpoint: () => read(logCheckpointPath(home)) || undefined,
    writeCheckpoint: (note) => writePrivateFile(logCheckpointPath(home), note),
  };
}

export function createMemoryLogTrustStore(
  initial: { logKey?: string; checkpoint?: string } = {},
): LogTrustStore & { logKey: string | undefined; checkpoint: string | undefined } {
  const state = {
    logKey: initial.logKey,
    checkpoint: initial.checkpoint,
    readLogKey: () => state.logKey,
    pinLogKey: (key: string) => {
      state.logKey = key;
    },
    readCheckpoint: () => state.checkpoint,
    writeCheckpoint: (note: string) => {
      state.checkpoint = note;
    },
  };
  return state;
}

/** Why the device no longer trusts what the edge shows it of the log. */
export type LogAlertCode =
  /** The checkpoint is not signed by the pinned log key. */
  | 'BAD_LOG_SIGNATURE'
  /** The checkpoint names another log than the one this device follows. */
  | 'ORIGIN_CHANGED'
  /** The log is smaller than a checkpoint the edge signed before: entries were removed or lost. */
  | 'REWOUND'
  /** Two different roots signed for one size: the edge shows different histories. */
  | 'SPLIT_VIEW'
  /** The larger tree does not contain the one this device verified: history was rewritten. */
  | 'FORKED';

export type LogCheck =
  | {
      kind: 'consistent';
      size: number;
      /** The size this device had verified before; null on the first check. */
      previousSize: number | null;
      checkpoint: string;
    }
  | {
      kind: 'alert';
      code: LogAlertCode;
      /** One sentence for the user and the alert entry. */
      message: string;
      /** Both signed notes: proof of the edge's misbehaviour for anyone with the log key. */
      evidence: { logKey: string; stored: string | null; received: string };
    }
  /** The edge could not be asked or answered nonsense: no verdict either way. */
  | { kind: 'unavailable'; error: EdgeClientError };

interface CheckpointBody {
  origin: string;
  logKey: string;
  size: number;
  checkpoint: string;
}

function isCheckpointBody(body: unknown): body is CheckpointBody {
  const b = body as Partial<CheckpointBody> | null;
  return typeof b?.checkpoint === 'string' && typeof b.logKey === 'string' && typeof b.origin === 'string';
}

const unavailable = (code: string, message: string): LogCheck => ({
  kind: 'unavailable',
  error: new EdgeClientError(code, message, 200),
});

/**
 * Fetches the latest checkpoint of the organization's log and checks it against what this device
 * verified before. Stores the new checkpoint only when it is consistent; on an alert the stored
 * one is kept (it is half of the evidence). The first check pins the log key the edge announces
 * unless one was pinned at enrollment.
 */
export async function checkLogConsistency(client: EdgeClient, stored: LogTrustStore): Promise<LogCheck> {
  let body: unknown;
  try {
    body = (await client.request('GET', '/v1/agent/checkpoint')).body;
  } catch (error) {
    if (error instanceof EdgeClientError) return { kind: 'unavailable', error };
    throw error;
  }
  if (!isCheckpointBody(body)) return unavailable('BAD_RESPONSE', 'Cannot read the edge checkpoint answer');

  let logKey = stored.readLogKey();
  if (!logKey) {
    const announced = parseVerifierKey(body.logKey);
    if (!announced.ok || announced.value.type !== NOTE_ED25519)
      return unavailable('BAD_RESPONSE', `The edge announced an unusable log key "${body.logKey}"`);
    logKey = body.logKey;
    stored.pinLogKey(logKey);
  }
  return judgeCheckpoint(client, stored, logKey, body.checkpoint, {
    latest: true,
    announcedKey: body.logKey,
  });
}

/**
 * Checks a checkpoint the edge handed over with something else (an inclusion proof's) against
 * what this device verified: signed by the pinned key, and either the same tree, a larger one
 * that provably extends it (then kept as the new verified checkpoint), or a smaller one that it
 * provably extends (a prefix of the verified tree: what is proven in it is proven in the verified
 * one). Unlike `checkLogConsistency`, a smaller checkpoint is not a rewind here: the edge may
 * prove against an older checkpoint than its latest. Needs a pinned key (run
 * `checkLogConsistency` first).
 */
export async function verifyLogCheckpoint(
  client: EdgeClient,
  stored: LogTrustStore,
  note: string,
): Promise<LogCheck> {
  const logKey = stored.readLogKey();
  if (!logKey)
    return unavailable('NO_LOG_KEY', "Cannot check the edge's checkpoint: no log key is pinned yet");
  return judgeCheckpoint(client, stored, logKey, note, { latest: false });
}

async function judgeCheckpoint(
  client: EdgeClient,
  stored: LogTrustStore,
  logKey: string,
  note: string,
  mode: { latest: true; announcedKey: string } | { latest: false },
): Promise<LogCheck> {
  const previousNote = stored.readCheckpoint() ?? null;
  const alert = (code: LogAlertCode, message: string): LogCheck => ({
    kind: 'alert',
    code,
    message,
    evidence: { logKey, stored: previousNote, received: note },
  });

  const received = openCheckpoint(note, { logKey });
  if (!received.ok)
    return alert(
      'BAD_LOG_SIGNATURE',
      `The edge's log checkpoint is not signed by the pinned log key${mode.latest && mode.announcedKey !== logKey ? ` (the edge now announces key "${mode.announcedKey}")` : ''}: ${received.error}`,
    );
  const next = received.value.checkpoint;
  // A stored checkpoint that no longer opens (edited file, key pinned anew) cannot anchor anything.
  const previous: OpenedCheckpoint | undefined = (() => {
    if (!previousNote) return undefined;
    const opened = openCheckpoint(previousNote, { logKey });
    return opened.ok ? opened.value : undefined;
  })();
  const consistent = (): LogCheck => ({
    kind: 'consistent',
    size: next.size,
    previousSize: previous?.checkpoint.size ?? null,
    checkpoint: note,
  });
  const accept = (): LogCheck => {
    stored.writeCheckpoint(note);
    return consistent();
  };
  if (!previous) return accept();
  const old = previous.checkpoint;
  if (old.origin !== next.origin)
    return alert('ORIGIN_CHANGED', `The edge's checkpoint is for log "${next.origin}", not "${old.origin}"`);
  if (next.size < old.size && mode.latest)
    return alert(
      'REWOUND',
      `The edge rewound its log: it signed ${old.size} entries before and now shows ${next.size}; entries were removed or lost`,
    );
  if (next.size === old.size) {
    const same = checkCheckpointConsistency(old, next);
    return same.ok
      ? accept()
      : alert(
          'SPLIT_VIEW',
          `The edge signed two different logs of ${next.size} entries: it shows different histories (split view)`,
        );
  }

  const [smaller, larger] = next.size < old.size ? [next, old] : [old, next];
  let proofBody: unknown;
  try {
    proofBody = (await client.request('GET', `/v1/agent/consistency?from=${smaller.size}&to=${larger.size}`))
      .body;
  } catch (error) {
    if (error instanceof EdgeClientError) return { kind: 'unavailable', error };
    throw error;
  }
  const proofText = (proofBody as { proof?: unknown; to?: unknown } | null)?.proof;
  const proof = Array.isArray(proofText) ? proofText.map((h) => decodeBase64Strict(String(h))) : undefined;
  if (!proof || proof.some((h) => h === undefined))
    return unavailable('BAD_RESPONSE', 'Cannot read the edge consistency proof');
  const verdict = checkCheckpointConsistency(old, next, proof as Uint8Array[]);
  if (!verdict.ok)
    return alert(
      'FORKED',
      next.size > old.size
        ? `The edge's log of ${next.size} entries does not extend the ${old.size} this device verified: history was rewritten (${verdict.reason})`
        : `The ${old.size} entries this device verified do not extend the edge's log of ${next.size}: history was rewritten (${verdict.reason})`,
    );
  // The verified checkpoint stays the larger of the two.
  return next.size > old.size ? accept() : consistent();
}
