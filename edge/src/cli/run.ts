import { z } from 'zod';
import { EDGE_VERSION } from '../app.ts';
import type { EdgeDeps } from '../deps.ts';
import { createDistFolderBinaries } from '../install/dist-folder.ts';
import { createTransparencyLog } from '../ledger/transparency-log.ts';
import { createOutboxMailer } from '../mail/mailer.ts';
import { createSmtpMailer } from '../mail/smtp-mailer.ts';
import { addAdmin } from '../orgs.ts';
import { runSiemCommand } from '../siem/siem-command.ts';
import { createLibsqlStore } from '../store/libsql-store.ts';
import type { EdgeStore } from '../store/store.ts';
import { secureDataFolder } from './data-folder.ts';
import { runExportCommand } from './export-command.ts';
import { parseFlags } from './flags.ts';
import { LEDGER_HELP } from './ledger-config.ts';
import {
  parseDatabaseConfig,
  parseServeConfig,
  redact,
  SERVE_FLAGS,
  type ServeConfig,
} from './serve-config.ts';

export const MAIN_HELP = `Usage: ceros-edge <command> [options]

The ceros edge: enrollment, signed journal ingest, policy and MCP distribution, fleet queries.

Commands:
  serve              run the HTTP API
  admin add EMAIL    add an admin (creating the organization on first use)
  migrate            bring the database schema up to date and exit
  export             write the audit export of a period of an organization's log
  siem               stream events to a SIEM (Splunk HEC, syslog, OTLP): add, list, remove, test

Run "ceros-edge <command> --help" for a command's options. "ceros-edge --version" prints the version.
`;

export const SERVE_HELP = `Usage: ceros-edge serve [options]

Options (each also read from the environment variable shown; flags win):
  --port P              port to listen on (CEROS_EDGE_PORT, default 8787; 0 picks a free one)
  --host H              address to bind (CEROS_EDGE_HOST, default 127.0.0.1)
  --data DIR            folder of the embedded database DIR/edge.db (CEROS_EDGE_DATA, default ./ceros-edge-data)
  --db URL              a libsql:// or https:// database instead (Turso, sqld) (CEROS_EDGE_DB_URL);
                        its token comes from CEROS_EDGE_DB_AUTH_TOKEN
  --public-url URL      the URL agents and browsers reach this edge at (CEROS_EDGE_PUBLIC_URL)
  --dist DIR            folder with agent binaries for /install.sh (CEROS_EDGE_DIST, default: next to ceros-edge)
  --smtp URL            smtp://user:pass@host:port relay for code emails (CEROS_EDGE_SMTP_URL)
  --mail-from ADDR      sender of code emails (CEROS_EDGE_MAIL_FROM; required with --smtp)
  --dev-outbox          development instead of --smtp: codes are logged and shown at /dev/outbox,
                        only to browsers on this machine that connect directly (CEROS_EDGE_DEV_OUTBOX=true)
  --trust-proxy N       N reverse proxies stand in front of the edge: the client address is the
                        N-th X-Forwarded-For entry from the right (CEROS_EDGE_TRUST_PROXY, default 0)
  --max-ingest-bytes N  largest accepted journal batch (CEROS_EDGE_MAX_INGEST_BYTES, default 4194304)
${LEDGER_HELP}  -h, --help            show this help
`;

export const ADMIN_HELP = `Usage: ceros-edge admin add EMAIL [--org NAME] [--role admin|auditor] [--data DIR | --db URL]

Adds an admin (or auditor) who signs in to the console with a code mailed to EMAIL. Creates the
organization NAME (default "default") if it does not exist yet.
`;

export const MIGRATE_HELP = `Usage: ceros-edge migrate [--data DIR | --db URL]

Applies pending schema migrations and exits. "serve" does this too at start; migrations are
idempotent, so several edge instances can start against one database at once.
`;

export type CliOutcome =
  | { kind: 'done'; stdout: string; stderr: string; exitCode: number }
  | { kind: 'serve'; config: ServeConfig };

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Where `serve` finds agent binaries when --dist is not given. */
  defaultDistDir: string;
  now?: () => number;
}

const done = (stdout: string, stderr = '', exitCode = 0): CliOutcome => ({
  kind: 'done',
  stdout,
  stderr,
  exitCode,
});
const usage = (errors: readonly string[], help: string): CliOutcome =>
  done('', `${errors.map((e) => `ceros-edge: ${e}`).join('\n')}\n\n${help}`, 64);

/** A data folder the edge cannot make private: the command stops with this message. */
export class DataFolderError extends Error {
  override readonly name = 'DataFolderError';
}

type DatabaseConfig = { dbUrl: string; dbAuthToken: string | undefined; dataDir: string | undefined };

/** Parses the command line; runs one-shot commands; returns the validated config for `serve`. */
export async function runEdgeCli(argv: readonly string[], io: CliIo): Promise<CliOutcome> {
  const warnings: string[] = [];
  try {
    const outcome = await runCommand(argv, io, (db) => openStore(db, (line) => warnings.push(line)));
    if (outcome.kind !== 'done' || warnings.length === 0) return outcome;
    return { ...outcome, stderr: `${warnings.map((w) => `ceros-edge: ${w}\n`).join('')}${outcome.stderr}` };
  } catch (error) {
    if (error instanceof DataFolderError) return done('', `ceros-edge: ${error.message}\n`, 1);
    throw error;
  }
}

