import type { FakeDevice } from '@ceros/edge/src/testing/index.ts';
import { canonicalJson, type JournalEntry, type JsonValue } from '@ceros/protocol';

export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * Uploads one batch through the edge app in process, signed as its device and encoded as the
 * agent's uploader sends it (the journal's canonical lines: keys sorted). Returns the request's
 * milliseconds; anything but 200 fails the bench.
 */
export async function postIngest(
  app: FetchApp,
  device: FakeDevice,
  batch: readonly JournalEntry[],
): Promise<number> {
  const body = `{"entries":[${batch.map((e) => canonicalJson(e as unknown as JsonValue)).join(',')}]}`;
  const request = new Request('http://edge.bench/v1/agent/ingest', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...device.headers('POST', '/v1/agent/ingest', body) },
    body,
  });
  const started = performance.now();
  const response = await app.fetch(request);
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
  return ms;
}
