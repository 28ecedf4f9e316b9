import { z } from 'zod';

/**
 * A SIEM sink's settings, one model for the console's form, the API and `ceros-edge siem add`.
 * Secrets (a HEC token, OTLP headers) are stored with the sink and never shown again: views carry
 * only whether they are set.
 */

/**
 * RFC 5424 7.2.2: an SD-ID of our own is `name@<private enterprise number>`. ceros has no IANA PEN
 * yet, so the default is 32473, the number RFC 5612 reserves for documentation; an organization
 * with its own PEN sets it (`--pen`), and receivers key parsing on the SD-ID.
 */
export const DEFAULT_PEN = 32473;

const detail = z.enum(['arguments', 'full']).default('arguments');
const pem = z
  .string()
  .max(64 * 1024)
  .refine(
    (v) => v.includes('-----BEGIN CERTIFICATE-----'),
    'must be PEM certificates (-----BEGIN CERTIFICATE-----)',
  );
const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const url = new URL(v);
      return (
        (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === ''
      );
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL without credentials');
const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or address');

export const hecConfigSchema = z.strictObject({
  kind: z.literal('hec'),
  /** The collector's base URL, e.g. https://splunk.example.com:8088. */
  url: httpUrl,
  token: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  index: z.string().min(1).max(80).optional(),
  sourcetype: z.string().min(1).max(80).default('ocsf'),
  source: z.string().min(1).max(80).default('ceros'),
  ca: pem.optional(),
  detail,
});

export const syslogConfigSchema = z.strictObject({
  kind: z.literal('syslog'),
  host: hostname,
  port: z.number().int().min(1).max(65535),
  transport: z.enum(['tcp', 'tls']),
  /** TLS: the CA that signed the receiver's certificate (the system's CAs otherwise). */
  ca: pem.optional(),
  /** TLS: the name the receiver's certificate must carry (the host otherwise). */
  serverName: hostname.optional(),
  /** RFC 5424 6.2.1; 13 is "log audit". */
  facility: z.number().int().min(0).max(23).default(13),
  pen: z.number().int().min(1).max(4_294_967_295).default(DEFAULT_PEN),
  appName: z
    .string()
    .min(1)
    .max(48)
    .regex(/^[\x21-\x7e]+$/)
    .default('ceros'),
  /** Larger messages go to the dead letters (rsyslog's default limit is 8 KiB; set its $MaxMessageSize). */
  maxMessageBytes: z
    .number()
    .int()
    .min(480)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  detail,
});

export const otlpConfigSchema = z.strictObject({
  kind: z.literal('otlp'),
  /** The collector's base URL (…/v1/logs is added unless the URL already ends in it). */
  url: httpUrl,
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(4096)).default({}),
  ca: pem.optional(),
  detail,
});

export const sinkConfigSchema = z.discriminatedUnion('kind', [
  hecConfigSchema,
  syslogConfigSchema,
  otlpConfigSchema,
]);
export type SinkConfig = z.output<typeof sinkConfigSchema>;
export type HecConfig = z.output<typeof hecConfigSchema>;
export type SyslogConfig = z.output<typeof syslogConfigSchema>;
export type OtlpConfig = z.output<typeof otlpConfigSchema>;

export const sinkInputSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/,
      'must start with a letter or digit and use letters, digits, spaces, . _ -',
    ),
  from: z.enum(['start', 'now']).default('start'),
  config: sinkConfigSchema,
});
export type SinkInput = z.output<typeof sinkInputSchema>;

export type ParsedSink = { ok: true; value: SinkInput } | { ok: false; issues: string[] };

/** Every problem of a sink's input, each with its path (`config.url: must be ...`). */
export function parseSinkInput(raw: unknown): ParsedSink {
  const result = sinkInputSchema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => `${issue.path.join('.') || 'sink'}: ${issue.message}`),
  };
}

/** What the console and `siem list` show of a sink's settings: no secret, only whether it is set. */
export type SinkConfigView =
  | (Omit<HecConfig, 'token' | 'ca'> & { token: 'set'; ca: boolean })
  | (Omit<SyslogConfig, 'ca'> & { ca: boolean })
  | (Omit<OtlpConfig, 'headers' | 'ca'> & { headers: string[]; ca: boolean });

export function viewSinkConfig(config: SinkConfig): SinkConfigView {
  switch (config.kind) {
    case 'hec': {
      const { token: _token, ca, ...rest } = config;
      return { ...rest, token: 'set', ca: ca !== undefined };
    }
    case 'syslog': {
      const { ca, ...rest } = config;
      return { ...rest, ca: ca !== undefined };
    }
    case 'otlp': {
      const { headers, ca, ...rest } = config;
      return { ...rest, headers: Object.keys(headers), ca: ca !== undefined };
    }
  }
}

/** Where the sink sends, in one line: `https://splunk:8088`, `tls://siem:6514`. */
export function sinkTarget(config: SinkConfig): string {
  return config.kind === 'syslog' ? `${config.transport}://${config.host}:${config.port}` : config.url;
}