async function runCommand(
  argv: readonly string[],
  io: CliIo,
  open: (db: DatabaseConfig) => EdgeStore,
): Promise<CliOutcome> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help')
    return done(MAIN_HELP);
  if (command === '--version' || command === '-v') return done(`ceros-edge ${EDGE_VERSION}\n`);

  if (command === 'serve') {
    const flags = parseFlags(rest, SERVE_FLAGS);
    if (flags.help) return done(SERVE_HELP);
    const config = parseServeConfig(flags, io.env, { cwd: io.cwd, distDir: io.defaultDistDir });
    if (!config.ok) return usage(config.errors, SERVE_HELP);
    return { kind: 'serve', config: config.value };
  }

  if (command === 'migrate') {
    const flags = parseFlags(rest, { values: ['data', 'db'], booleans: [] });
    if (flags.help) return done(MIGRATE_HELP);
    const db = parseDatabaseConfig(flags, io.env, io.cwd);
    const errors = [...flags.errors, ...(db.ok ? [] : db.errors)];
    if (flags.positionals.length > 0) errors.push(`unexpected argument "${flags.positionals[0]}"`);
    if (errors.length > 0 || !db.ok) return usage(errors, MIGRATE_HELP);
    const store = open(db);
    try {
      const { applied } = await store.migrate();
      return done(applied.length ? `Applied migrations ${applied.join(', ')}\n` : 'Schema is up to date\n');
    } finally {
      store.close();
    }
  }

  if (command === 'export') return runExportCommand(rest, io, open);
  if (command === 'siem') return runSiemCommand(rest, io, open);

  if (command === 'admin') {
    const [sub, ...args] = rest;
    if (sub === undefined || sub === '-h' || sub === '--help') return done(ADMIN_HELP);
    if (sub !== 'add') return usage([`unknown admin command "${sub}"`], ADMIN_HELP);
    const flags = parseFlags(args, { values: ['org', 'role', 'data', 'db'], booleans: [] });
    if (flags.help) return done(ADMIN_HELP);
    const errors = [...flags.errors];
    const email = z.email().safeParse(flags.positionals[0]?.trim().toLowerCase());
    if (!email.success)
      errors.push(
        flags.positionals[0] ? `"${flags.positionals[0]}" is not an email address` : 'EMAIL is required',
      );
    if (flags.positionals.length > 1) errors.push(`unexpected argument "${flags.positionals[1]}"`);
    const role = flags.values.get('role') ?? 'admin';
    if (role !== 'admin' && role !== 'auditor') errors.push(`--role "${role}" must be admin or auditor`);
    const orgName = flags.values.get('org') ?? 'default';
    if (orgName.trim() === '' || orgName.length > 100) errors.push('--org needs a name of 1-100 characters');
    const db = parseDatabaseConfig(flags, io.env, io.cwd);
    if (!db.ok) errors.push(...db.errors);
    if (errors.length > 0 || !db.ok || !email.success) return usage(errors, ADMIN_HELP);
    const store = open(db);
    try {
      await store.migrate();
      const result = await addAdmin(
        store,
        { email: email.data, orgName, role: role as 'admin' | 'auditor' },
        (io.now ?? Date.now)(),
      );
      const lines = [
        result.orgCreated ? `Created organization "${result.org.name}" (slug ${result.org.slug})` : null,
        result.orgCreated
          ? `It accepts addresses at ${result.org.allowedDomains.map((d) => `@${d}`).join(', ')} only, and new devices wait for an admin's approval (change both in the console's Settings)`
          : null,
        result.created
          ? `Added ${role} ${email.data} to "${result.org.name}"`
          : `${email.data} is already an admin or auditor of "${result.org.name}"`,
      ].filter((line) => line !== null);
      return done(`${lines.join('\n')}\n`);
    } finally {
      store.close();
    }
  }

  return usage([`unknown command "${command}"`], MAIN_HELP);
}

/** Opens the database; an embedded one only after its folder and files are private (data-folder.ts). */
function openStore(db: DatabaseConfig, warn: (line: string) => void): EdgeStore {
  if (db.dataDir) {
    const folder = secureDataFolder(db.dataDir);
    if (!folder.ok) throw new DataFolderError(folder.error);
    for (const warning of folder.warnings) warn(warning);
  }
  return createLibsqlStore(db.dbAuthToken ? { url: db.dbUrl, authToken: db.dbAuthToken } : { url: db.dbUrl });
}

/** Builds the app's dependencies for `serve` (opens and migrates the database). */
export async function serveDeps(config: ServeConfig, log: (line: string) => void): Promise<EdgeDeps> {
  const store = openStore(config, (warning) => log(`warning: ${warning}`));
  const { applied } = await store.migrate();
  if (applied.length > 0) log(`applied migrations ${applied.join(', ')}`);
  const mailer = config.smtpUrl
    ? createSmtpMailer({ url: config.smtpUrl, from: config.mailFrom })
    : createOutboxMailer({ log });
  if (!config.smtpUrl)
    log('--dev-outbox: codes are logged and shown at /dev/outbox to browsers on this machine');
  log(`database ${redact(config.dbUrl)}; agent binaries from ${config.distDir}`);
  // Every accepted entry goes into its organization's Merkle log; main.ts starts the signing loop.
  const tlog = createTransparencyLog({
    store,
    name: config.logName,
    witnesses: config.witnesses,
    checkpointIntervalMs: config.checkpointIntervalMs,
    log,
  });
  log(
    `transparency logs named ${config.logName}/<org>; ${config.witnesses.length} witness(es); checkpoints every ${config.checkpointIntervalMs} ms`,
  );
  return {
    store,
    mailer,
    tlog,
    binaries: createDistFolderBinaries(config.distDir),
    log,
    settings: {
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      devOutbox: config.devOutbox,
      ...(config.maxIngestBytes !== undefined ? { maxIngestBytes: config.maxIngestBytes } : {}),
    },
  };
}
