import { dirname, join } from 'node:path';
import { devicePublicKeyFromSpki, type JournalEntry, parseJournalEntry } from '@ceros/protocol';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';
import { readChainEvidence } from '../journal/epoch.ts';
import { JOURNAL_FILE, readJournalFile } from '../journal/journal.ts';
import { verifyDeviceJournal } from '../journal/verify-device-journal.ts';
import { readDeviceRecord } from '../session/identity.ts';
import { cerosHome } from '../state/secure-fs.ts';

export const LOG_HELP = `Usage: ceros log [--session ID] [--type TYPE] [--json]
       ceros log verify [--json]
       ceros log receipts [--json]
       ceros log repair [--json]

Lists the entries of this device's journal, verifies it, or shows what the edge's transparency
log has proven it holds (receipts; see ceros log receipts --help), or sets aside lines that are
not entries (a torn tail, garbage) so that sessions can append again (ceros log repair --help).

  --session ID   Only entries of this ceros session (a prefix is enough)
  --type TYPE    Only entries of this type (e.g. tool.decision)
  --json         One JSON entry a line (list) or a JSON report (verify)

verify checks that every entry is well formed, that the chain is unbroken (each entry names the
hash of the one before), that every entry is signed by its session key, and that every session
key was certified by this device's key. It names the first bad entry and exits 3 if one is bad.
It also exits 3 when the journal ends before what this device recorded elsewhere (the head record
~/.ceros/journal-head.json, the upload cursor, the edge's receipts): a journal truncated, deleted
or restored from an older backup. A chain epoch begun after such a rewind is listed with its
signed statement (docs/recovery.md).
A torn last line (an append cut short by a crash or a full disk, never acknowledged) is named as
such and is not a failure: the entries before it are checked, and the next session or
\`ceros log repair\` sets it aside.
`;

export async function runLog(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  if (argv.includes('--help') || argv.includes('-h')) return ok(LOG_HELP);
  const json = argv.includes('--json');
  const home = cerosHome(ctx.env);
  const path = join(home, 'journal', JOURNAL_FILE);
  if (argv[0] === 'verify') return verify(home, path, json);
  const session = flagValue(argv, '--session');
  const type = flagValue(argv, '--type');
  const unknown = argv.filter(
    (a, i) =>
      a.startsWith('-') &&
      !['--json', '--session', '--type'].includes(a) &&
      !['--session', '--type'].includes(argv[i - 1] ?? ''),
  );
  if (unknown.length > 0) return fail(`ceros log: Unknown option "${unknown[0]}"\n\n${LOG_HELP}`, EXIT.USAGE);
  const { entries } = readJournalFile(path);
  const selected: JournalEntry[] = [];
  for (const raw of entries) {
    const parsed = parseJournalEntry(raw);
    if (!parsed.ok) continue;
    if (session && !parsed.value.session.startsWith(session)) continue;
    if (type && parsed.value.type !== type) continue;
    selected.push(parsed.value);
  }
  if (json) return ok(selected.map((e) => `${JSON.stringify(e)}\n`).join(''));
  if (selected.length === 0)
    return ok(`No journal entries${session || type ? ' match' : ` yet in ${path}`}\n`);
  return ok(selected.map(formatEntry).join(''));
}

