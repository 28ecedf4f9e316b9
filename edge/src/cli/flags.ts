/** Flag parsing for ceros-edge: `--name value`, `--name=value`, boolean `--name`; every problem collected. */
export interface FlagSpec {
  /** Flags that take a value. */
  values: readonly string[];
  /** Flags that take none. */
  booleans: readonly string[];
}

export interface ParsedFlags {
  values: Map<string, string>;
  booleans: Set<string>;
  positionals: string[];
  errors: string[];
  help: boolean;
}

export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = {
    values: new Map(),
    booleans: new Set(),
    positionals: [],
    errors: [],
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (spec.booleans.includes(name)) {
      if (eq >= 0) out.errors.push(`--${name} takes no value`);
      out.booleans.add(name);
    } else if (spec.values.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--')))
        out.errors.push(`--${name} needs a value`);
      else out.values.set(name, value);
    } else out.errors.push(`unknown option --${name}`);
  }
  return out;
}
