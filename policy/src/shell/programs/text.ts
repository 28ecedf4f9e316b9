import type { Analyzer, Invocation } from '../analyze.ts';
import { getopt, optionValues, staticValue } from '../getopt.ts';
import { field, files, foreignStdin, isStatic, paths } from './helpers.ts';
import { createFamily } from './registry.ts';

/** Text processing and editors: `jq`, `yq`, `sed`, `awk`, `patch`, `vi`, `emacs`, `ed`. */
const { define, family } = createFamily('text');
export const text = family;

define('jq', (a, call) => {
  let filterSeen = false;
  let restAreValues = false;
  const args = call.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg) continue;
    const value = staticValue(arg);
    if (restAreValues) continue;
    if (value === '--args' || value === '--jsonargs') {
      restAreValues = true;
      continue;
    }
    if (value === '--arg' || value === '--argjson') {
      i += 2;
      continue;
    }
    if (value === '--slurpfile' || value === '--rawfile') {
      const file = args[i + 2];
      if (file) a.path(file, 'read', false, `jq ${value}`, call.env);
      i += 2;
      continue;
    }
    if (value === '-f' || value === '--from-file') {
      const file = args[i + 1];
      if (file) a.path(file, 'read', false, 'jq -f', call.env);
      filterSeen = true;
      i++;
      continue;
    }
    if (value === '-L' || value === '--indent' || value === '--tab') {
      if (value !== '--tab') i++;
      continue;
    }
    if (value?.startsWith('-') && value !== '-') continue;
    if (!filterSeen) {
      filterSeen = true;
      continue;
    }
    a.path(arg, 'read', false, 'jq input', call.env);
  }
});
define(['yq'], files({
  pos: 'read',
  skip: 1,
  short: 'ioIps',
  long: ['input-format', 'output-format', 'indent', 'split-exp', 'expression'],
  recursiveWith: [],
}));

define([
  'vi',
  'vim',
  'nvim',
  'nano',
  'pico',
  'micro',
  'joe',
  'mcedit',
  'code',
  'subl',
  'gedit',
  'kate',
  'hx',
  'helix',
], (a, call) => {
  const parsed = getopt(call.args, { short: 'cSiTuUwWst', long: ['cmd'] });
  const commands = [
    ...optionValues(parsed, '-c', '--cmd'),
    ...call.args.filter((arg) => isStatic(arg) && arg.value.startsWith('+') && arg.value.length > 1),
  ];
  for (const command of commands)
    a.opaque(`${call.name} runs editor commands`, staticValue(command) ?? call.text);
  for (const script of optionValues(parsed, '-S', '-s', '-u', '-w', '-W'))
    a.path(script, 'any', false, `${call.name} script`, call.env);
  paths(
    a,
    call,
    parsed.positional.filter((arg) => !(isStatic(arg) && arg.value.startsWith('+'))),
    'any',
    false,
    'file',
  );
  if (call.stdin.kind === 'text' || call.stdin.kind === 'unknown')
    a.opaque(
      `${call.name} reads editor commands from standard input`,
      call.stdin.kind === 'text' ? call.stdin.text : call.stdin.text,
    );
});
define(['ed', 'ex', 'red'], (a, call) => {
  paths(a, call, getopt(call.args, { short: 'p' }).positional, 'any', false, 'file');
  foreignStdin(a, call);
});
define(['emacs', 'emacsclient', 'xemacs'], (a, call) => {
  const parsed = getopt(call.args, {
    singleDashLong: true,
    long: [
      'eval',
      'load',
      'funcall',
      'f',
      'l',
      'script',
      'x',
      'insert',
      'file',
      'visit',
      'find-file',
      'directory',
      'chdir',
    ],
  });
  for (const option of parsed.options) {
    if (['--eval', '--funcall', '--f', '--x', '--script'].includes(option.name))
      a.opaque(`${call.name} ${option.name} runs Lisp code`, staticValue(option.value) ?? call.text);
    if (
      option.value &&
      ['--load', '--l', '--insert', '--file', '--visit', '--find-file'].includes(option.name)
    )
      a.path(option.value, 'any', false, `${call.name} ${option.name}`, call.env);
  }
  paths(a, call, parsed.positional, 'any', false, 'file');
});

define('patch', (a, call) => {
  const parsed = getopt(call.args, {
    short: 'iodpBrDFgVxYz',
    long: [
      'input',
      'output',
      'directory',
      'strip',
      'prefix',
      'reject-file',
      'ifdef',
      'fuzz',
      'get',
      'version-control',
      'debug',
      'basename-prefix',
      'suffix',
      'quoting-style',
    ],
  });
  paths(a, call, optionValues(parsed, '-i', '--input'), 'read', false, 'patch file');
  paths(a, call, optionValues(parsed, '-o', '--output', '-r', '--reject-file'), 'write', false, 'output');
  const [original, patchFile] = parsed.positional;
  if (original) a.path(original, 'write', false, 'patch target', call.env);
  if (patchFile) a.path(patchFile, 'read', false, 'patch file', call.env);
  if (!original)
    patchTargets(a, call, optionValues(parsed, '-i', '--input').length > 0 || patchFile !== undefined);
});

