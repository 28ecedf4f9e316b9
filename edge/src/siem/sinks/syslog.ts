import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { SyslogConfig } from '../sink-config.ts';
import {
  describeNetworkError,
  type OutboundEvent,
  SEND_TIMEOUT_MS,
  type Sender,
  type SendResult,
} from './sender.ts';

/**
 * Syslog, RFC 5424 messages over TCP (RFC 6587 octet counting) or TLS (RFC 5425, which mandates
 * octet counting): `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [SD-ID params] BOM MSG`, with
 * MSG the OCSF event as JSON and one SD element `ceros@<PEN>` naming the signed entry.
 *
 * Neither transport acknowledges messages. So each batch goes over its own connection, which the
 * edge half-closes after the last frame and counts delivered only when the receiver closes its
 * side too: a receiver closes after reading to the end of the stream, so every frame has been
 * read. A reset, a timeout or a close without that is a failure, and the batch goes again
 * (at least once).
 */

// OCSF severity_id -> RFC 5424 6.2.1 severity (6 informational, 5 notice, 4 warning, 3 error, 2 critical, 1 alert).
const SEVERITY: Record<number, number> = { 0: 6, 1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1, 99: 5 };

/** RFC 5424 6.3.3: in PARAM-VALUE, '"', '\' and ']' are escaped with '\'. */
const sdValue = (value: string): string => value.replace(/["\\\]]/g, (c) => `\\${c}`);
/** RFC 5424 6.2: header fields are PRINTUSASCII, NILVALUE when empty. */
const headerField = (value: string | null | undefined, max: number): string => {
  const clean = (value ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
};

export function syslogMessage(config: SyslogConfig, { event, record }: OutboundEvent): string {
  const severityId = typeof event.severity_id === 'number' ? event.severity_id : 1;
  const pri = config.facility * 8 + (SEVERITY[severityId] ?? 6);
  const time = new Date(typeof event.time === 'number' ? event.time : record.receivedMs).toISOString();
  const params: [string, string][] = [
    ['class_uid', String(event.class_uid)],
    ['type_uid', String(event.type_uid)],
    ['entry_hash', record.hash],
    ['device', record.deviceId],
    ['seq', String(record.seq)],
    ...(record.logIndex !== null ? ([['log_index', String(record.logIndex)]] as [string, string][]) : []),
    ['org', record.orgId],
  ];
  const sd = `[ceros@${config.pen} ${params.map(([k, v]) => `${k}="${sdValue(v)}"`).join(' ')}]`;
  const header = [
    `<${pri}>1`,
    time,
    headerField(record.hostname ?? record.deviceId, 255),
    headerField(config.appName, 48),
    '-',
    headerField(`ocsf.${String(event.class_uid)}`, 32),
  ].join(' ');
  // RFC 5424 6.4: a UTF-8 MSG starts with the BOM.
  return `${header} ${sd} \uFEFF${JSON.stringify(event)}`;
}

/** RFC 6587 3.4.1 / RFC 5425 4.3: MSG-LEN SP SYSLOG-MSG, the length in octets. */
export function octetFrame(message: string): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length} `), bytes]);
}

export function createSyslogSender(config: SyslogConfig): Sender {
  const target = `${config.transport}://${config.host}:${config.port}`;
  return {
    async send(batch): Promise<SendResult> {
      const frames: Buffer[] = [];
      const rejected: { index: number; error: string }[] = [];
      batch.forEach((item, index) => {
        const message = syslogMessage(config, item);
        if (Buffer.byteLength(message) > config.maxMessageBytes)
          rejected.push({
            index,
            error: `The syslog message is ${Buffer.byteLength(message)} bytes, more than the sink's ${config.maxMessageBytes}`,
          });
        else frames.push(octetFrame(message));
      });
      if (frames.length === 0) return { kind: 'ok', rejected };
      try {
        await deliver(config, Buffer.concat(frames));
      } catch (error) {
        return { kind: 'retry', error: describeNetworkError(target, error) };
      }
      return rejected.length > 0 ? { kind: 'ok', rejected } : { kind: 'ok' };
    },
  };
}

function deliver(config: SyslogConfig, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let socket: Socket;
    let peerEnded = false;
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      SEND_TIMEOUT_MS,
    );
    const onConnect = () => {
      socket.write(payload);
      socket.end();
    };
    if (config.transport === 'tls')
      socket = connectTls(
        {
          host: config.host,
          port: config.port,
          servername: config.serverName ?? (/^[\d.:]+$/.test(config.host) ? undefined : config.host),
          ...(config.ca ? { ca: config.ca } : {}),
        },
        onConnect,
      );
    else socket = connectTcp({ host: config.host, port: config.port }, onConnect);
    socket.on('error', (error) => finish(error));
    socket.on('data', () => {});
    socket.on('end', () => {
      peerEnded = true;
    });
    socket.on('close', () =>
      finish(
        peerEnded
          ? undefined
          : Object.assign(new Error('the receiver closed the connection before reading every message'), {
              code: 'ECONNRESET',
            }),
      ),
    );
  });
}
