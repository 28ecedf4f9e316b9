/** Minimal argument parsing for the policy commands: `--flag`, `--name value`, `--name=value`, positionals. */
export interface ParsedCliArgs {
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
  errors: string[];
}

export function parseCliArgs(
  args: readonly string[],
  valued: readonly string[],
  flags: readonly string[],
): ParsedCliArgs {
  const out: ParsedCliArgs = { positional: [], flags: new Set(), values: new Map(), errors: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      out.positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    const [name = '', inline] = arg.split(/=(.*)/s);
    if (valued.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) out.errors.push(`Option ${name} needs a value`);
      else out.values.set(name, value);
    } else if (flags.includes(name) && inline === undefined) out.flags.add(name);
    else if (name === '-h') out.flags.add('--help');
    else out.errors.push(`Unknown option "${arg}"`);
  }
  return out;
}
