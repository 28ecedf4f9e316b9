import {
  addSignatureLines,
  formatAddCheckpointRequest,
  MAX_WITNESS_PROOF_LINES,
  NOTE_COSIGNATURE_V1,
  type NoteVerifierKey,
  openCheckpoint,
  parseVerifierKey,
  TLOG_SIZE_CONTENT_TYPE,
} from '@ceros/protocol';

/**
 * The edge as a client of C2SP witnesses (c2sp.org/tlog-witness, docs/spec/checkpoint.md "What
 * the edge does"): send each new checkpoint with a consistency proof from the size the witness
 * last cosigned, keep the cosignature, and treat a refusal that only a misbehaving log can cause
 * as an incident.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface WitnessEndpoint {
  /** Base URL; requests go to `<url>/add-checkpoint`. */
  readonly url: string;
  /** The witness's cosignature key (type 0x04); its name identifies the witness. */
  readonly key: NoteVerifierKey;
}

/** Parses `URL KEY` (the form of `--witness` and CEROS_EDGE_WITNESSES) into a witness endpoint. */
export function parseWitnessEndpoint(
  spec: string,
): { ok: true; value: WitnessEndpoint } | { ok: false; error: string } {
  const [url, key, ...rest] = spec.trim().split(/\s+/);
  if (!url || !key || rest.length > 0)
    return { ok: false, error: `witness "${spec}" must be "URL KEY" (the witness's verifier key)` };
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    return { ok: false, error: `witness URL "${url}" must be an http:// or https:// URL` };
  }
  const verifier = parseVerifierKey(key);
  if (!verifier.ok) return { ok: false, error: `witness key "${key}": ${verifier.error}` };
  if (verifier.value.type !== NOTE_COSIGNATURE_V1)
    return { ok: false, error: `witness key "${key}" is not a cosignature key (type 0x04)` };
  return { ok: true, value: { url: url.replace(/\/+$/, ''), key: verifier.value } };
}

/** Refusals only a log that rewrote, forked or rolled back its history can cause. */
export type WitnessIncidentCode = 'FORK' | 'INCONSISTENT' | 'ROLLBACK';

export type WitnessOutcome =
  /** `lines`: the witness's verified cosignature line(s); `note`: the checkpoint with them added. */
  | { kind: 'cosigned'; lines: string; note: string; size: number }
  | { kind: 'incident'; code: WitnessIncidentCode; reason: string; witnessSize: number | null }
  /** A refusal that points at configuration (unknown log, another key) or a misbehaving witness. */
  | { kind: 'refused'; code: string; reason: string; witnessSize: number | null }
  | { kind: 'unreachable'; reason: string };

export interface SubmitCheckpointInput {
  readonly witness: WitnessEndpoint;
  /** The signed checkpoint (it may carry other witnesses' cosignatures). */
  readonly note: string;
  readonly size: number;
  /** The size this witness last cosigned for the log, as far as the edge knows (0: none). */
  readonly oldSize: number;
  /** A consistency proof from `from` to `size`. */
  readonly prove: (from: number) => Promise<readonly Uint8Array[]>;
  /** The log's verifier key, to check what comes back. */
  readonly logKey: string;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
}

/**
 * POSTs the checkpoint to one witness. On 409 `text/x.tlog.size` the witness says which size it
 * has: the request is sent once more, proving from that size (c2sp.org/tlog-witness). A witness
 * ahead of the checkpoint means the log rolled back; a 409 without a size is a fork; a 422 means
 * the proof did not verify. All three are incidents.
 */
export async function submitCheckpoint(input: SubmitCheckpointInput): Promise<WitnessOutcome> {
  const { witness, note, size } = input;
  let oldSize = input.oldSize;
  let witnessSize: number | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (oldSize > size)
      return {
        kind: 'incident',
        code: 'ROLLBACK',
        reason: `Witness "${witness.key.name}" cosigned size ${oldSize}, larger than the log's checkpoint of size ${size}: the log went back`,
        witnessSize: oldSize,
      };
    const proof = await input.prove(oldSize);
    if (proof.length > MAX_WITNESS_PROOF_LINES)
      return {
        kind: 'refused',
        code: 'PROOF_TOO_LONG',
        reason: `The proof from ${oldSize} to ${size} is too long`,
        witnessSize,
      };
    let response: Response;
    let body: string;
    try {
      response = await input.fetch(`${witness.url}/add-checkpoint`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: formatAddCheckpointRequest({ oldSize, proof, checkpoint: note }),
        signal: AbortSignal.timeout(input.timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      return {
        kind: 'unreachable',
        reason: `Cannot reach witness "${witness.key.name}" at ${witness.url}: ${(error as Error).message}`,
      };
    }
    const said = body.trim().slice(0, 300);
    if (response.status === 200) {
      const cosigned = addSignatureLines(note, body);
      const opened = cosigned.ok
        ? openCheckpoint(cosigned.value, {
            logKey: input.logKey,
            witnessKeys: [witness.key],
            requireCosignatures: 1,
          })
        : cosigned;
      if (!cosigned.ok || !opened.ok)
        return {
          kind: 'refused',
          code: 'BAD_COSIGNATURE',
          reason: `Witness "${witness.key.name}" answered with no valid cosignature: ${opened.ok ? '' : opened.error}`,
          witnessSize,
        };
      return { kind: 'cosigned', lines: body, note: cosigned.value, size };
    }
    if (response.status === 409) {
      const type = response.headers.get('content-type') ?? '';
      const match = /^(0|[1-9][0-9]*)\n?$/.exec(body);
      if (!type.startsWith(TLOG_SIZE_CONTENT_TYPE) || !match)
        return {
          kind: 'incident',
          code: 'FORK',
          reason: `Witness "${witness.key.name}" holds another root for size ${size}: ${said}`,
          witnessSize: oldSize,
        };
      witnessSize = Number(match[1]);
      if (witnessSize === oldSize)
        return {
          kind: 'refused',
          code: 'CONFLICT',
          reason: `Witness "${witness.key.name}" answered 409 with the size sent (${oldSize})`,
          witnessSize,
        };
      oldSize = witnessSize;
      continue;
    }
    if (response.status === 422)
      return {
        kind: 'incident',
        code: 'INCONSISTENT',
        reason: `Witness "${witness.key.name}" refused size ${size} as inconsistent with size ${oldSize}: ${said}`,
        witnessSize: oldSize,
      };
    return {
      kind: 'refused',
      code: `HTTP_${response.status}`,
      reason: `Witness "${witness.key.name}" refused size ${size} (${response.status}): ${said}`,
      witnessSize,
    };
  }
  return {
    kind: 'refused',
    code: 'CONFLICT',
    reason: `Witness "${witness.key.name}" moved on twice while the edge caught it up (size ${witnessSize})`,
    witnessSize,
  };
}
