import type { Analyzer, Env, Handler, Invocation, Stdin } from '../analyze.ts';
import type { PathMarks, PathOp } from '../facts.ts';
import { getopt, hasOption, type OptionSpec, type ParsedArgs, staticValue } from '../getopt.ts';
import { pathLiterals } from '../path-literals.ts';
import type { Field } from '../words.ts';

/**
 * Building blocks the program families share: path facts for argument lists, running code
 * strings and inner commands, standard input fed to shells, and the generic handlers.
 */

export function paths(
  a: Analyzer,
  call: Invocation,
  fields: readonly Field[],
  op: PathOp,
  recursive: boolean,
  what: string,
  marks: PathMarks = {},
): void {
  for (const field of fields) a.path(field, op, recursive, `${call.name} ${what}`, call.env, false, marks);
}

/**
 * A flag's value that the program runs as a command line (`go test -exec`, `git grep -O`,
 * `nodemon --exec`): analysed as shell code in a child shell; opaque when not statically known.
 */
export function runValue(a: Analyzer, call: Invocation, value: Field | undefined, label: string): void {
  if (!value) return;
  if (!isStatic(value)) {
    a.opaque(`${label} runs a command that is not statically known`, value.text);
    return;
  }
  a.runScript(value.value, a.childShellEnv(call.env, []), call.depth + 1);
}

/**
 * File names a program reads from a list (`tar -T`, `cpio -o`, `--files0-from`, `zip -@`):
 * from standard input when `list` is `-` or `/dev/stdin` (or absent), else from a file. Names
 * that are statically known are checked; a list ceros cannot see is opaque.
 */
export function namesFrom(
  a: Analyzer,
  call: Invocation,
  list: Field | undefined,
  op: PathOp,
  what: string,
  recursive = false,
  marks: PathMarks = {},
): void {
  const fromStdin =
    list === undefined || (isStatic(list) && /^(?:-|\/dev\/stdin|\/dev\/fd\/0)$/.test(list.value));
  if (!fromStdin) {
    a.path(list, 'read', false, `${call.name} ${what} list`, call.env);
    a.opaque(
      `${call.name} reads the names of the files it ${op === 'read' ? 'reads' : 'touches'} from a file`,
      call.text,
    );
    return;
  }
  const stdin = call.stdin;
  if (stdin.kind === 'text') {
    // Names end at a newline, or at a NUL (`--files0-from`, `find -print0`).
    for (const name of stdin.text.split('\n').flatMap((line) => line.split(String.fromCharCode(0)))) {
      const trimmed = name.trim();
      if (trimmed)
        a.path(
          field(trimmed),
          op,
          marks.followsLinks === true,
          `${call.name} ${what} (from standard input)`,
          call.env,
          false,
          marks,
        );
    }
  } else if (stdin.kind === 'fields')
    paths(a, call, stdin.fields, op, recursive, `${what} (from standard input)`, marks);
  else if (stdin.kind === 'file') {
    a.path(stdin.field, 'read', false, `${call.name} ${what} list`, call.env);
    a.opaque(`${call.name} reads the names of the files it touches from a file`, call.text);
  } else if (stdin.kind === 'unknown')
    a.opaque(`${call.name} reads the names of the files it touches from a pipe`, stdin.text);
}

/**
 * Tools whose subcommand runs a command line given as the remaining words (`uv run`, `poetry
 * run`, `bundle exec`, `npm exec`, `pnpm dlx`, `bun x`): options before the command are skipped
 * per `spec`, then `skip` words (an environment name, a profile), then the command runs as is.
 * Any other subcommand is a developer tool.
 */
export function subcommandRunner(
  runs: Readonly<Record<string, { spec?: OptionSpec; skip?: number }>>,
  otherwise: Handler = devTool,
): Handler {
  return (a, call) => {
    const [sub, ...rest] = call.args;
    const run = runs[staticValue(sub) ?? ''];
    if (!run) return otherwise(a, call);
    const parsed = getopt(rest, { ...run.spec, stopAtPositional: true });
    const command = parsed.positional.slice(run.skip ?? 0);
    if (staticValue(command[0]) === '--') command.shift();
    if (command.length > 0) runInner(a, call, command);
  };
}

export const field = (value: string): Field => ({ kind: 'static', value });

export function isStatic(f: Field | undefined): f is Extract<Field, { kind: 'static' }> {
  return f?.kind === 'static';
}

/** Text of static fields joined by spaces, re-quoted for bash; undefined when one is dynamic. */
export function joinAsShell(fields: readonly Field[]): string | undefined {
  const parts: string[] = [];
  for (const f of fields) {
    if (!isStatic(f)) return undefined;
    parts.push(f.value);
  }
  return parts.join(' ');
}

