import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  batchTransferList,
  type Ed25519BatchVerifier,
  type ExportVerified,
  SIGNATURE_WORKER_SOURCE,
  type SignatureCoverage,
  type VerifyExportResult,
  verifyExport,
} from '@ceros/protocol';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';

export const VERIFY_HELP = `Usage: ceros verify FILE --log-key KEY [--witness-key KEY...] [--json]

Checks an audit export offline: the log's signed checkpoints at both ends of the period, the
witness cosignatures, that the entries are exactly the log's leaves between the two checkpoints
(they must hash to the end checkpoint's root from the start checkpoint's), and that every entry
is chained to the one before it on its device, signed by its session's key, and that every
session key was certified by a registered device key. Exits 0 only if all of that holds; else
names the first bad entry and why, and exits 3.

  --log-key KEY         The log's verifier key (name+hash+key); or set CEROS_LOG_KEY
  --witness-key KEY     A witness's verifier key; at least one of them must have cosigned
                        the end checkpoint (repeatable)
  --require-witnesses N How many of the witness keys must have cosigned (default 1 with
                        --witness-key, 0 without)
  --checkpoint FILE     A signed checkpoint of this log you already hold (from a device, a
                        witness or an earlier export); a different root at its size is a fork
                        (repeatable)
  --fast                Check the signature of the last entry of each session only: each one
                        covers the chain before it (see docs/spec/export.md)
  --threads N           Signature-checking threads (default: the number of CPUs)
  --json                Print the full report as JSON
`;

/** Exports smaller than this verify in-process: threads cost more than they save. */
const MIN_ENTRIES_FOR_THREADS = 2000;

export interface VerifyDeps {
  readonly readFile?: (path: string) => Promise<string>;
  /** Milliseconds, for the timing line. */
  readonly now?: () => number;
}

export async function runVerify(
  argv: string[],
  ctx: CommandContext,
  deps: VerifyDeps = {},
): Promise<CommandResult> {
  if (argv.includes('--help') || argv.includes('-h')) return ok(VERIFY_HELP);
  let args: ReturnType<typeof parseVerifyArgs>;
  try {
    args = parseVerifyArgs(argv);
  } catch (error) {
    return fail(`ceros verify: ${(error as Error).message}\n\n${VERIFY_HELP}`, EXIT.USAGE);
  }
  const { values, positionals } = args;
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0)
    return fail(`ceros verify: Give exactly one export file\n\n${VERIFY_HELP}`, EXIT.USAGE);
  const logKey = values['log-key'] ?? ctx.env.CEROS_LOG_KEY;
  if (!logKey)
    return fail(`ceros verify: --log-key is required (or CEROS_LOG_KEY)\n\n${VERIFY_HELP}`, EXIT.USAGE);
  const witnessKeys = values['witness-key'] ?? [];
  const required =
    values['require-witnesses'] === undefined
      ? witnessKeys.length > 0
        ? 1
        : 0
      : Number(values['require-witnesses']);
  if (!Number.isInteger(required) || required < 0)
    return fail(
      `ceros verify: --require-witnesses "${values['require-witnesses']}" is not a count`,
      EXIT.USAGE,
    );
  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 0)
    return fail(`ceros verify: --threads "${values.threads}" is not a count`, EXIT.USAGE);

  const read = deps.readFile ?? ((path: string) => readFile(path, 'utf8'));
  const now = deps.now ?? (() => performance.now());
  const contents: string[] = [];
  for (const path of [file, ...(values.checkpoint ?? [])]) {
    try {
      contents.push(await read(path));
    } catch (error) {
      return fail(`ceros verify: Cannot read "${path}": ${(error as Error).message}`, EXIT.FAILURE);
    }
  }
  const [text = '', ...knownCheckpoints] = contents;
  const started = now();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return report(
      { ok: false, code: 'MALFORMED_EXPORT', reason: `The file is not JSON: ${(error as Error).message}` },
      file,
      values.json ?? false,
      0,
    );
  }
  const entries = Array.isArray((doc as { entries?: unknown } | null)?.entries)
    ? (doc as { entries: unknown[] }).entries.length
    : 0;
  const coverage: SignatureCoverage = values.fast ? 'session-tails' : 'every-entry';
  const pool =
    threads > 0 && coverage === 'every-entry' && entries >= MIN_ENTRIES_FOR_THREADS
      ? createSignaturePool(threads)
      : undefined;
  if (coverage === 'every-entry' && entries >= 200_000)
    ctx.progress(
      `ceros verify: checking ${entries} signatures on ${pool ? threads : 1} thread(s); --fast checks the chain and one signature per session`,
    );
  let lastProgress = now();
  try {
    const result = await verifyExport(doc, {
      logKey,
      witnessKeys,
      requireWitness: required,
      knownCheckpoints,
      signatures: coverage,
      ...(pool ? { verifySignatures: pool.verify } : {}),
      onProgress: (done, total) => {
        if (now() - lastProgress < 1000) return;
        lastProgress = now();
        ctx.progress(`ceros verify: ${done} of ${total} entries checked`);
      },
    });
    return report(result, file, values.json ?? false, now() - started, pool ? threads : 0);
  } catch (error) {
    return fail(`ceros verify: Cannot verify "${file}": ${(error as Error).message}`, EXIT.FAILURE);
  } finally {
    await pool?.close();
  }
}

