import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ParsedFlags } from './flags.ts';
import { LEDGER_ENV, LEDGER_FLAGS, type LedgerConfig, parseLedgerConfig } from './ledger-config.ts';

/** Everything `ceros-edge serve` needs, validated at start. */
export interface ServeConfig extends LedgerConfig {
  port: number;
  host: string;
  /** The libSQL URL: `file:<data>/edge.db` by default, or a remote libsql:// / https:// URL. */
  dbUrl: string;
  dbAuthToken: string | undefined;
  /** Folder for the embedded database (created 0700); unused with a remote database. */
  dataDir: string | undefined;
  publicUrl: string | undefined;
  distDir: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Reverse proxies in front of the edge (0: clients connect directly). */
  trustProxy: number;
  /** Development: codes go to an in-memory outbox shown at /dev/outbox to this machine only. */
  devOutbox: boolean;
  maxIngestBytes: number | undefined;
}

/** The most proxies `--trust-proxy` takes: more hops than this is a misreading of the setting. */
export const MAX_TRUSTED_PROXIES = 16;

export const SERVE_FLAGS = {
  values: [
    'port',
    'host',
    'data',
    'db',
    'public-url',
    'dist',
    'smtp',
    'mail-from',
    'max-ingest-bytes',
    'trust-proxy',
    ...LEDGER_FLAGS,
  ],
  booleans: ['dev-outbox'],
} as const;

/** Flag -> environment variable; a flag wins over the environment. */
export const SERVE_ENV: Record<string, string> = {
  port: 'CEROS_EDGE_PORT',
  host: 'CEROS_EDGE_HOST',
  data: 'CEROS_EDGE_DATA',
  db: 'CEROS_EDGE_DB_URL',
  'public-url': 'CEROS_EDGE_PUBLIC_URL',
  dist: 'CEROS_EDGE_DIST',
  smtp: 'CEROS_EDGE_SMTP_URL',
  'mail-from': 'CEROS_EDGE_MAIL_FROM',
  'max-ingest-bytes': 'CEROS_EDGE_MAX_INGEST_BYTES',
  'trust-proxy': 'CEROS_EDGE_TRUST_PROXY',
  'dev-outbox': 'CEROS_EDGE_DEV_OUTBOX',
  ...LEDGER_ENV,
};

export type ConfigResult = { ok: true; value: ServeConfig } | { ok: false; errors: string[] };

/** Reads database settings only (for `admin add` and `migrate`). */
export function parseDatabaseConfig(
  flags: ParsedFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
):
  | { ok: true; dbUrl: string; dbAuthToken: string | undefined; dataDir: string | undefined }
  | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const pick = (name: string) => flags.values.get(name) ?? env[SERVE_ENV[name] ?? ''];
  const db = pick('db');
  const data = pick('data');
  const dbAuthToken = env.CEROS_EDGE_DB_AUTH_TOKEN || undefined;
  if (db !== undefined) {
    if (!/^(libsql|https?|wss?):\/\//.test(db) && !db.startsWith('file:') && db !== ':memory:')
      errors.push(`--db "${db}" must be a libsql://, https:// or file: URL`);
    if (data !== undefined) errors.push('--db and --data both name a database: give one');
    if (/^(libsql|https|wss):\/\//.test(db) && !dbAuthToken && !/[?&]authToken=/.test(db))
      errors.push(`--db "${db}" is remote: set CEROS_EDGE_DB_AUTH_TOKEN (Turso and sqld need a token)`);
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, dbUrl: db, dbAuthToken, dataDir: undefined };
  }
  const dataDir = resolve(cwd, data ?? 'ceros-edge-data');
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory())
    errors.push(`--data "${dataDir}" is not a folder`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, dbUrl: `file:${join(dataDir, 'edge.db')}`, dbAuthToken, dataDir };
}

