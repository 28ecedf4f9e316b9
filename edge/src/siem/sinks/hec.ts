import type { HecConfig } from '../sink-config.ts';
import { describeNetworkError, type OutboundEvent, SEND_TIMEOUT_MS, type Sender } from './sender.ts';

/**
 * Splunk HTTP Event Collector: POST /services/collector/event with `Authorization: Splunk <token>`
 * and the events as concatenated JSON objects `{time, host, source, sourcetype, index, event,
 * fields}` (Splunk docs, "Format events for HTTP Event Collector"). `time` is epoch seconds with
 * milliseconds; `fields` are indexed fields naming the signed entry, so a search can join on them.
 * Status codes (Splunk docs, "Troubleshoot HTTP Event Collector"): 400 with code 5 or 6 is bad
 * data (split, then dead letters); 401/403 a bad or disabled token; 413 too large (split);
 * 429/5xx busy or down (retry).
 */
export function hecEndpoint(config: HecConfig): string {
  return `${config.url.replace(/\/+$/, '')}/services/collector/event`;
}

export function hecBody(config: HecConfig, batch: readonly OutboundEvent[]): string {
  return batch
    .map(({ event, record }) => {
      const time = typeof event.time === 'number' ? event.time : record.receivedMs;
      return JSON.stringify({
        time: time / 1000,
        host: record.hostname ?? record.deviceId,
        source: config.source,
        sourcetype: config.sourcetype,
        ...(config.index ? { index: config.index } : {}),
        event,
        fields: {
          ocsf_class_uid: String(event.class_uid),
          ceros_entry_hash: record.hash,
          ceros_device: record.deviceId,
          ceros_seq: String(record.seq),
          ...(record.logIndex !== null ? { ceros_log_index: String(record.logIndex) } : {}),
        },
      });
    })
    .join('\n');
}

export function createHecSender(config: HecConfig): Sender {
  const endpoint = hecEndpoint(config);
  return {
    async send(batch) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Splunk ${config.token}`, 'content-type': 'application/json' },
          body: hecBody(config, batch),
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
          ...(config.ca ? { tls: { ca: config.ca } } : {}),
        } as RequestInit);
      } catch (error) {
        return { kind: 'retry', error: describeNetworkError(config.url, error) };
      }
      const text = await response.text().catch(() => '');
      if (response.ok) return { kind: 'ok' };
      const said = hecMessage(text);
      const status = response.status;
      if (status === 401 || status === 403)
        return {
          kind: 'retry',
          error: `The HEC receiver at "${config.url}" refused the token (${status}${said ? `: ${said}` : ''})`,
        };
      if (status === 400 || status === 413)
        return {
          kind: 'malformed',
          error: `The HEC receiver refused the events (${status}${said ? `: ${said}` : ''})`,
        };
      if (status === 404)
        return {
          kind: 'retry',
          error: `The HEC receiver at "${config.url}" has no /services/collector/event (404): check the URL`,
        };
      return {
        kind: 'retry',
        error: `The HEC receiver at "${config.url}" answered ${status}${said ? `: ${said}` : ''}`,
      };
    },
  };
}

function hecMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { text?: unknown; code?: unknown };
    if (typeof body.text === 'string')
      return `${body.text}${typeof body.code === 'number' ? `, code ${body.code}` : ''}`;
  } catch {
    // not JSON: say what it was, shortly
  }
  return text.slice(0, 200);
}