export function quoteForShell(fields: readonly Field[]): string | undefined {
  const parts: string[] = [];
  for (const f of fields) {
    if (!isStatic(f) || f.glob !== undefined) return undefined;
    parts.push(`'${f.value.replace(/'/g, `'\\''`)}'`);
  }
  return parts.join(' ');
}

/** Runs a code string as bash in a child shell (`bash -c CODE name args...`). */
export function runCode(
  a: Analyzer,
  call: Invocation,
  code: Field | undefined,
  positional: readonly Field[],
  label: string,
): void {
  if (!code) return;
  if (!isStatic(code)) {
    a.opaque(`${label}: the code string is not statically known`, code.text);
    return;
  }
  a.runScript(code.value, a.childShellEnv(call.env, [...positional]), call.depth + 1);
}

export function runInner(
  a: Analyzer,
  call: Invocation,
  argv: readonly Field[],
  env: Env = call.env,
  stdin: Stdin = call.stdin,
): void {
  a.runArgv([...argv], env, stdin, [...call.via, call.name], call.text, call.depth + 1);
}

/** Code read from standard input by a shell: parsed when it is static text, opaque otherwise. */
export function shellStdin(a: Analyzer, call: Invocation, positional: readonly Field[]): void {
  const stdin = call.stdin;
  if (stdin.kind === 'text')
    a.runScript(stdin.text, a.childShellEnv(call.env, [...positional]), call.depth + 1);
  else if (stdin.kind === 'file') a.path(stdin.field, 'read', false, `${call.name} script`, call.env);
  else if (stdin.kind === 'unknown')
    a.opaque(`${call.name} runs code read from a pipe or dynamic input`, stdin.text);
  else if (stdin.kind === 'fields') a.opaque(`${call.name} runs code read from a pipe`, call.text);
}

/** `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`: a "file" that is really a pipe or a `<(...)`. */
export function isStreamPath(field: Field): boolean {
  return isStatic(field) && /^(?:\/dev\/(?:stdin|fd\/\d+)|\/proc\/(?:self|\d+)\/fd\/\d+)$/.test(field.value);
}

/** A shell script argument: a real file is read; a stream is code we may or may not see. */
export function shellScript(
  a: Analyzer,
  call: Invocation,
  script: Field,
  positional: readonly Field[],
): void {
  if (!isStreamPath(script)) {
    a.path(script, 'read', false, `${call.name} script`, call.env);
    return;
  }
  if (isStatic(script) && /^\/dev\/(?:stdin|fd\/0)$/.test(script.value)) {
    shellStdin(a, call, positional);
    return;
  }
  a.opaque(`${call.name} runs code from a process substitution`, call.text);
}

/** Code for an interpreter we do not parse: opaque, with the text kept for the literal scan. */
export function foreignStdin(a: Analyzer, call: Invocation): void {
  const stdin = call.stdin;
  if (stdin.kind === 'text') a.opaque(`${call.name} runs code from standard input`, stdin.text);
  else if (stdin.kind === 'file') a.path(stdin.field, 'read', false, `${call.name} script`, call.env);
  else if (stdin.kind === 'unknown')
    a.opaque(`${call.name} runs code read from a pipe or dynamic input`, stdin.text);
  else if (stdin.kind === 'fields') a.opaque(`${call.name} runs code read from a pipe`, call.text);
}

export function oneLiner(a: Analyzer, call: Invocation, code: Field | undefined): void {
  a.opaque(`${call.name} one-liner`, code && isStatic(code) ? code.value : (code?.text ?? call.text));
}

function pathLike(value: string): boolean {
  return value.includes('/') || value.startsWith('~') || value.startsWith('.');
}

/** `--opt=value` and `@file` candidates in a value: docker-style `a:b`, `k=v,k=v` lists split too. */
function valueCandidates(value: string): string[] {
  const out = new Set<string>();
  if (value.startsWith('@') && value.length > 1) out.add(value.slice(1));
  for (const part of value.split(/[:,=]/))
    if (part && pathLike(part)) out.add(part.startsWith('@') ? part.slice(1) : part);
  if (pathLike(value)) out.add(value);
  return [...out];
}

function optionCandidates(a: Analyzer, call: Invocation, parsed: ParsedArgs, op: PathOp): void {
  for (const option of parsed.options) {
    if (!isStatic(option.value)) continue;
    for (const candidate of valueCandidates(option.value.value))
      a.path(field(candidate), op, false, `${call.name} ${option.name}`, call.env);
  }
}

// Unknown programs and simple file programs

/**
 * Unknown program: every argument may be a file it reads or writes, and an argument that looks
 * like code (`ssh-agent sh -c '...'`, `hyperfine 'cat ...'`) may name files inside it: those are
 * checked against the deny lists, as for any code ceros cannot analyse.
 */
export const generic: Handler = (a, call) => {
  const parsed = getopt(call.args, {});
  for (const arg of parsed.positional) {
    if (isStatic(arg) && arg.value.startsWith('@') && arg.value.length > 1) {
      a.path(field(arg.value.slice(1)), 'read', false, `${call.name} @file`, call.env);
    }
    a.path(arg, 'any', false, `${call.name} argument`, call.env);
  }
  optionCandidates(a, call, parsed, 'any');
  codeLiterals(a, call, call.args);
};

/** Paths named inside arguments that look like code: checked against deny lists only. */
export function codeLiterals(a: Analyzer, call: Invocation, args: readonly Field[]): void {
  for (const arg of args) {
    if (!isStatic(arg) || !/[\s;|&()'"`$]/.test(arg.value)) continue;
    for (const literal of pathLiterals(arg.value, a.options.home))
      a.path(field(literal), 'any', false, `${call.name} argument (a path inside)`, call.env, true);
  }
}

