/**
 * What `ceros claude` does with its arguments: ceros's own flags are taken out, flags that would
 * switch hooks off are refused, the user's `--settings` are taken out to be merged into ceros's
 * (only the last `--settings` counts in Claude Code), and everything else passes through in order.
 */
export interface WrapperArgs {
  claudeArgs: string[];
  userSettings: string[];
  policyFile: string | null;
  /** `--allow-unsigned-policy`: a local unsigned policy document is allowed (and journaled as such). */
  allowUnsignedPolicy: boolean;
  /** `--no-policy-dev`: development only, no policy at all instead of the baseline starter (journaled). */
  noPolicyDev: boolean;
  help: boolean;
}

export type ParseArgsResult = { ok: true; value: WrapperArgs } | { ok: false; error: string };

/** Flags that turn Claude Code's hooks off (claude-code-surface.md 2.1): refused, never stripped silently. */
const REFUSED_FLAGS: Readonly<Record<string, string>> = {
  '--bare': '--bare switches off every hook, so ceros could neither record nor enforce anything',
  '--safe-mode':
    '--safe-mode skips the settings ceros injects, so ceros could neither record nor enforce anything',
};

/** Environment variables that turn hooks off; refused when set to anything but "0" or empty. */
export const REFUSED_ENV = ['CLAUDE_CODE_SIMPLE', 'CLAUDE_CODE_SAFE_MODE'] as const;

export function parseWrapperArgs(argv: readonly string[]): ParseArgsResult {
  const claudeArgs: string[] = [];
  const userSettings: string[] = [];
  let policyFile: string | null = null;
  let help = false;
  let allowUnsignedPolicy = false;
  let noPolicyDev = false;
  let passthrough = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (passthrough) {
      claudeArgs.push(arg);
      continue;
    }
    if (arg === '--') {
      passthrough = true;
      claudeArgs.push(arg);
      continue;
    }
    const [flag, inline] = splitFlag(arg);
    const refused = REFUSED_FLAGS[flag];
    if (refused) return { ok: false, error: `Refusing to run \`claude ${flag}\` through ceros: ${refused}` };
    if (flag === '--settings' || flag === '--policy') {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') return { ok: false, error: `${flag} needs a value` };
      if (flag === '--settings') userSettings.push(value);
      else policyFile = value;
      continue;
    }
    if (arg === '--allow-unsigned-policy') {
      allowUnsignedPolicy = true;
      continue;
    }
    if (arg === '--no-policy-dev') {
      noPolicyDev = true;
      continue;
    }
    if (arg === '--ceros-help') {
      help = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') help = true;
    claudeArgs.push(arg);
  }
  if (noPolicyDev && policyFile !== null)
    return { ok: false, error: '--no-policy-dev and --policy cannot be used together: choose one' };
  return {
    ok: true,
    value: { claudeArgs, userSettings, policyFile, allowUnsignedPolicy, noPolicyDev, help },
  };
}

function splitFlag(arg: string): [string, string | undefined] {
  if (!arg.startsWith('--')) return [arg, undefined];
  const eq = arg.indexOf('=');
  return eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}

export function refusedEnvironment(env: Readonly<Record<string, string | undefined>>): string | null {
  for (const name of REFUSED_ENV) {
    const value = env[name];
    if (value !== undefined && value !== '' && value !== '0') {
      return `Refusing to launch Claude Code with ${name}=${value}: it switches off the hooks ceros records and enforces through. Unset it and try again`;
    }
  }
  return null;
}
