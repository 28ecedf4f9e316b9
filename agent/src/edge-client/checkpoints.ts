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
  const previousNote = stored.readCheckpoint() ?? null;
  const alert = (code: LogAlertCode, message: string): LogCheck => ({
    kind: 'alert',
    code,
    message,
    evidence: { logKey: logKey as string, stored: previousNote, received: body.checkpoint },
  });

  const received = openCheckpoint(body.checkpoint, { logKey });
  if (!received.ok)
    return alert(
      'BAD_LOG_SIGNATURE',
      `The edge's log checkpoint is not signed by the pinned log key${body.logKey !== logKey ? ` (the edge now announces key "${body.logKey}")` : ''}: ${received.error}`,
    );
  const next = received.value.checkpoint;
  // A stored checkpoint that no longer opens (edited file, key pinned anew) cannot anchor anything.
  const previous: OpenedCheckpoint | undefined = (() => {
    if (!previousNote) return undefined;
    const opened = openCheckpoint(previousNote, { logKey });
    return opened.ok ? opened.value : undefined;
  })();
  const accept = (): LogCheck => {
    stored.writeCheckpoint(body.checkpoint);
    return {
      kind: 'consistent',
      size: next.size,
      previousSize: previous?.checkpoint.size ?? null,
      checkpoint: body.checkpoint,
    };
  };
  if (!previous) return accept();
  const old = previous.checkpoint;
  if (old.origin !== next.origin)
    return alert('ORIGIN_CHANGED', `The edge's checkpoint is for log "${next.origin}", not "${old.origin}"`);
  if (next.size < old.size)
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

  let proofBody: unknown;
  try {
    proofBody = (await client.request('GET', `/v1/agent/consistency?from=${old.size}&to=${next.size}`)).body;
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
      `The edge's log of ${next.size} entries does not extend the ${old.size} this device verified: history was rewritten (${verdict.reason})`,
    );
  return accept();
}
