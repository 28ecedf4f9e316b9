import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { JOURNAL_FILE } from '../journal/journal.ts';
import { openMaintenanceJournal } from '../journal/maintenance-session.ts';
import { type RepairReport, repairJournal } from '../journal/repair.ts';
import type { Keystore } from '../keystore/keystore.ts';
import { cerosHome } from '../state/secure-fs.ts';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from './command.ts';

export const LOG_REPAIR_HELP = `Usage: ceros log repair [--json]

Sets aside every line of this device's journal that is not an entry: a torn last line (an append
cut short by a crash or a full disk, never acknowledged) or a line something else wrote, which
stops every later session from appending. Every entry stays, byte for byte and in order, so
\`ceros log verify\` still names a real gap or edit. The removed bytes are kept in a 0600 file under
~/.ceros/journal/damaged/, and the repair is journaled (an \`alert\` of kind "journal-repaired",
signed by a session of its own) with each removed line's number, offset, length and SHA-256.
Safe while a session runs: it takes the journal's lock.

  --json   One JSON report
`;

export interface LogRepairDeps {
  keystore: () => Keystore;
}

export async function runLogRepair(
  argv: string[],
  ctx: CommandContext,
  deps: LogRepairDeps,
): Promise<CommandResult> {
  if (argv.includes('--help') || argv.includes('-h')) return ok(LOG_REPAIR_HELP);
  const unknown = argv.find((a) => a !== '--json');
  if (unknown !== undefined)
    return fail(`ceros log repair: Unknown argument "${unknown}"\n\n${LOG_REPAIR_HELP}`, EXIT.USAGE);
  const json = argv.includes('--json');
  const home = cerosHome(ctx.env);
  const dir = join(home, 'journal');
  if (!existsSync(join(dir, JOURNAL_FILE))) {
    const message = `No journal in ${dir}: nothing to repair`;
    return ok(json ? `${JSON.stringify({ removed: [], reason: message })}\n` : `${message}\n`);
  }
  const report = repairJournal(dir, { lock: lockExclusive, unlock });
  let journaled: { session: string; seq: number } | null = null;
  let journalError: string | null = null;
  if (report.removed.length > 0) {
    try {
      const opened = await openMaintenanceJournal(home, deps.keystore, 'ceros log repair');
      if (opened) {
        const entry = opened.journal.append('alert', {
          kind: 'journal-repaired',
          message: `The journal was repaired: ${report.removed.length} ${report.removed.length === 1 ? 'line that was not an entry was' : 'lines that were not entries were'} set aside`,
          removed: report.removed,
          setAside: report.setAside,
          bytesBefore: report.bytesBefore,
          bytesAfter: report.bytesAfter,
        });
        opened.journal.close();
        journaled = { session: opened.session, seq: entry.seq };
      } else journalError = 'this machine has no device key, so there is no session to sign the record';
    } catch (error) {
      journalError = (error as Error).message;
    }
  }
  if (json) return ok(`${JSON.stringify({ ...report, journaled, journalError })}\n`);
  return ok(formatReport(report, journaled, journalError));
}

function formatReport(
  report: RepairReport,
  journaled: { session: string; seq: number } | null,
  journalError: string | null,
): string {
  if (report.removed.length === 0)
    return `The journal needs no repair: every line of ${report.journal} is an entry\n`;
  const lines = [
    `Set aside ${report.removed.length} ${report.removed.length === 1 ? 'line' : 'lines'} of ${report.journal}:`,
    ...report.removed.map((r) => `  - ${r.reason}`),
    `The bytes from line ${report.removed[0]?.line} on, as they were, are in ${report.setAside}`,
    report.entriesKept > 0
      ? `${report.entriesKept} entries after the first removed line were kept, unchanged`
      : 'No entry followed the first removed line',
  ];
  if (journaled) lines.push(`Journaled as seq ${journaled.seq} (session ${journaled.session.slice(0, 8)})`);
  else lines.push(`Not journaled: ${journalError}`);
  lines.push('Run `ceros log verify` to check the chain.');
  return `${lines.join('\n')}\n`;
}
