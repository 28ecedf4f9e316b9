import type { DeviceStatusResponse } from '@ceros/protocol';
import { type EdgeClient, EdgeClientError } from './client.ts';

/** The edge's answer to GET /v1/agent/status. */
export type DeviceStatus = DeviceStatusResponse;

export type StatusCheck =
  | { kind: 'allowed'; status: DeviceStatus }
  /** Pending approval: not revoked, but not allowed either. */
  | { kind: 'not-allowed'; status: DeviceStatus }
  | { kind: 'revoked'; code: string; reason: string }
  /** The edge could not be asked; a session keeps running offline (the journal still records). */
  | { kind: 'unknown'; error: EdgeClientError };

export async function fetchDeviceStatus(client: EdgeClient): Promise<StatusCheck> {
  try {
    const response = await client.request('GET', '/v1/agent/status');
    const status = response.body as DeviceStatus;
    if (status.allowed) return { kind: 'allowed', status };
    if (status.status === 'revoked' || status.userStatus === 'revoked')
      return {
        kind: 'revoked',
        code: status.status === 'revoked' ? 'DEVICE_REVOKED' : 'USER_REVOKED',
        reason: status.reason ?? 'revoked',
      };
    return { kind: 'not-allowed', status };
  } catch (caught) {
    const error =
      caught instanceof EdgeClientError
        ? caught
        : new EdgeClientError('UNREACHABLE', (caught as Error).message, null);
    if (error.refusesDevice) return { kind: 'revoked', code: error.code, reason: error.message };
    return { kind: 'unknown', error };
  }
}

export interface RevocationWatcherOptions {
  /** Sign with the session key: the device key may sit in a slow TPM. */
  client: EdgeClient;
  /** Poll period; with the 4 s request timeout below, revocation lands within 10 s. */
  intervalMs?: number;
  /** Called once, when the edge says the device or its user is revoked. Deny every tool call and end. */
  onRevoked: (revocation: { code: string; reason: string }) => void;
  onCheck?: (check: StatusCheck) => void;
}

export interface RevocationWatcher {
  start(): void;
  stop(): void;
  checkNow(): Promise<StatusCheck>;
  readonly revoked: boolean;
}

export const REVOCATION_POLL_MS = 5000;

/**
 * Polls the edge's device status so an admin's revocation reaches running sessions: within
 * `intervalMs` + the request timeout of a revoke, `onRevoked` fires. An unreachable edge is not a
 * revocation (sessions must work offline); the caller decides what a long silence means.
 */
export function createRevocationWatcher(options: RevocationWatcherOptions): RevocationWatcher {
  const intervalMs = options.intervalMs ?? REVOCATION_POLL_MS;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let revoked = false;
  let active = false;

  const checkNow = async (): Promise<StatusCheck> => {
    const check = await fetchDeviceStatus(options.client);
    options.onCheck?.(check);
    if (check.kind === 'revoked' && !revoked) {
      revoked = true;
      options.onRevoked({ code: check.code, reason: check.reason });
    }
    return check;
  };

  const tick = async () => {
    if (!active) return;
    await checkNow();
    if (active && !revoked) timer = setTimeout(tick, intervalMs);
  };

  return {
    start() {
      if (active) return;
      active = true;
      void tick();
    },
    stop() {
      active = false;
      if (timer) clearTimeout(timer);
      timer = null;
    },
    checkNow,
    get revoked() {
      return revoked;
    },
  };
}
