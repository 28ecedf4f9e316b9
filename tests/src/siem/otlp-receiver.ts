/**
 * An OTLP/HTTP logs receiver for tests: POST /v1/logs with `application/x-protobuf`, decoded by
 * protobufjs from the official opentelemetry-proto definitions (tests/fixtures/otlp), so the
 * edge's encoder (OpenTelemetry's otlp-transformer) is checked by an independent decoder of the
 * same schema. Answers an ExportLogsServiceResponse; can refuse with a status, or go down and
 * come back on the same port.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';

const PROTO_DIR = join(import.meta.dir, '..', '..', 'fixtures', 'otlp');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
root.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto');
const Request = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const Response_ = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');

export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: { stringValue?: string };
  attributes?: { key: string; value: Record<string, unknown> }[];
}

export interface OtlpReceived {
  resource: Record<string, unknown>;
  scope: { name?: string; version?: string };
  record: OtlpLogRecord;
  /** The record's attributes as a plain map. */
  attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  url: string;
  records: OtlpReceived[];
  requests: number;
  /** Answer every request with this status (null: accept). */
  failWith(status: number | null): void;
  down(): Promise<void>;
  up(): void;
  close(): Promise<void>;
}

const anyValue = (v: Record<string, unknown>): unknown =>
  v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue ?? v.bytesValue ?? v;

export function decodeOtlpLogs(bytes: Uint8Array): OtlpReceived[] {
  const message = Request.decode(bytes);
  const plain = Request.toObject(message, { longs: String, enums: Number, defaults: false }) as {
    resourceLogs?: {
      resource?: { attributes?: { key: string; value: Record<string, unknown> }[] };
      scopeLogs?: { scope?: { name?: string; version?: string }; logRecords?: OtlpLogRecord[] }[];
    }[];
  };
  const out: OtlpReceived[] = [];
  for (const rl of plain.resourceLogs ?? []) {
    const resource = Object.fromEntries(
      (rl.resource?.attributes ?? []).map((a) => [a.key, anyValue(a.value)]),
    );
    for (const sl of rl.scopeLogs ?? [])
      for (const record of sl.logRecords ?? [])
        out.push({
          resource,
          scope: sl.scope ?? {},
          record,
          attributes: Object.fromEntries((record.attributes ?? []).map((a) => [a.key, anyValue(a.value)])),
        });
  }
  return out;
}

export function startOtlpReceiver(): OtlpReceiver {
  const records: OtlpReceived[] = [];
  let requests = 0;
  let failure: number | null = null;
  const fetch = async (request: Request): Promise<Response> => {
    requests++;
    if (request.method !== 'POST' || new URL(request.url).pathname !== '/v1/logs')
      return new Response('not found', { status: 404 });
    if (failure !== null) return new Response('refused by the test', { status: failure });
    if (request.headers.get('content-type') !== 'application/x-protobuf')
      return new Response('unsupported content type', { status: 415 });
    let decoded: OtlpReceived[];
    try {
      decoded = decodeOtlpLogs(new Uint8Array(await request.arrayBuffer()));
    } catch (error) {
      return new Response(`cannot decode: ${(error as Error).message}`, { status: 400 });
    }
    records.push(...decoded);
    return new Response(Buffer.from(Response_.encode(Response_.create({})).finish()), {
      headers: { 'content-type': 'application/x-protobuf' },
    });
  };
  let server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch });
  const port = server.port as number;
  let listening = true;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    get requests() {
      return requests;
    },
    failWith(status) {
      failure = status;
    },
    async down() {
      if (listening) await server.stop(true);
      listening = false;
    },
    up() {
      if (listening) return;
      server = Bun.serve({ port, hostname: '127.0.0.1', fetch });
      listening = true;
    },
    async close() {
      if (listening) await server.stop(true);
      listening = false;
    },
  };
}
