import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isValidKeyName } from '@ceros/protocol';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';
import { cerosHome, ensurePrivateDir } from '../state/secure-fs.ts';
import { createFileWitnessStore } from '../witness/file-store.ts';
import { createWitnessKey, loadWitnessKey, WitnessKeyError } from '../witness/key-file.ts';
import { serveWitness } from '../witness/serve.ts';
import { createWitness, witnessLogsFromKeys } from '../witness/witness.ts';

export const WITNESS_HELP = `Usage: ceros witness keygen [--name NAME] [--state DIR] [--force]
       ceros witness serve --log-key KEY [--log-key KEY...] [--port P] [--host H] [--state DIR]

A witness cosigns the checkpoints of a ceros log (or any C2SP log) only after checking that each
one extends the last checkpoint it cosigned, so a log that rewrites or forks its history cannot
get the rewrite cosigned. It speaks the C2SP tlog-witness protocol: POST /add-checkpoint.

keygen   Creates the witness's Ed25519 key in DIR/witness.key (mode 0600) and prints its
         verifier key: give that to auditors (\`ceros verify --witness-key\`) and to the edge.
  --name NAME      The witness's name, e.g. witness.example.com/w1 (no spaces, no "+");
                   default: <hostname>/ceros-witness
  --force          Replace an existing key

serve    Runs the witness until interrupted. State (the last cosigned checkpoint of each log) is
         kept in DIR/logs/, one 0600 file per log, written before each answer.
  --log-key KEY    Verifier key of a log to follow; its name is the log's origin (repeatable)
  --port P         TCP port (default 7380; 0 picks one)
  --host H         Address to listen on (default 127.0.0.1)

  --state DIR      Where the key and state live (default: $CEROS_HOME/witness)
`;

export interface WitnessDeps {
  /** Stops \`serve\`; without it, serve runs until the process ends. */
  readonly signal?: AbortSignal;
  /** POSIX seconds (tests pin the clock). */
  readonly now?: () => number;
}

export async function runWitness(
  argv: string[],
  ctx: CommandContext,
  deps: WitnessDeps = {},
): Promise<CommandResult> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h'))
    return ok(WITNESS_HELP);
  let parsed: ReturnType<typeof parseWitnessArgs>;
  try {
    parsed = parseWitnessArgs(rest);
  } catch (error) {
    return fail(`ceros witness: ${(error as Error).message}\n\n${WITNESS_HELP}`, EXIT.USAGE);
  }
  const { values } = parsed;
  let state: string;
  try {
    state = values.state ?? join(cerosHome(ctx.env), 'witness');
  } catch (error) {
    return fail(`ceros witness: ${(error as Error).message}`, EXIT.USAGE);
  }
  try {
    switch (sub) {
      case 'keygen': {
        const name = values.name ?? `${hostname()}/ceros-witness`;
        if (!isValidKeyName(name))
          return fail(`ceros witness keygen: "${name}" is not a key name (no spaces, no "+")`, EXIT.USAGE);
        ensurePrivateDir(state);
        const signer = createWitnessKey(state, name, { force: values.force ?? false });
        return ok(`${signer.verifierKey}\n`, `Created witness key ${join(state, 'witness.key')}\n`);
      }
      case 'serve':
        return await serve(values, state, ctx, deps);
      default:
        return fail(`ceros witness: Unknown subcommand "${sub}"\n\n${WITNESS_HELP}`, EXIT.USAGE);
    }
  } catch (error) {
    if (error instanceof WitnessKeyError)
      return fail(
        `ceros witness: ${error.message}`,
        error.code === 'KEY_EXISTS' ? EXIT.REFUSED : EXIT.FAILURE,
      );
    throw error;
  }
}

function parseWitnessArgs(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      name: { type: 'string' },
      state: { type: 'string' },
      force: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      'log-key': { type: 'string', multiple: true },
    },
  });
}

async function serve(
  values: ReturnType<typeof parseWitnessArgs>['values'],
  state: string,
  ctx: CommandContext,
  deps: WitnessDeps,
): Promise<CommandResult> {
  const keys = values['log-key'] ?? [];
  if (keys.length === 0)
    return fail(`ceros witness serve: --log-key is required\n\n${WITNESS_HELP}`, EXIT.USAGE);
  const port = Number(values.port ?? '7380');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return fail(`ceros witness serve: --port "${values.port}" is not a port number`, EXIT.USAGE);
  let logs: ReturnType<typeof witnessLogsFromKeys>;
  try {
    logs = witnessLogsFromKeys(keys);
  } catch (error) {
    return fail(`ceros witness serve: ${(error as Error).message}`, EXIT.USAGE);
  }
  const signer = loadWitnessKey(state);
  const witness = createWitness({
    signer,
    logs,
    store: createFileWitnessStore(state),
    now: deps.now ?? (() => Math.floor(Date.now() / 1000)),
  });
  const running = serveWitness(witness, {
    port,
    hostname: values.host ?? '127.0.0.1',
    onReply: (r) =>
      ctx.progress(`${r.outcome === 'COSIGNED' ? 'cosigned' : `refused ${r.outcome}`}: ${r.reason}`),
  });
  ctx.progress(
    `witness ${witness.name} listening on ${running.url} for ${logs.map((l) => l.origin).join(', ')}`,
  );
  ctx.progress(`verifier key: ${witness.verifierKey}`);
  await new Promise<void>((resolve) => {
    if (deps.signal?.aborted) resolve();
    deps.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await running.stop();
  return ok('');
}