/** Parses and validates serve settings from flags and environment, listing every problem at once. */
export function parseServeConfig(
  flags: ParsedFlags,
  env: Readonly<Record<string, string | undefined>>,
  defaults: { cwd: string; distDir: string },
): ConfigResult {
  const errors = [...flags.errors];
  const pick = (name: string) => flags.values.get(name) ?? env[SERVE_ENV[name] ?? ''];

  const portText = pick('port') ?? '8787';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535)
    errors.push(`--port "${portText}" must be 0-65535`);

  const host = pick('host') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) errors.push(`--host "${host}" is not a host name or address`);

  const database = parseDatabaseConfig(flags, env, defaults.cwd);
  if (!database.ok) errors.push(...database.errors);

  const publicUrl = pick('public-url');
  if (publicUrl !== undefined && !isHttpUrl(publicUrl))
    errors.push(`--public-url "${publicUrl}" must be an http:// or https:// URL`);

  const distText = pick('dist');
  const distDir =
    distText === undefined
      ? defaults.distDir
      : isAbsolute(distText)
        ? distText
        : resolve(defaults.cwd, distText);
  if (distText !== undefined && !(existsSync(distDir) && statSync(distDir).isDirectory()))
    errors.push(`--dist "${distDir}" is not a folder`);

  const smtpUrl = pick('smtp');
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]+/.test(smtpUrl))
    errors.push(`--smtp "${redact(smtpUrl)}" must be an smtp:// or smtps:// URL`);
  const mailFrom = pick('mail-from') ?? 'ceros <no-reply@ceros.invalid>';
  if (smtpUrl !== undefined && pick('mail-from') === undefined)
    errors.push('--mail-from is required with --smtp (the sender address of code emails)');

  const trustText = pick('trust-proxy') ?? '0';
  const trustProxy = Number(trustText);
  if (!/^\d{1,2}$/.test(trustText) || trustProxy > MAX_TRUSTED_PROXIES)
    errors.push(
      `${flags.values.has('trust-proxy') ? '--trust-proxy' : SERVE_ENV['trust-proxy']} "${trustText}" must be the number of reverse proxies in front of the edge, 0-${MAX_TRUSTED_PROXIES}`,
    );

  const outboxText = flags.booleans.has('dev-outbox')
    ? 'true'
    : (env[SERVE_ENV['dev-outbox'] ?? ''] ?? 'false');
  if (!/^(1|0|true|false|yes|no)$/i.test(outboxText))
    errors.push(`${SERVE_ENV['dev-outbox']} "${outboxText}" must be true or false`);
  const devOutbox = /^(1|true|yes)$/i.test(outboxText);
  if (smtpUrl === undefined && !devOutbox)
    errors.push(
      'give --smtp URL and --mail-from ADDR to mail sign-in and enrollment codes, or --dev-outbox on a development machine',
    );
  if (smtpUrl !== undefined && devOutbox)
    errors.push('--smtp and --dev-outbox both say where codes go: give one');
  if (devOutbox && trustProxy > 0)
    errors.push(
      '--dev-outbox cannot be used with --trust-proxy: behind a proxy every request reaches the edge from the proxy, and the outbox would show codes to its clients',
    );

  const maxText = pick('max-ingest-bytes');
  const maxIngestBytes = maxText === undefined ? undefined : Number(maxText);
  if (maxIngestBytes !== undefined && (!Number.isSafeInteger(maxIngestBytes) || maxIngestBytes < 1024))
    errors.push(`--max-ingest-bytes "${maxText}" must be a whole number of bytes, at least 1024`);

  const ledger = parseLedgerConfig(flags, env, publicUrl);
  if (!ledger.ok) errors.push(...ledger.errors);

  if (flags.positionals.length > 0) errors.push(`unexpected argument "${flags.positionals[0]}"`);
  if (errors.length > 0 || !database.ok || !ledger.ok) return { ok: false, errors };
  return {
    ok: true,
    value: {
      port,
      host,
      dbUrl: database.dbUrl,
      dbAuthToken: database.dbAuthToken,
      dataDir: database.dataDir,
      publicUrl: publicUrl?.replace(/\/+$/, ''),
      distDir,
      smtpUrl,
      mailFrom,
      trustProxy,
      devOutbox,
      maxIngestBytes,
      ...ledger.value,
    },
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Hides the password of a URL in messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
