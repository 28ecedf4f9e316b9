import { isValidKeyName } from '@ceros/protocol';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '../ledger/transparency-log.ts';
import { parseWitnessEndpoint, type WitnessEndpoint } from '../ledger/witnesses.ts';
import type { ParsedFlags } from './flags.ts';

/** The transparency log's settings, shared by `serve` and `export`. */
export interface LedgerConfig {
  /** First part of each organization log's origin (`<name>/<org slug>`), fixed when its key is made. */
  logName: string;
  witnesses: WitnessEndpoint[];
  checkpointIntervalMs: number;
}

export const LEDGER_FLAGS = ['log-name', 'witness', 'checkpoint-interval'] as const;

export const LEDGER_ENV: Record<(typeof LEDGER_FLAGS)[number], string> = {
  'log-name': 'CEROS_EDGE_LOG_NAME',
  witness: 'CEROS_EDGE_WITNESSES',
  'checkpoint-interval': 'CEROS_EDGE_CHECKPOINT_INTERVAL_MS',
};

export const LEDGER_HELP = `  --log-name NAME       names this edge's logs NAME/<org slug> (CEROS_EDGE_LOG_NAME; default: the
                        host of --public-url, else "ceros-edge"); fixed when an org's log key is made
  --witness "URL KEY"   a C2SP witness that cosigns checkpoints, with its verifier key; several
                        separated by ";" (CEROS_EDGE_WITNESSES)
  --checkpoint-interval MS  sign checkpoints of logs that grew this often (CEROS_EDGE_CHECKPOINT_INTERVAL_MS,
                        default ${DEFAULT_CHECKPOINT_INTERVAL_MS})
`;

export function parseLedgerConfig(
  flags: ParsedFlags,
  env: Readonly<Record<string, string | undefined>>,
  publicUrl: string | undefined,
): { ok: true; value: LedgerConfig } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const pick = (name: (typeof LEDGER_FLAGS)[number]) => flags.values.get(name) ?? env[LEDGER_ENV[name]];

  let fallback = 'ceros-edge';
  try {
    if (publicUrl) fallback = new URL(publicUrl).host;
  } catch {
    // an invalid --public-url is reported by its own check
  }
  const logName = pick('log-name') ?? fallback;
  if (!/^[A-Za-z0-9.:_-][A-Za-z0-9.:/_-]{0,127}$/.test(logName) || !isValidKeyName(`${logName}/x`))
    errors.push(`--log-name "${logName}" must be a host-like name (letters, digits, . : / _ -)`);

  const witnesses: WitnessEndpoint[] = [];
  for (const spec of (pick('witness') ?? '').split(/[;\n]/)) {
    if (spec.trim() === '') continue;
    const parsed = parseWitnessEndpoint(spec);
    if (parsed.ok) witnesses.push(parsed.value);
    else errors.push(`--witness: ${parsed.error}`);
  }
  if (new Set(witnesses.map((w) => w.key.name)).size !== witnesses.length)
    errors.push('--witness lists one witness twice');

  const intervalText = pick('checkpoint-interval');
  const checkpointIntervalMs =
    intervalText === undefined ? DEFAULT_CHECKPOINT_INTERVAL_MS : Number(intervalText);
  if (!Number.isSafeInteger(checkpointIntervalMs) || checkpointIntervalMs < 100)
    errors.push(
      `--checkpoint-interval "${intervalText}" must be a whole number of milliseconds, at least 100`,
    );

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { logName, witnesses, checkpointIntervalMs } };
}
