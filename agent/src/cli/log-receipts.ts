import { readEdgeConfig, readLogStatus } from '../edge-client/index.ts';
import { readDeviceRecord } from '../session/identity.ts';
import { cerosHome } from '../state/secure-fs.ts';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from './command.ts';

export const LOG_RECEIPTS_HELP = `Usage: ceros log receipts [--json]

Shows what this device holds about its organization's transparency log: the last checkpoint it
verified (the log's size then), how many inclusion receipts it keeps for its own entries, the
highest seq they cover, and how many uploaded entries still wait for one. Reads ~/.ceros only.

A receipt for seq N proves, with the log's signed checkpoint, that the log holds the entry this
device wrote at N and so, through the hash chain, every entry before it (docs/spec/receipt.md).
ceros claude asks for one after every upload; entries stay pending while the edge is unreachable.
It also shows entries not uploaded yet, and an alert when the edge refused the journal for good
(a journal rewound after it synced) or when the journal ends before this device's records of it.

  --json   One JSON object
`;

export function runLogReceipts(argv: string[], ctx: CommandContext): CommandResult {
  if (argv.includes('--help') || argv.includes('-h')) return ok(LOG_RECEIPTS_HELP);
  const unknown = argv.find((a) => a !== '--json');
  if (unknown !== undefined)
    return fail(`ceros log receipts: Unknown argument "${unknown}"\n\n${LOG_RECEIPTS_HELP}`, EXIT.USAGE);
  const json = argv.includes('--json');
  const home = cerosHome(ctx.env);
  const config = readEdgeConfig(home);
  const device = (config.ok ? config.value?.deviceId : undefined) ?? readDeviceRecord(home)?.deviceId;
  if (!device) {
    const message = `No device key in ${home}: nothing has been recorded on this machine yet`;
    return ok(json ? `${JSON.stringify({ device: null, reason: message })}\n` : `${message}\n`);
  }
  const status = readLogStatus(home, device);
  if (json) return ok(`${JSON.stringify(status)}\n`);
  // A journal that stopped syncing or was rewound is the first thing to see, not "Pending: none".

  const lines: string[] = [];
  if (status.checkpoint)
    lines.push(
      `Log checkpoint: ${status.checkpoint.size} entries of ${status.checkpoint.origin}, verified ${status.checkpoint.verifiedAt}`,
    );
  else if (status.checkpointError)
    lines.push(
      `Log checkpoint: stored, but it does not open with the pinned log key: ${status.checkpointError}`,
    );
  else
    lines.push(
      config.ok && config.value
        ? 'Log checkpoint: none verified yet'
        : 'Log checkpoint: none (this device is not enrolled with an edge)',
    );
  lines.push(
    status.highestSeq === null
      ? `Receipts: ${status.receipts}`
      : `Receipts: ${status.receipts}, covering this device's entries up to seq ${status.highestSeq}`,
  );
  if (status.uploadedThrough === null) lines.push('Pending: nothing uploaded yet');
  else if (status.pending === 0) lines.push(`Pending: none (uploaded up to seq ${status.uploadedThrough})`);
  else
    lines.push(
      `Pending: ${status.pending} uploaded ${status.pending === 1 ? 'entry waits' : 'entries wait'} for a receipt (seq ${status.uploadedThrough - status.pending + 1} to ${status.uploadedThrough})`,
    );
  if (status.unreadable > 0) lines.push(`Unreadable receipt lines: ${status.unreadable}`);
  if (status.uploadedThrough !== null && status.notUploaded > 0)
    lines.push(
      `Not uploaded yet: ${status.notUploaded} ${status.notUploaded === 1 ? 'entry' : 'entries'} of the journal (up to seq ${status.journalSeq})`,
    );
  const alerts: string[] = [];
  const stopped = status.syncStopped;
  if (stopped)
    alerts.push(
      `Alert: sync stopped at seq ${stopped.seq}: the edge refused it (${stopped.code}: ${stopped.message}) on ${stopped.time}${stopped.chain ? `; the next \`ceros claude\` starts a new chain epoch on the edge's head${stopped.edgeHead ? ` (seq ${stopped.edgeHead.seq})` : ''} (docs/recovery.md)` : ''}`,
    );
  if (status.rewound) alerts.push(`Alert: ${status.rewound} (docs/recovery.md)`);
  return ok(`${[...alerts, ...lines].map((l) => `${l}\n`).join('')}`);
}