/**
 * The files a patch writes are named inside it: read from a static here-document they are
 * checked like any write; from a file or a pipe they cannot be seen, which is opaque.
 */
export function patchTargets(a: Analyzer, call: Invocation, fromFile: boolean): void {
  const stdin = call.stdin;
  if (!fromFile && stdin.kind === 'text') {
    for (const match of stdin.text.matchAll(/^(?:\+\+\+|---|rename to|copy to) (?:[ab]\/)?([^\t\n]+)/gm)) {
      const target = (match[1] ?? '').trim();
      if (target && target !== '/dev/null')
        a.path(field(target), 'write', false, `${call.name} patch target`, call.env);
    }
    return;
  }
  a.opaque(
    `${call.name} writes the files named inside a patch ceros cannot see`,
    stdin.kind === 'unknown' ? stdin.text : call.text,
  );
}
define('sed', (a, call) => sedHandler(a, call));
define(['awk', 'gawk', 'mawk', 'nawk', 'busybox-awk'], (a, call) => awkHandler(a, call));

function sedHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'eflsS',
    long: ['expression', 'file', 'line-length'],
  });
  const inPlace = parsed.options.some(
    (option) => option.name === '-i' || option.name.startsWith('--in-place'),
  );
  const scripts = optionValues(parsed, '-e', '--expression');
  const scriptFiles = optionValues(parsed, '-f', '--file');
  paths(a, call, scriptFiles, 'read', false, 'script file');
  let positional = parsed.positional;
  if (scripts.length === 0 && scriptFiles.length === 0) {
    const [script, ...rest] = positional;
    if (script) scripts.push(script);
    positional = rest;
  }
  if (scriptFiles.length > 0) a.opaque('sed script from a file may write files or run commands', call.text);
  for (const script of scripts) {
    const text = staticValue(script);
    if (text === undefined) {
      a.opaque('sed script is not statically known', call.text);
      continue;
    }
    sedScriptEffects(a, call, text);
  }
  paths(a, call, positional, inPlace ? 'any' : 'read', false, 'file');
}

/** GNU sed commands with side effects: `e` (run), `w`/`W` (write a file), `r`/`R` (read a file). */
function sedScriptEffects(a: Analyzer, call: Invocation, script: string): void {
  const address = String.raw`(?:\d+|\$|/(?:[^/\\]|\\.)*/[IM]*)?(?:\s*,\s*(?:\d+|\$|/(?:[^/\\]|\\.)*/[IM]*|[+~]\d+))?!?`;
  const command = new RegExp(String.raw`(?:^|[;\n{}])\s*${address}\s*([rRwWe])(?:\s+([^;\n}]*))?`, 'g');
  for (const match of script.matchAll(command)) {
    const letter = match[1];
    const target = (match[2] ?? '').trim();
    if (letter === 'e') a.opaque('sed e command runs a shell command', script);
    else if (target)
      a.path(
        field(target),
        letter === 'r' || letter === 'R' ? 'read' : 'write',
        false,
        `sed ${letter} command`,
        call.env,
      );
  }
  // s/a/b/flags: the `e` flag runs the pattern space, `w file` writes.
  const substitution = /s(.)(?:(?!\1)[^\\]|\\.)*\1(?:(?!\1)[^\\]|\\.)*\1([gpiImMe0-9]*)(?:w\s+([^;\n}]*))?/g;
  for (const match of script.matchAll(substitution)) {
    if (match[2]?.includes('e')) a.opaque('sed s///e runs a shell command', script);
    if (match[3]) a.path(field(match[3].trim()), 'write', false, 'sed s///w', call.env);
  }
}

function awkHandler(a: Analyzer, call: Invocation): void {
  const parsed = getopt(call.args, {
    short: 'fvFeiElLW',
    long: ['file', 'assign', 'field-separator', 'source', 'include', 'exec', 'load', 'lint'],
  });
  const programFiles = optionValues(parsed, '-f', '--file', '-i', '--include', '-E', '--exec');
  paths(a, call, programFiles, 'read', false, 'program file');
  const programs = optionValues(parsed, '-e', '--source');
  let positional = parsed.positional;
  if (programFiles.length === 0 && programs.length === 0) {
    const [program, ...rest] = positional;
    if (program) programs.push(program);
    positional = rest;
  }
  if (programFiles.length > 0) a.opaque('awk program from a file may run commands or write files', call.text);
  for (const program of programs) {
    const text = staticValue(program);
    if (text === undefined) a.opaque('awk program is not statically known', call.text);
    else if (
      /\bsystem\s*\(|\|\s*getline|\bgetline\b[^;{}\n]*</.test(text) ||
      /\b(?:print|printf)\b[^;{}\n]*(?:>|\|)/.test(text) ||
      /\b(?:close|fflush)\s*\(/.test(text)
    ) {
      a.opaque('awk program runs commands or writes files', text);
    }
  }
  const files = positional.filter((arg) => !(isStatic(arg) && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg.value)));
  paths(a, call, files, 'read', false, 'input');
}