/** Developer tools whose plain words are subcommands or package names: only path-like words are files. */
export const devTool: Handler = (a, call) => {
  const parsed = getopt(call.args, {});
  for (const arg of parsed.positional) {
    if (!isStatic(arg)) {
      a.path(arg, 'any', false, `${call.name} argument`, call.env);
      continue;
    }
    for (const candidate of valueCandidates(arg.value))
      a.path(field(candidate), 'any', false, `${call.name} argument`, call.env);
  }
  optionCandidates(a, call, parsed, 'any');
};

export interface FileSpec extends OptionSpec {
  /** What the positional arguments are. */
  pos: PathOp | 'none';
  /** Positional arguments before the files that are not files (grep's pattern, chmod's mode). */
  skip?: number;
  /** ...unless one of these options supplied that value instead (grep -e, -f). */
  skipUnless?: readonly string[];
  /** Options that make it recursive. */
  recursiveWith?: readonly string[];
  recursive?: boolean;
  /** Options whose values are files, with the operation. */
  optionPaths?: Readonly<Record<string, PathOp>>;
  /** No positional file means the working folder (ls, du, grep -r, rg). */
  defaultCwd?: boolean;
  /** The last positional is written (cp-like tools handle this themselves). */
  lastWrites?: boolean;
  /** The second positional is written (uniq in out, xxd in out). */
  secondWrites?: boolean;
  /** Options that make the recursion follow symlinks (`grep -R`, `du -L`). */
  followWith?: readonly string[];
  /** A symlink argument is acted on itself (`rm link`, `du link`), unless one of these options is given. */
  noFollowUnless?: readonly string[];
  /** The arguments are deleted (`rm`, `rmdir`, `unlink`, `shred -u`). */
  deletes?: boolean;
  /** Options whose value is a list of file names (`--files0-from`), `-` for standard input. */
  namesFrom?: readonly string[];
}

export function files(spec: FileSpec): Handler {
  return (a, call) => {
    const parsed = getopt(call.args, spec);
    const recursive = spec.recursive === true || hasOption(parsed, ...(spec.recursiveWith ?? []));
    let positional = parsed.positional;
    const skip = spec.skipUnless && hasOption(parsed, ...spec.skipUnless) ? 0 : (spec.skip ?? 0);
    positional = positional.slice(skip);
    const marks: PathMarks = {
      ...(spec.followWith && hasOption(parsed, ...spec.followWith) ? { followsLinks: true } : {}),
      ...(spec.noFollowUnless && !hasOption(parsed, ...spec.noFollowUnless) ? { noFollow: true } : {}),
      ...(spec.deletes ? { deletes: true } : {}),
    };
    for (const option of parsed.options) {
      if (spec.namesFrom?.includes(option.name)) {
        namesFrom(
          a,
          call,
          option.value,
          spec.pos === 'none' ? 'read' : spec.pos,
          option.name,
          recursive,
          marks,
        );
        continue;
      }
      const op = spec.optionPaths?.[option.name];
      if (op && option.value) a.path(option.value, op, false, `${call.name} ${option.name}`, call.env);
    }
    const pos = spec.pos;
    if (pos === 'none') return;
    if (positional.length === 0 && spec.defaultCwd) {
      a.path(field('.'), pos, recursive, `${call.name} (working folder)`, call.env, false, marks);
      return;
    }
    positional.forEach((arg, index) => {
      const writes =
        (spec.lastWrites && index === positional.length - 1 && positional.length > 1) ||
        (spec.secondWrites && index === 1);
      a.path(arg, writes ? 'write' : pos, recursive, `${call.name} argument`, call.env, false, marks);
    });
  };
}

export const none: Handler = () => {};
