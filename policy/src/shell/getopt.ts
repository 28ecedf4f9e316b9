import type { Field } from './words.ts';

/**
 * Option parsing for the programs ceros knows, GNU style: `-abc` clusters, `-ofile` and
 * `-o file`, `--long=value` and `--long value`, `--` ending options. Only options listed as
 * taking a value consume the next argument; an unknown option is a flag, so its would-be value
 * becomes a positional argument and is checked as a path (the safe direction).
 */
export interface OptionSpec {
  /** Short options that take a value, as one string: `'oCf'`. */
  short?: string;
  /** Long options that take a value, without dashes. */
  long?: readonly string[];
  /** Stop at the first positional argument (wrappers: `sudo -u x cmd -rf` -> `-rf` is cmd's). */
  stopAtPositional?: boolean;
  /** Options are single-dash words (`find -name`, `openssl -in`); listed long names take values. */
  singleDashLong?: boolean;
}

export interface ParsedOption {
  /** `-o` or `--output` as written (short options split out of clusters). */
  name: string;
  value?: Field;
}

export interface ParsedArgs {
  options: ParsedOption[];
  positional: Field[];
}

export function getopt(args: readonly Field[], spec: OptionSpec): ParsedArgs {
  const short = spec.short ?? '';
  const long = spec.long ?? [];
  const options: ParsedOption[] = [];
  const positional: Field[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (!arg) continue;
    if (arg.kind === 'dynamic' || !arg.value.startsWith('-') || arg.value === '-') {
      positional.push(arg);
      if (spec.stopAtPositional) {
        i++;
        break;
      }
      continue;
    }
    const value = arg.value;
    if (value === '--') {
      i++;
      break;
    }
    if (value.startsWith('--') || (spec.singleDashLong && value.length > 2)) {
      const body = value.replace(/^--?/, '');
      const eq = body.indexOf('=');
      if (eq >= 0) {
        options.push({
          name: `--${body.slice(0, eq)}`,
          value: { kind: 'static', value: body.slice(eq + 1) },
        });
      } else if (long.includes(body)) {
        const next = args[i + 1];
        options.push(next ? { name: `--${body}`, value: next } : { name: `--${body}` });
        i++;
      } else options.push({ name: `--${body}` });
      continue;
    }
    for (let k = 1; k < value.length; k++) {
      const letter = value[k] ?? '';
      if (short.includes(letter)) {
        const rest = value.slice(k + 1);
        if (rest) options.push({ name: `-${letter}`, value: { kind: 'static', value: rest } });
        else {
          const next = args[i + 1];
          options.push(next ? { name: `-${letter}`, value: next } : { name: `-${letter}` });
          i++;
        }
        break;
      }
      options.push({ name: `-${letter}` });
    }
  }
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg) positional.push(arg);
  }
  return { options, positional };
}

export function hasOption(parsed: ParsedArgs, ...names: string[]): boolean {
  return parsed.options.some((option) => names.includes(option.name));
}

export function optionValues(parsed: ParsedArgs, ...names: string[]): Field[] {
  const out: Field[] = [];
  for (const option of parsed.options)
    if (option.value && names.includes(option.name)) out.push(option.value);
  return out;
}

export function staticValue(field: Field | undefined): string | undefined {
  return field?.kind === 'static' ? field.value : undefined;
}
