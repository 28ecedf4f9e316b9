import { EDGE_VERSION } from '../app.ts';
import { senderFor } from './exporter.ts';
import { toOcsf } from './ocsf.ts';
import type { SinkConfig } from './sink-config.ts';

export type SinkTestResult = { ok: true; message: string } | { ok: false; error: string };

/**
 * Sends one test event to a sink (before it is saved, or as it is): a Base Event that says it is
 * a test, with no entry behind it (`unmapped.ceros.entry.seq` -1). The receiver's answer comes
 * back as is: unreachable host, bad certificate, wrong token, wrong path.
 */
export async function testSink(config: SinkConfig, orgId: string, nowMs: number): Promise<SinkTestResult> {
  const bytes = JSON.stringify({ type: 'siem.test', time: new Date(nowMs).toISOString(), payload: {} });
  const record = {
    orgId,
    deviceId: 'ceros-edge',
    seq: -1,
    hash: '0'.repeat(64),
    logIndex: null,
    bytes,
    receivedMs: nowMs,
    hostname: null,
    userEmail: null,
  };
  const event = toOcsf(record, { detail: 'arguments', productVersion: EDGE_VERSION });
  event.message = 'ceros SIEM export test event';
  const result = await senderFor(config, () => nowMs).send([{ event, record }]);
  if (result.kind === 'ok' && !result.rejected?.length && !result.rejectedCount)
    return { ok: true, message: 'The receiver took a test event' };
  if (result.kind === 'ok')
    return {
      ok: false,
      error: result.rejected?.[0]?.error ?? result.rejectedError ?? 'The receiver refused the test event',
    };
  return { ok: false, error: result.error };
}
