import { SeverityNumber } from '@opentelemetry/api';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { OtlpConfig } from '../sink-config.ts';
import {
  describeNetworkError,
  type OutboundEvent,
  SEND_TIMEOUT_MS,
  type Sender,
  type SendResult,
} from './sender.ts';

/**
 * OTLP/HTTP logs (OTLP spec 1.x, "OTLP/HTTP"): POST <url>/v1/logs, binary protobuf encoded by
 * OpenTelemetry's own serializer. One log record per event: the body is the OCSF event as JSON,
 * attributes carry the class and the signed entry's reference. Status codes per the spec's
 * "Failures" section: 429, 502, 503, 504 are retryable; 400 is bad data (split, then dead letters);
 * a partial success names how many records the collector rejected (not retried, per the spec).
 */
export function otlpEndpoint(config: OtlpConfig): string {
  const base = config.url.replace(/\/+$/, '');
  return base.endsWith('/v1/logs') ? base : `${base}/v1/logs`;
}

type LogRecords = Parameters<typeof ProtobufLogsSerializer.serializeRequest>[0];

// OCSF severity_id -> OTel SeverityNumber (logs data model: INFO 9, WARN 13, ERROR 17, FATAL 21).
const SEVERITY: Record<number, SeverityNumber> = {
  1: SeverityNumber.INFO,
  2: SeverityNumber.INFO2,
  3: SeverityNumber.WARN,
  4: SeverityNumber.ERROR,
  5: SeverityNumber.FATAL,
  6: SeverityNumber.FATAL2,
};

const scope = { name: 'ceros.siem', version: '0.1.0' };
const resources = new Map<string, ReturnType<typeof resourceFromAttributes>>();
function resourceOf(orgId: string) {
  let resource = resources.get(orgId);
  if (!resource) {
    // Resource identity groups records into one ResourceLogs: one per organization.
    resource = resourceFromAttributes({ 'service.name': 'ceros-edge', 'ceros.org': orgId });
    if (resources.size > 1000) resources.clear();
    resources.set(orgId, resource);
  }
  return resource;
}

const hrTime = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];

export function otlpBody(batch: readonly OutboundEvent[], nowMs: number): Uint8Array {
  const records: LogRecords = batch.map(({ event, record }) => {
    const time = typeof event.time === 'number' ? event.time : record.receivedMs;
    const severityId = typeof event.severity_id === 'number' ? event.severity_id : 1;
    return {
      hrTime: hrTime(time),
      hrTimeObserved: hrTime(nowMs),
      severityNumber: SEVERITY[severityId] ?? SeverityNumber.INFO,
      severityText: typeof event.severity === 'string' ? event.severity : 'Informational',
      eventName: `ocsf.${String(event.class_uid)}`,
      body: JSON.stringify(event),
      resource: resourceOf(record.orgId),
      instrumentationScope: scope,
      attributes: {
        'ocsf.class_uid': Number(event.class_uid),
        'ocsf.type_uid': Number(event.type_uid),
        'ceros.entry.hash': record.hash,
        'ceros.entry.device': record.deviceId,
        'ceros.entry.seq': record.seq,
        ...(record.logIndex !== null ? { 'ceros.entry.log_index': record.logIndex } : {}),
        ...(record.hostname ? { 'host.name': record.hostname } : {}),
      },
      droppedAttributesCount: 0,
    };
  });
  const body = ProtobufLogsSerializer.serializeRequest(records);
  if (!body) throw new Error('Cannot encode the OTLP request');
  return body;
}

export function createOtlpSender(config: OtlpConfig, now: () => number = Date.now): Sender {
  const endpoint = otlpEndpoint(config);
  return {
    async send(batch): Promise<SendResult> {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { ...config.headers, 'content-type': 'application/x-protobuf' },
          body: otlpBody(batch, now()),
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
          ...(config.ca ? { tls: { ca: config.ca } } : {}),
        } as RequestInit);
      } catch (error) {
        return { kind: 'retry', error: describeNetworkError(config.url, error) };
      }
      const bytes = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
      const status = response.status;
      if (response.ok) {
        try {
          const answer = ProtobufLogsSerializer.deserializeResponse(bytes);
          const rejected = Number(answer.partialSuccess?.rejectedLogRecords ?? 0);
          if (rejected > 0)
            return {
              kind: 'ok',
              rejectedCount: Math.min(rejected, batch.length),
              rejectedError: `The OTLP collector rejected ${rejected} record(s)${answer.partialSuccess?.errorMessage ? `: ${answer.partialSuccess.errorMessage}` : ''}`,
            };
        } catch {
          // An empty or JSON body to a 200 is still success (OTLP/HTTP allows an empty response).
        }
        return { kind: 'ok' };
      }
      const said = new TextDecoder()
        .decode(bytes.slice(0, 200))
        .replace(/[^\x20-\x7e]+/g, ' ')
        .trim();
      if (status === 401 || status === 403)
        return {
          kind: 'retry',
          error: `The OTLP collector at "${config.url}" refused the credentials (${status})`,
        };
      if (status === 400 || status === 413)
        return {
          kind: 'malformed',
          error: `The OTLP collector refused the records (${status}${said ? `: ${said}` : ''})`,
        };
      if (status === 404)
        return {
          kind: 'retry',
          error: `The OTLP collector at "${config.url}" has no ${new URL(endpoint).pathname} (404): check the URL`,
        };
      return {
        kind: 'retry',
        error: `The OTLP collector at "${config.url}" answered ${status}${said ? `: ${said}` : ''}`,
      };
    },
  };
}
