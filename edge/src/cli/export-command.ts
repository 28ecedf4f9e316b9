import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { exportPeriod } from '../ledger/period-export.ts';
import { createTransparencyLog } from '../ledger/transparency-log.ts';
import { verifyCommand } from '../ledger/verify-command.ts';
import type { EdgeStore } from '../store/store.ts';
import { parseFlags } from './flags.ts';
import { LEDGER_FLAGS, LEDGER_HELP, parseLedgerConfig } from './ledger-config.ts';
import type { CliIo, CliOutcome } from './run.ts';
import { parseDatabaseConfig } from './serve-config.ts';

export const EXPORT_HELP = `Usage: ceros-edge export --org SLUG --from TIME --to TIME --out FILE [--data DIR | --db URL]

Writes the audit export of one organization's log for the period [from, to): the signed
checkpoints at both ends (with the witnesses' cosignatures when they have them), the compact
range of the log before the period, every entry the edge appended in it, the device keys and the
session certificates. An auditor checks it offline with

  ceros verify FILE --log-key KEY [--witness-key KEY]

  --org SLUG            the organization
  --from TIME           start of the period, RFC 3339 or epoch milliseconds (inclusive)
  --to TIME             end of the period (exclusive)
  --out FILE            where to write the export (mode 0600)
${LEDGER_HELP}`;

type Done = Extract<CliOutcome, { kind: 'done' }>;

const done = (stdout: string, stderr = '', exitCode = 0): Done => ({
  kind: 'done',
  stdout,
  stderr,
  exitCode,
});

function parseTime(text: string | undefined, name: string, errors: string[]): number {
  if (text === undefined) {
    errors.push(`--${name} is required`);
    return Number.NaN;
  }
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) errors.push(`--${name} "${text}" is not an RFC 3339 time or epoch milliseconds`);
  return ms;
}

/** Writes `text` to `path` with mode 0600, atomically. */
function writePrivate(path: string, text: string): void {
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.export.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export async function runExportCommand(
  args: readonly string[],
  io: CliIo,
  openStore: (db: {
    dbUrl: string;
    dbAuthToken: string | undefined;
    dataDir: string | undefined;
  }) => EdgeStore,
): Promise<Done> {
  const flags = parseFlags(args, {
    values: ['org', 'from', 'to', 'out', 'data', 'db', ...LEDGER_FLAGS],
    booleans: [],
  });
  if (flags.help) return done(EXPORT_HELP);
  const errors = [...flags.errors];
  if (flags.positionals.length > 0) errors.push(`unexpected argument "${flags.positionals[0]}"`);
  const slug = flags.values.get('org');
  if (!slug) errors.push('--org is required');
  const fromMs = parseTime(flags.values.get('from'), 'from', errors);
  const toMs = parseTime(flags.values.get('to'), 'to', errors);
  if (fromMs > toMs) errors.push('--from must not be after --to');
  const out = flags.values.get('out');
  if (!out) errors.push('--out is required');
  const db = parseDatabaseConfig(flags, io.env, io.cwd);
  if (!db.ok) errors.push(...db.errors);
  const ledger = parseLedgerConfig(flags, io.env, io.env.CEROS_EDGE_PUBLIC_URL);
  if (!ledger.ok) errors.push(...ledger.errors);
  if (errors.length > 0 || !db.ok || !ledger.ok || !slug || !out)
    return done('', `${errors.map((e) => `ceros-edge: ${e}`).join('\n')}\n\n${EXPORT_HELP}`, 64);

  const store = openStore(db);
  try {
    await store.migrate();
    const org = await store.getOrgBySlug(slug);
    if (!org) return done('', `ceros-edge: Cannot export: there is no organization "${slug}"\n`, 1);
    const tlog = createTransparencyLog({
      store,
      name: ledger.value.logName,
      witnesses: ledger.value.witnesses,
      ...(io.now ? { now: io.now } : {}),
    });
    const doc = await exportPeriod({ store, tlog, orgId: org.id, fromMs, toMs });
    const path = resolve(io.cwd, out);
    writePrivate(path, `${JSON.stringify(doc)}\n`);
    const key = await tlog.logKey(org.id);
    return done(
      [
        `Exported ${doc.entries.length} entries of ${org.name} (log ${doc.origin}, leaves ${doc.period.fromIndex}..${doc.period.toIndex}) to ${path}`,
        `Check it with: ${verifyCommand(path, key)}`,
        '',
      ].join('\n'),
    );
  } finally {
    store.close();
  }
}
