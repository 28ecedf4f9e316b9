import { escapeGlob } from '../../glob/path-glob.ts';
import type { Analyzer, Env, Stdin } from '../analyze.ts';
import { staticValue } from '../getopt.ts';
import { decodeAnsiC, type Field } from '../words.ts';
import { field, isStatic, joinAsShell } from './helpers.ts';

/** What a command prints, for the next pipeline stage (xargs, a shell reading stdin) and `$(...)`. */

export function producerOutput(a: Analyzer, argv: readonly Field[], stdin: Stdin, env: Env): Stdin {
  const [head, ...args] = argv;
  const name = staticValue(head)?.split('/').pop();
  const unknown: Stdin = {
    kind: 'unknown',
    text: argv.map((f) => (f.kind === 'static' ? f.value : f.text)).join(' '),
  };
  if (!name) return unknown;
  switch (name) {
    case 'echo': {
      let newline = true;
      let escapes = false;
      let index = 0;
      for (; index < args.length; index++) {
        const flag = staticValue(args[index]);
        if (!flag || !/^-[neE]+$/.test(flag)) break;
        if (flag.includes('n')) newline = false;
        if (flag.includes('e')) escapes = true;
        if (flag.includes('E')) escapes = false;
      }
      const text = joinAsShell(args.slice(index));
      if (text === undefined) return unknown;
      return { kind: 'text', text: (escapes ? decodeAnsiC(text) : text) + (newline ? '\n' : '') };
    }
    case 'printf': {
      const [format, ...values] = args;
      const formatText = staticValue(format);
      const valueTexts = values.map(staticValue);
      if (formatText === undefined || formatText === '-v' || valueTexts.some((v) => v === undefined))
        return unknown;
      const text = printf(formatText, valueTexts as string[]);
      return text === undefined ? unknown : { kind: 'text', text };
    }
    case 'pwd':
      return env.cwd?.length === 1 ? { kind: 'text', text: `${env.cwd[0]}\n` } : unknown;
    case 'cat':
    case 'tee':
    case 'sort':
    case 'uniq':
    case 'head':
    case 'tail':
      if (args.some((arg) => !(isStatic(arg) && arg.value.startsWith('-')))) return unknown;
      return stdin.kind === 'text' || stdin.kind === 'fields' ? stdin : unknown;
    case 'base64': {
      if (
        stdin.kind !== 'text' ||
        !args.some((arg) => ['-d', '--decode', '-D'].includes(staticValue(arg) ?? ''))
      )
        return unknown;
      return { kind: 'text', text: Buffer.from(stdin.text.replace(/\s+/g, ''), 'base64').toString('latin1') };
    }
    case 'rev':
      if (stdin.kind !== 'text' || args.length > 0) return unknown;
      return {
        kind: 'text',
        text: stdin.text
          .split('\n')
          .map((line) => [...line].reverse().join(''))
          .join('\n'),
      };
    case 'basename':
    case 'dirname': {
      const value = staticValue(args[0]);
      if (value === undefined || args.length !== 1) return unknown;
      const trimmed = value.replace(/\/+$/, '') || '/';
      const slash = trimmed.lastIndexOf('/');
      if (name === 'basename')
        return { kind: 'text', text: `${slash >= 0 ? trimmed.slice(slash + 1) || '/' : trimmed}\n` };
      return { kind: 'text', text: `${slash > 0 ? trimmed.slice(0, slash) : slash === 0 ? '/' : '.'}\n` };
    }
    case 'find':
    case 'gfind':
    case 'fd':
    case 'fdfind':
    case 'ls':
    case 'git':
    case 'rg': {
      const positional = args.filter((arg) => !(isStatic(arg) && arg.value.startsWith('-')));
      if (
        name === 'git' &&
        staticValue(positional[0]) !== 'ls-files' &&
        staticValue(positional[0]) !== 'diff'
      )
        return unknown;
      if (name === 'rg' && !args.some((arg) => staticValue(arg) === '--files' || staticValue(arg) === '-l'))
        return unknown;
      const starts = name === 'find' || name === 'gfind' ? positional.slice(0, 1) : [];
      // `find DIR -name X` prints files named X: kept, so what reads them is checked against X.
      const names = args.flatMap((arg, k) => (/^-i?name$/.test(staticValue(arg) ?? '') ? [args[k + 1]] : []));
      const findName =
        starts.length > 0 &&
        names.length === 1 &&
        !args.some((arg) => ['-o', '-or', '!', '-not'].includes(staticValue(arg) ?? ''))
          ? staticValue(names[0])?.replace(/[\\/]/g, '\\$&')
          : undefined;
      const start = starts[0] ?? field('.');
      const fields: Field[] = [];
      for (const base of env.cwd ?? []) {
        const dir =
          isStatic(start) && start.glob === undefined
            ? start.value.startsWith('/')
              ? start.value
              : `${base}/${start.value}`
            : undefined;
        if (dir === undefined) return unknown;
        const glob = `${escapeGlob(dir)}/${name === 'ls' ? '*' : '**'}${findName ? `/${findName}` : ''}`;
        fields.push({
          kind: 'static',
          value: glob,
          glob,
          globDot: name !== 'ls' || args.some((arg) => /^-[a-zA-Z]*[aA]/.test(staticValue(arg) ?? '')),
          ...(name === 'git' ? { fromGit: true } : {}),
        });
      }
      return fields.length > 0 ? { kind: 'fields', fields } : unknown;
    }
    default:
      void a;
      return unknown;
  }
}

/** bash printf for %s %b %c %d %i %u %x %o %%, reusing the format for extra arguments. */
function printf(format: string, values: string[]): string | undefined {
  let out = '';
  let index = 0;
  let guard = 0;
  do {
    let consumed = false;
    const rendered = decodeAnsiC(format.replace(/%%/g, '\u0001')).replace(
      /%[-+ #0]*\d*(?:\.\d+)?([sbcdiuxXo])/g,
      (_m, conversion: string) => {
        consumed = true;
        const value = values[index++] ?? '';
        switch (conversion) {
          case 's':
            return value;
          case 'b':
            return decodeAnsiC(value);
          case 'c':
            return value.slice(0, 1);
          case 'x':
            return (Number.parseInt(value, 10) || 0).toString(16);
          case 'X':
            return (Number.parseInt(value, 10) || 0).toString(16).toUpperCase();
          case 'o':
            return (Number.parseInt(value, 10) || 0).toString(8);
          default:
            return String(Number.parseInt(value, 10) || 0);
        }
      },
    );
    out += rendered.replaceAll(String.fromCharCode(1), '%');
    if (!consumed) break;
  } while (index < values.length && ++guard < 64);
  return out;
}