function parseVerifyArgs(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      'log-key': { type: 'string' },
      'witness-key': { type: 'string', multiple: true },
      'require-witnesses': { type: 'string' },
      checkpoint: { type: 'string', multiple: true },
      fast: { type: 'boolean' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
}

function report(
  result: VerifyExportResult,
  file: string,
  json: boolean,
  ms: number,
  threads = 0,
): CommandResult {
  const exitCode = result.ok ? EXIT.OK : EXIT.VERIFY_FAILED;
  if (json) return { stdout: `${JSON.stringify(result, null, 2)}\n`, stderr: '', exitCode };
  if (!result.ok) {
    const lines = [`ceros verify: FAILED ${result.code} in ${file}`];
    const e = result.entry;
    if (e)
      lines.push(
        `  entry ${e.index} (leaf ${e.treeIndex}): device ${quote(e.device)} seq ${e.seq ?? '?'} session ${quote(e.session)} type ${quote(e.type)}`,
      );
    if (result.certificate !== undefined) lines.push(`  certificate ${result.certificate}`);
    lines.push(`  ${result.reason}`);
    return { stdout: '', stderr: `${lines.join('\n')}\n`, exitCode };
  }
  return { stdout: summary(result, file, ms, threads), stderr: '', exitCode };
}

function quote(v: string | null): string {
  return v === null ? '?' : `"${v}"`;
}

function summary(r: ExportVerified, file: string, ms: number, threads: number): string {
  const witnessed = r.checkpoints.end.cosignatures.map(
    (c) => `${c.name} at ${new Date(c.timestamp * 1000).toISOString()}`,
  );
  const lines = [
    `ceros verify: OK ${file}`,
    `  log          ${r.origin}`,
    `  period       ${r.period.from} .. ${r.period.to}`,
    `  leaves       ${r.period.fromIndex} .. ${r.period.toIndex} (${r.counts.entries} entries)`,
    `  end root     ${r.checkpoints.end.rootHash} (size ${r.checkpoints.end.size})`,
    `  witnessed    ${witnessed.length > 0 ? witnessed.join('; ') : 'no witness cosignature checked'}`,
    `  devices      ${r.counts.devices}: ${r.devices
      .filter((d) => d.entries > 0)
      .map((d) => `${d.id} (${d.protection}, ${d.entries} entries, seq ${d.firstSeq}..${d.lastSeq})`)
      .join(', ')}`,
    `  users        ${r.counts.users}: ${r.users.join(', ')}`,
    `  sessions     ${r.counts.sessions}`,
    `  types        ${Object.entries(r.counts.types)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
    `  signatures   ${r.counts.signaturesChecked} checked (${r.signatures === 'every-entry' ? 'every entry' : 'last entry of each session, the chain covers the rest'}${threads > 0 ? `, ${threads} threads` : ''}) in ${(ms / 1000).toFixed(1)} s`,
  ];
  if (r.uncheckedCheckpoints.length > 0)
    lines.push(
      `  note         known checkpoints outside the period were not checked: sizes ${r.uncheckedCheckpoints.join(', ')}`,
    );
  for (const w of r.warnings) lines.push(`  warning      ${w}`);
  return `${lines.join('\n')}\n`;
}

function createSignaturePool(threads: number): { verify: Ed25519BatchVerifier; close: () => Promise<void> } {
  const workers = Array.from({ length: threads }, () => new Worker(SIGNATURE_WORKER_SOURCE, { eval: true }));
  const load = workers.map(() => 0);
  const alive = workers.map(() => true);
  let closing = false;
  const pending = new Map<
    number,
    { worker: number; resolve: (r: Uint8Array) => void; reject: (e: Error) => void }
  >();
  let next = 0;
  // A worker that dies fails the batches it holds, and gets no more: never a silent hang.
  const lose = (k: number, error: Error) => {
    alive[k] = false;
    for (const [id, p] of pending)
      if (p.worker === k) {
        pending.delete(id);
        p.reject(error);
      }
  };
  workers.forEach((worker, k) => {
    worker.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      load[k] = (load[k] ?? 1) - 1;
      p.resolve(out);
    });
    worker.on('error', (error) =>
      lose(k, new Error(`A signature worker failed: ${(error as Error).message}`)),
    );
    worker.on('exit', (code) => {
      if (!closing) lose(k, new Error(`A signature worker exited with code ${code}`));
    });
  });
  return {
    verify: (batch) =>
      new Promise((resolve, reject) => {
        let k = -1;
        for (let i = 0; i < workers.length; i++)
          if (alive[i] && (k < 0 || (load[i] ?? 0) < (load[k] ?? 0))) k = i;
        const worker = workers[k];
        if (!worker) {
          reject(new Error('No signature worker is running'));
          return;
        }
        load[k] = (load[k] ?? 0) + 1;
        const id = next++;
        pending.set(id, { worker: k, resolve, reject });
        const transfer = batchTransferList(batch);
        worker.postMessage({ id, batch }, transfer);
      }),
    close: async () => {
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