function verify(home: string, path: string, json: boolean): CommandResult {
  const device = readDeviceRecord(home);
  const read = readJournalFile(path);
  // A torn tail was never acknowledged: check what was, and name the tail for what it is.
  const entries = read.tornTail ? read.entries.slice(0, -1) : read.entries;
  const torn = read.tornTail
    ? `The journal ends with a torn line (line ${read.tornTail.line}, ${read.tornTail.length} bytes without a newline): an append cut short by a crash or a full disk, never acknowledged; the next session or \`ceros log repair\` sets it aside`
    : null;
  if (!device) {
    const message = `No device key in ${home}: nothing has been recorded on this machine yet`;
    return json
      ? {
          stdout: `${JSON.stringify({ ok: entries.length === 0, reason: message })}\n`,
          stderr: '',
          exitCode: entries.length === 0 ? 0 : EXIT.VERIFY_FAILED,
        }
      : ok(`${message}\n`);
  }
  const deviceKey = devicePublicKeyFromSpki(device.publicKeySpki);
  const result = verifyDeviceJournal(
    entries,
    (id) => (id === device.deviceId ? deviceKey : undefined),
    readChainEvidence(dirname(path), device.deviceId),
  );
  if (!result.ok && typeof entries[result.index] === 'string') {
    // Not JSON at all: a line ceros did not write (the verifier only sees "malformed").
    result.reason = `Line ${result.index + 1} is not a journal entry (not JSON): something other than ceros wrote it; \`ceros log repair\` sets it aside`;
  }
  // A journal that verifies on its own but ends before what the device recorded elsewhere was
  // rewound (truncated, deleted, restored from a backup): that fails too (docs/recovery.md).
  const passed = result.ok && result.rewind === null;
  if (json)
    return {
      stdout: `${JSON.stringify({ ...result, ...(result.ok && result.rewind ? { ok: false, code: 'REWOUND', reason: result.rewind.message } : {}), tornTail: read.tornTail })}\n`,
      stderr: '',
      exitCode: passed ? 0 : EXIT.VERIFY_FAILED,
    };
  const epochs = result.epochs.map(
    (e) =>
      `Chain epoch from seq ${e.seq} (${e.time}, session ${e.session.slice(0, 8)}): ${e.statement.statement}\n`,
  );
  if (result.ok && result.rewind)
    return {
      stdout: epochs.join(''),
      stderr: `Journal verification failed: ${result.rewind.message}. The next \`ceros claude\` journals this and starts a new chain epoch (docs/recovery.md)\n${torn ? `${torn}\n` : ''}`,
      exitCode: EXIT.VERIFY_FAILED,
    };
  if (result.ok) {
    return ok(
      `Journal verified: ${result.count} entries, ${result.sessions.length} sessions, chain and signatures intact (head ${result.head?.slice(0, 16) ?? 'none'})\n${epochs.join('')}${torn ? `${torn}\n` : ''}`,
    );
  }
  return {
    stdout: '',
    stderr: `Journal verification failed at line ${result.index + 1}${result.seq !== null ? ` (seq ${result.seq})` : ''}: ${result.reason}\n${torn ? `${torn}\n` : ''}`,
    exitCode: EXIT.VERIFY_FAILED,
  };
}

function formatEntry(entry: JournalEntry): string {
  const p = (entry.payload ?? {}) as Record<string, unknown>;
  let summary = '';
  switch (entry.type) {
    case 'tool.decision': {
      const d = (p.decision ?? {}) as Record<string, unknown>;
      summary = `${String(p.toolName)} ${short(p.toolInput)} -> ${String(d.effect)}${d.rule ? ` (${String(d.rule)}: ${String(d.reason)})` : ''}`;
      break;
    }
    case 'tool.result':
      summary = `${String(p.toolName)} ${p.error ? `failed: ${String(p.error)}` : short(p.response)}`;
      break;
    case 'prompt':
      summary = short(p.text);
      break;
    case 'tool.definition':
      summary = `${String(p.name)} (${String(p.hash).slice(0, 12)})`;
      break;
    case 'api.response':
      summary = `${String(p.status)} ${short(p.content)}`;
      break;
    case 'session.end':
      summary = `exit ${String(p.exitCode)}`;
      break;
    default:
      summary = short(p);
  }
  return `${String(entry.seq).padStart(6)} ${entry.time} ${entry.session.slice(0, 8)} ${entry.type.padEnd(22)} ${summary}\n`;
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 100 ? `${flat.slice(0, 97)}...` : flat;
}

function flagValue(argv: string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at === -1 ? undefined : argv[at + 1];
}
