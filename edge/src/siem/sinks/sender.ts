import type { ExportRecord, OcsfEvent } from '../ocsf.ts';

/** One mapped entry on its way out: the OCSF event and the stored entry it came from. */
export interface OutboundEvent {
  event: OcsfEvent;
  record: ExportRecord;
}

/**
 * What a receiver said to one batch:
 * - `ok`: it took the batch; `rejected` lists events it refused for good (they go to the dead
 *   letters; OTLP's partial success says how many but not which, so `rejectedCount` instead);
 * - `retry`: nothing can be counted delivered (receiver down, busy, or refusing our credentials):
 *   send the same batch again after a back-off;
 * - `malformed`: it refused the batch as a whole as bad data: the exporter sends the events one
 *   by one, and an event refused alone is a dead letter.
 */
export type SendResult =
  | {
      kind: 'ok';
      rejected?: { index: number; error: string }[];
      rejectedCount?: number;
      rejectedError?: string;
    }
  | { kind: 'retry'; error: string }
  | { kind: 'malformed'; error: string };

export interface Sender {
  send(batch: readonly OutboundEvent[]): Promise<SendResult>;
}

/** A network or TLS failure as one sentence that names the target and what went wrong. */
export function describeNetworkError(target: string, error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (e?.name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'TIMEOUT')
    return `Cannot reach "${target}": no answer in time`;
  if (code === 'ECONNREFUSED' || code === 'ConnectionRefused')
    return `Cannot reach "${target}": connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /getaddrinfo|DNS/i.test(message))
    return `Cannot reach "${target}": the host name does not resolve`;
  if (code === 'ECONNRESET' || code === 'ConnectionClosed' || code === 'EPIPE')
    return `Cannot deliver to "${target}": the receiver closed the connection`;
  if (
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH|certificate/i.test(
      code,
    ) ||
    /certificate|self[- ]signed|issuer/i.test(message)
  )
    return `Cannot verify the TLS certificate of "${target}": ${code || message}`;
  return `Cannot deliver to "${target}": ${code ? `${code}: ` : ''}${message}`;
}

/** How long one delivery may take before it counts as failed (and is retried). */
export const SEND_TIMEOUT_MS = 15_000;
