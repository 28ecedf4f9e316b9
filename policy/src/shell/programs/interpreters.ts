import type { Analyzer, Handler, Invocation } from '../analyze.ts';
import { getopt, staticValue } from '../getopt.ts';
import type { Field } from '../words.ts';
import {
  devTool,
  field,
  foreignStdin,
  isStatic,
  isStreamPath,
  oneLiner,
  paths,
  runCode,
  runInner,
  shellScript,
  shellStdin,
} from './helpers.ts';
import { createFamily } from './registry.ts';

/** Shells and interpreters: `bash -c`, `python -c`, `node -e`, `perl`, `ruby`, `php`, `deno`, `bun`... */
const { define, family } = createFamily('interpreters');
export const interpreters = family;

const SHELLS = [
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'ash',
  'posh',
  'yash',
  'rbash',
  'lksh',
  'oksh',
  'loksh',
];
define(SHELLS, (a, call) => {
  let commandMode = false;
  let stdinMode = false;
  let index = 0;
  const args = call.args;
  for (; index < args.length; index++) {
    const arg = args[index];
    const value = staticValue(arg);
    if (value === undefined) break;
    if (value === '--' || value === '-') {
      index++;
      break;
    }
    if (value === '--rcfile' || value === '--init-file') {
      const file = args[index + 1];
      if (file) a.path(file, 'read', false, `${call.name} ${value}`, call.env);
      index++;
      continue;
    }
    if (value.startsWith('--')) continue;
    if (!/^[-+][A-Za-z]+$/.test(value)) break;
    const letters = value.slice(1);
    if (letters.includes('c')) commandMode = true;
    if (letters.includes('s')) stdinMode = true;
    if (letters.includes('o') || letters.includes('O')) index++;
  }
  const rest = args.slice(index);
  if (commandMode) {
    const [code, ...positional] = rest;
    if (!code) return a.opaque(`${call.name} -c without code`, call.text);
    return runCode(a, call, code, positional, `${call.name} -c`);
  }
  const [script, ...scriptArgs] = rest;
  if (script && !stdinMode) return shellScript(a, call, script, scriptArgs);
  shellStdin(a, call, scriptArgs);
});
define([
  'fish',
  'csh',
  'tcsh',
  'nu',
  'elvish',
  'xonsh',
  'pwsh',
  'powershell',
  'cmd',
  'cmd.exe',
  'powershell.exe',
], (a, call) => {
  const code = call.args.find(
    (_arg, index) =>
      index > 0 &&
      /^-(?:c|command|Command|e|ec|EncodedCommand|encodedcommand)$/.test(
        staticValue(call.args[index - 1]) ?? '',
      ),
  );
  if (code) return oneLiner(a, call, code);
  const [script] = getopt(call.args, { short: 'f', long: ['File', 'file'] }).positional;
  if (script) a.path(script, 'read', false, `${call.name} script`, call.env);
  else foreignStdin(a, call);
});

interface InterpreterSpec {
  /** Letters that introduce inline code (`-c`, `-e`), attached or as the next word. */
  code: string;
  /** Letters that take a value, attached or as the next word. */
  value?: string;
  /** Letters whose value can only be attached (`perl -l`, `-0777`, `-Ilib`): never the next word. */
  attached?: string;
  codeLong?: string[];
  valueLong?: string[];
  /** `python -m module`: the rest are the module's arguments. */
  module?: string;
  /** `perl -i`, `ruby -i`: the files are edited in place. */
  inPlace?: string;
  /**
   * Sees every option value (`-r`, `--import`, `-M`, `-d`), for those that load code or read
   * files before the script: `node -r ./x.js`, `node --env-file=.env`, `php -d auto_prepend_file=`.
   */
  inspect?: (a: Analyzer, call: Invocation, option: string, value: Field) => void;
}

/** A module loaded before the script: a file path is read like a script, code in a URL is opaque. */
function preloadModule(a: Analyzer, call: Invocation, option: string, value: Field): void {
  if (!isStatic(value)) {
    a.opaque(`${call.name} ${option} loads a module that is not statically known`, value.text);
    return;
  }
  const text = value.value;
  if (/^(?:data|https?|blob):/i.test(text)) {
    a.opaque(`${call.name} ${option} loads code from a URL`, text);
    return;
  }
  const path = text.replace(/^file:(?:\/\/[^/]*)?/i, '');
  if (/^[./~]/.test(path) || (path.includes('/') && !path.startsWith('@')))
    a.path(field(path), 'read', false, `${call.name} ${option} module`, call.env);
}

/**
 * Interpreters. A value-taking option never takes a next word that looks like an option, so
 * `perl -l -e CODE` cannot hide its code behind a misread `-l`.
 */
function interpreter(spec: InterpreterSpec): Handler {
  return (a, call) => {
    const args = call.args;
    let code: Field | undefined;
    let inPlace = false;
    let index = 0;
    let moduleMode = false;
    const takesNext = (k: number) => {
      const next = staticValue(args[k]);
      return args[k] !== undefined && !(next?.startsWith('-') && next.length > 1);
    };
    outer: for (; index < args.length; index++) {
      const arg = args[index];
      const value = staticValue(arg);
      if (value === undefined || !value.startsWith('-') || value === '-') break;
      if (value === '--') {
        index++;
        break;
      }
      if (value.startsWith('--')) {
        const [name, inline] = value.slice(2).split(/=(.*)/s);
        if (spec.codeLong?.includes(name ?? '')) {
          code = inline !== undefined ? field(inline) : args[++index];
          continue;
        }
        if (spec.valueLong?.includes(name ?? '')) {
          const given =
            inline !== undefined ? field(inline) : takesNext(index + 1) ? args[++index] : undefined;
          if (given) spec.inspect?.(a, call, `--${name}`, given);
        } else if (inline !== undefined) spec.inspect?.(a, call, `--${name}`, field(inline));
        continue;
      }
      for (let k = 1; k < value.length; k++) {
        const letter = value[k] ?? '';
        const attached = value.slice(k + 1);
        if (spec.code.includes(letter)) {
          code = attached ? field(attached) : args[++index];
          continue outer;
        }
        if (spec.inPlace?.includes(letter)) {
          inPlace = true;
          continue outer;
        }
        if (spec.module?.includes(letter)) {
          moduleMode = true;
          index += attached ? 1 : 2;
          break outer;
        }
        if (spec.attached?.includes(letter)) {
          if (attached) spec.inspect?.(a, call, `-${letter}`, field(attached));
          continue outer;
        }
        if (spec.value?.includes(letter)) {
          const given = attached ? field(attached) : takesNext(index + 1) ? args[++index] : undefined;
          if (given) spec.inspect?.(a, call, `-${letter}`, given);
          continue outer;
        }
      }
    }
    const rest = args.slice(index);
    if (code) {
      oneLiner(a, call, code);
      paths(a, call, rest, inPlace ? 'any' : 'read', false, 'file');
      return;
    }
    if (moduleMode)
      return paths(
        a,
        call,
        rest.filter((arg) => !(isStatic(arg) && arg.value.startsWith('-'))),
        'any',
        false,
        'module argument',
      );
    const [script, ...scriptArgs] = rest;
    if (
      !script ||
      staticValue(script) === '-' ||
      (isStatic(script) && /^\/dev\/(?:stdin|fd\/0)$/.test(script.value))
    )
      return foreignStdin(a, call);
    if (isStreamPath(script))
      return a.opaque(`${call.name} runs code from a process substitution`, call.text);
    a.path(script, 'read', false, `${call.name} script`, call.env);
    if (inPlace) paths(a, call, scriptArgs, 'any', false, 'file');
  };
}

define(['python', 'python2', 'python3', 'pypy', 'pypy3', 'ipython'], interpreter({
  code: 'c',
  value: 'WXQ',
  module: 'm',
  valueLong: ['check-hash-based-pycs'],
}));
define(['node', 'nodejs'], interpreter({
  code: 'ep',
  value: 'rC',
  inspect: (a, call, option, value) => {
    if (['-r', '--require', '--import', '--loader', '--experimental-loader'].includes(option))
      preloadModule(a, call, option, value);
    else if (option === '--env-file' || option === '--env-file-if-exists')
      a.path(value, 'read', false, `${call.name} ${option}`, call.env);
  },
  codeLong: ['eval', 'print'],
  valueLong: [
    'require',
    'import',
    'loader',
    'experimental-loader',
    'input-type',
    'conditions',
    'env-file',
    'title',
    'max-old-space-size',
    'stack-size',
    'inspect-port',
    'test-reporter',
    'test-reporter-destination',
  ],
}));
define(['perl', 'perl5'], interpreter({
  code: 'eE',
  attached: 'IMmxdDFlC0',
  inPlace: 'i',
  // `-M'Foo;system(...)'` is `use Foo;system(...);`: code, not a module name.
  inspect: (a, call, option, value) => {
    if ((option === '-M' || option === '-m') && isStatic(value) && /[;\s(){}'"`]/.test(value.value))
      a.opaque(`${call.name} ${option} with code`, value.value);
  },
}));
define(['ruby', 'irb'], interpreter({
  code: 'e',
  value: 'IrCEF',
  attached: 'KTWx0',
  inPlace: 'i',
  inspect: (a, call, option, value) => {
    if (option === '-r') preloadModule(a, call, option, value);
  },
}));
define(['php', 'php-cgi'], interpreter({
  code: 'rBRFE',
  value: 'cdzt',
  // `-d auto_prepend_file=F` runs F before the script; `-d extension=` loads native code.
  inspect: (a, call, option, value) => {
    if (option === '-c') a.path(value, 'read', false, `${call.name} -c`, call.env);
    if (option !== '-d' || !isStatic(value)) return;
    const setting = /^\s*([A-Za-z_.]+)\s*=\s*(.*)$/.exec(value.value);
    if (!setting) return;
    if (/^auto_(?:prepend|append)_file$/.test(setting[1] ?? ''))
      a.path(field(setting[2] ?? ''), 'read', false, `${call.name} -d ${setting[1]}`, call.env);
    else if (/extension|preload|open_basedir|disable_functions/.test(setting[1] ?? ''))
      a.opaque(`${call.name} -d ${setting[1]} loads code or lifts restrictions`, value.value);
  },
  codeLong: ['run', 'process-begin', 'process-code', 'process-end'],
}));
define([
  'lua',
  'luajit',
  'Rscript',
  'julia',
  'osascript',
  'tclsh',
  'wish',
  'guile',
  'racket',
  'sbcl',
  'clojure',
  'elixir',
  'erl',
  'scala',
  'groovy',
  'kotlin',
  'dart',
  'swift',
  'jshell',
  'ghci',
  'runghc',
  'R',
  'octave',
  'gnuplot',
  'expect',
], interpreter({ code: 'eEc', value: 'lL', codeLong: ['eval', 'print', 'expr', 'command'] }));
define('deno', (a, call) => {
  const [sub, ...rest] = call.args;
  const subcommand = staticValue(sub);
  if (subcommand === 'eval') return oneLiner(a, call, getopt(rest, {}).positional[0]);
  if (subcommand === 'run' || subcommand === 'test' || subcommand === 'bench' || subcommand === 'compile') {
    const [script] = getopt(rest, {
      long: [
        'config',
        'import-map',
        'allow-read',
        'allow-write',
        'allow-net',
        'location',
        'cert',
        'env-file',
      ],
    }).positional;
    if (script && isStatic(script) && !/^[a-z]+:/.test(script.value))
      a.path(script, 'read', false, 'deno script', call.env);
    return;
  }
  devTool(a, call);
});
define('bun', (a, call) => {
  const args = call.args;
  const first = staticValue(args[0]);
  const code = args.findIndex((arg) => ['-e', '--eval', '-p', '--print'].includes(staticValue(arg) ?? ''));
  if (code >= 0) return oneLiner(a, call, args[code + 1]);
  if (first === 'exec') return runCode(a, call, args[1], [], 'bun exec');
  // `bun x PKG ARGS` is bunx.
  if (first === 'x') {
    const command = getopt(args.slice(1), {
      long: ['package', 'bun-version'],
      short: 'p',
      stopAtPositional: true,
    }).positional;
    if (command.length > 0) runInner(a, call, command);
    return;
  }
  for (let k = 0; k < args.length; k++) {
    const flag = staticValue(args[k]) ?? '';
    const [name, inline] = flag.split(/=(.*)/s);
    if (name === '-r' || name === '--preload' || name === '--require' || name === '--import') {
      const value = inline !== undefined ? field(inline) : args[k + 1];
      if (value) preloadModule(a, call, name, value);
    } else if (name === '--env-file') {
      const value = inline !== undefined ? field(inline) : args[k + 1];
      if (value) a.path(value, 'read', false, 'bun --env-file', call.env);
    }
  }
  if (first && /\.(?:[cm]?[jt]sx?|sh)$/.test(first))
    return a.path(args[0] as Field, 'read', false, 'bun script', call.env);
  if (first === 'run') {
    const target = getopt(args.slice(1), {}).positional[0];
    const value = staticValue(target);
    if (target && value && /[./]/.test(value)) a.path(target, 'read', false, 'bun script', call.env);
    return;
  }
  devTool(a, call);
});
