import type { Node } from 'web-tree-sitter';
import { escapeGlob, hasGlobChars, splitSegments, unescapeGlob } from '../glob/path-glob.ts';
import { joinPath } from '../paths/resolve.ts';
import { CODE_ENV } from './code-env.ts';
import { emptyAnalysis, type PathFact, type PathMarks, type PathOp, type ShellAnalysis } from './facts.ts';
import type { ShellParser } from './parser.ts';
import { PROGRAMS, producerOutput } from './programs/index.ts';
import type { ProgramTable } from './programs/registry.ts';
import {
  assignmentValue,
  DEFAULT_IFS,
  type ExpansionScope,
  expandWord,
  type Field,
  type VarAlt,
  type VarValue,
} from './words.ts';

/**
 * Static analysis of a bash command line on a real parse (tree-sitter-bash): every simple
 * command in pipelines, lists, subshells, substitutions and function bodies, with `bash -c`,
 * `eval` and friends parsed again recursively. What cannot be known without running the
 * command is reported as opaque; the policy decides what opaque gets.
 */
export interface AnalyzeOptions {
  cwd: string;
  home: string;
  /** Home folders for `~user`; unknown users map to `/home/<user>` and `/Users/<user>`. */
  userHomes?: Readonly<Record<string, string>>;
}

/** `bash -c "sh -c '...'"` deeper than this is opaque. */
export const MAX_NESTING = 8;
/** Simple commands analysed per call before the rest is treated as opaque. */
export const MAX_COMMANDS = 2000;

/** What a command reads on standard input, as far as it is known. */
export type Stdin =
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'fields'; fields: Field[] }
  | { kind: 'unknown'; text: string }
  | { kind: 'file'; field: Field };

export const NO_STDIN: Stdin = { kind: 'none' };

export interface Env {
  vars: Map<string, VarValue>;
  /** Possible working folders (cd can fail, so `cd a; cd b` may leave either); undefined = unknown. */
  cwd: string[] | undefined;
  pathModified: boolean;
  /** `shopt -s dotglob` ran (or GLOBIGNORE was set): globs match dotfiles. */
  dotglob: boolean;
  /** `shopt -s nocaseglob` ran: glob patterns match names in any case. */
  nocaseglob: boolean;
  /** Every folder OLDPWD may hold (`cd -`, `~-`); undefined = unknown. */
  oldCwd: string[] | undefined;
  /** pushd's stack, top first, each entry every folder it may be; undefined = unknown. */
  dirStack: string[][] | undefined;
  /** `hash -p PROGRAM name`: names that run another program. */
  hashed: Map<string, Field>;
  /** > 0 inside `&&`/`||` right operands, if/case branches, loop and function bodies. */
  conditional: number;
}

export interface Invocation {
  name: string;
  args: Field[];
  env: Env;
  stdin: Stdin;
  via: string[];
  text: string;
  depth: number;
}

export type Handler = (analyzer: Analyzer, call: Invocation) => void;

interface ScriptState {
  visited: Set<number>;
  depth: number;
  source: string;
}

export function analyzeShell(parser: ShellParser, source: string, options: AnalyzeOptions): ShellAnalysis {
  const analyzer = new Analyzer(parser, options);
  analyzer.runScript(source, analyzer.freshEnv([options.cwd]), 0);
  return analyzer.out;
}

const SYSTEM_BIN = /^\/(?:usr\/(?:local\/)?)?s?bin\/[^/]+$|^\/opt\/homebrew\/bin\/[^/]+$/;
const HARMLESS_DEVICES = new Set([
  '/dev/null',
  '/dev/stdin',
  '/dev/stdout',
  '/dev/stderr',
  '/dev/tty',
  '/dev/zero',
]);

export class Analyzer {
  readonly out: ShellAnalysis = emptyAnalysis();
  private commands = 0;

  constructor(
    private readonly parser: ShellParser,
    readonly options: AnalyzeOptions,
    private readonly programs: ProgramTable = PROGRAMS,
  ) {}

  freshEnv(cwd: string[] | undefined): Env {
    return {
      vars: new Map(),
      cwd,
      pathModified: false,
      dotglob: false,
      nocaseglob: false,
      oldCwd: undefined,
      dirStack: [],
      hashed: new Map(),
      conditional: 0,
    };
  }

  cloneEnv(env: Env): Env {
    return {
      vars: new Map(env.vars),
      cwd: env.cwd ? [...env.cwd] : undefined,
      pathModified: env.pathModified,
      dotglob: env.dotglob,
      nocaseglob: env.nocaseglob,
      oldCwd: env.oldCwd ? [...env.oldCwd] : undefined,
      dirStack: env.dirStack ? env.dirStack.map((entry) => [...entry]) : undefined,
      hashed: new Map(env.hashed),
      conditional: env.conditional,
    };
  }

  /**
   * `HOME=x cd`, `CDPATH=~ cd .ssh`: the assignments were for the command only, but what a builtin
   * did to the shell (its folder, its stack, its options) stays.
   */
  private keepShellState(env: Env, commandEnv: Env): void {
    env.cwd = commandEnv.cwd;
    env.oldCwd = commandEnv.oldCwd;
    env.dirStack = commandEnv.dirStack;
    env.dotglob = commandEnv.dotglob;
    env.nocaseglob = commandEnv.nocaseglob;
    env.hashed = commandEnv.hashed;
  }

  /** A child shell (`bash -c`): a fresh variable scope, same working folder, `$0 $1...` from args. */
  childShellEnv(env: Env, positional: Field[]): Env {
    const child = this.freshEnv(env.cwd ? [...env.cwd] : undefined);
    child.pathModified = env.pathModified;
    child.oldCwd = env.oldCwd ? [...env.oldCwd] : undefined;
    const home = env.vars.get('HOME');
    if (home) child.vars.set('HOME', home);
    positional.forEach((field, index) => {
      child.vars.set(
        String(index),
        field.kind === 'static' ? { kind: 'static', alts: [altOf(field)] } : { kind: 'dynamic' },
      );
    });
    return child;
  }

  opaque(reason: string, text: string): void {
    if (this.out.opaque.length < 64) this.out.opaque.push({ reason, text });
  }

  host(host: string | undefined, source: string): void {
    if (this.out.hosts.length < 256) this.out.hosts.push({ host: host?.toLowerCase(), source });
  }

  /** Parses and analyses `source` as bash (the top level, `bash -c`, `eval`, heredocs fed to a shell). */
  runScript(source: string, env: Env, depth: number): void {
    if (depth > MAX_NESTING) {
      this.opaque('shell code is nested too deeply to analyse', source);
      return;
    }
    const parsed = this.parser.parse(source);
    if (!parsed) {
      this.opaque('shell code could not be parsed', source);
      return;
    }
    try {
      const root = parsed.root;
      if (root.hasError) this.opaque('shell code is not valid bash (parse error)', source);
      const state: ScriptState = { visited: new Set(), depth, source };
      this.walk(root, env, state, NO_STDIN);
      // Safety net: a command or redirect in a construct the walker does not model is still analysed.
      for (const node of root.descendantsOfType(['command', 'file_redirect'])) {
        if (!node || state.visited.has(node.id)) continue;
        if (node.type === 'command') this.walkCommand(node, env, state, [], NO_STDIN);
        else this.redirect(node, env, state);
      }
    } finally {
      parsed.release();
    }
  }

  private walkChildren(node: Node, env: Env, state: ScriptState): void {
    for (const child of node.namedChildren) if (child) this.walk(child, env, state, NO_STDIN);
  }

  private conditionally(env: Env, run: () => void): void {
    env.conditional++;
    try {
      run();
    } finally {
      env.conditional--;
    }
  }

  private walk(node: Node, env: Env, state: ScriptState, stdin: Stdin): Stdin {
    switch (node.type) {
      case 'command':
        return this.walkCommand(node, env, state, [], stdin);
      case 'redirected_statement':
        return this.walkRedirected(node, env, state, stdin);
      case 'pipeline':
        return this.walkPipeline(node, env, state, stdin);
      case 'list':
        this.walkList(node, env, state);
        return unknownStdin(node.text);
      case 'subshell':
        this.walkChildren(node, this.cloneEnv(env), state);
        return unknownStdin(node.text);
      case 'variable_assignment':
        this.assign(node, env, state);
        return NO_STDIN;
      case 'declaration_command':
        this.declare(node, env, state);
        return NO_STDIN;
      case 'for_statement':
        this.walkFor(node, env, state);
        return unknownStdin(node.text);
      case 'while_statement':
      case 'c_style_for_statement':
        this.conditionally(env, () => {
          this.walkChildren(node, env, state);
          this.walkChildren(node, env, state);
        });
        return unknownStdin(node.text);
      case 'if_statement':
      case 'case_statement':
      case 'function_definition':
        this.conditionally(env, () => this.walkChildren(node, env, state));
        return unknownStdin(node.text);
      case 'comment':
      case 'heredoc_body':
        return NO_STDIN;
      case 'test_command':
      case 'unset_command':
        this.walkNested(node, env, state);
        return NO_STDIN;
      default:
        if (node.type === 'compound_statement' || node.type === 'do_group') {
          // `{ ...; } | x`: the last statement's output is what flows on.
          let last: Stdin = NO_STDIN;
          for (const child of node.namedChildren) if (child) last = this.walk(child, env, state, stdin);
          return last;
        }
        this.walkChildren(node, env, state);
        return unknownStdin(node.text);
    }
  }

  private walkList(node: Node, env: Env, state: ScriptState): void {
    let conditionalNext = false;
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) {
        conditionalNext = child.type === '&&' || child.type === '||';
        continue;
      }
      if (conditionalNext) this.conditionally(env, () => this.walk(child, env, state, NO_STDIN));
      else this.walk(child, env, state, NO_STDIN);
    }
  }

  private walkPipeline(node: Node, env: Env, state: ScriptState, stdin: Stdin): Stdin {
    let input = stdin;
    for (const stage of node.namedChildren) {
      if (!stage) continue;
      // Every stage of a pipeline runs in a subshell: assignments and cd do not leak.
      const output = this.walk(stage, this.cloneEnv(env), state, input);
      input = output.kind === 'unknown' ? { kind: 'unknown', text: node.text } : output;
    }
    return input;
  }

  private walkFor(node: Node, env: Env, state: ScriptState): void {
    const variable = node.childForFieldName('variable');
    const values = node.childrenForFieldName('value').filter((value): value is Node => value !== null);
    const alts: VarAlt[] = [];
    let dynamic = values.length === 0;
    for (const value of values) {
      for (const field of expandWord(value, this.scope(env, state))) {
        if (field.kind === 'dynamic') dynamic = true;
        else alts.push(altOf(field));
      }
    }
    // Inside the body the variable holds one of the listed values, whatever it held before.
    if (variable) {
      if (variable.text === 'PATH') env.pathModified = true;
      env.vars.set(
        variable.text,
        dynamic || alts.length > 32 ? { kind: 'dynamic' } : { kind: 'static', alts },
      );
    }
    const body = node.childForFieldName('body');
    this.conditionally(env, () => {
      if (!body) return;
      this.walk(body, env, state, NO_STDIN);
      this.walk(body, env, state, NO_STDIN);
    });
  }

  private walkRedirected(node: Node, env: Env, state: ScriptState, stdin: Stdin): Stdin {
    const body = node.childForFieldName('body');
    let input = stdin;
    const extra: Field[] = [];
    for (const child of node.namedChildren) {
      if (!child || child === body || child.id === body?.id) continue;
      const result = this.redirect(child, env, state);
      if (result.stdin) input = result.stdin;
      extra.push(...result.extraArgs);
    }
    if (!body) return unknownStdin(node.text);
    if (body.type === 'command') return this.walkCommand(body, env, state, extra, input);
    for (const field of extra) this.path(field, 'any', false, 'redirect argument', env);
    return this.walk(body, env, state, input);
  }

  /** Handles one redirect node: emits its path or host, returns what it feeds on stdin. */
  redirect(node: Node, env: Env, state: ScriptState): { stdin?: Stdin; extraArgs: Field[] } {
    state.visited.add(node.id);
    const scope = this.scope(env, state);
    if (node.type === 'herestring_redirect') {
      const word = node.namedChildren.find((child) => child !== null);
      if (!word) return { extraArgs: [] };
      const fields = expandWord(word, scope);
      const [field] = fields;
      if (fields.length === 1 && field?.kind === 'static')
        return { stdin: { kind: 'text', text: `${field.value}\n` }, extraArgs: [] };
      return { stdin: { kind: 'unknown', text: word.text }, extraArgs: [] };
    }
    if (node.type === 'heredoc_redirect') {
      const extraArgs: Field[] = [];
      for (const child of node.namedChildren) {
        if (child && (child.type === 'file_redirect' || child.type === 'herestring_redirect')) {
          extraArgs.push(...this.redirect(child, env, state).extraArgs);
        }
      }
      const text = this.heredocText(node, env, state);
      return {
        stdin: text === undefined ? { kind: 'unknown', text: node.text } : { kind: 'text', text },
        extraArgs,
      };
    }
    if (node.type !== 'file_redirect') {
      this.walkNested(node, env, state);
      return { extraArgs: [] };
    }
    const operator = node.children.find((child) => child && !child.isNamed)?.type ?? '>';
    const destinations = node
      .childrenForFieldName('destination')
      .filter((child): child is Node => child !== null);
    const [target, ...rest] = destinations;
    const extraArgs = rest.flatMap((word) => expandWord(word, scope));
    if (!target) return { extraArgs };
    const fields = expandWord(target, scope);
    const isDup =
      (operator === '>&' || operator === '<&') &&
      fields.every((f) => f.kind === 'static' && /^(?:\d+-?|-)$/.test(f.value));
    if (isDup) return { extraArgs };
    const op: PathOp = operator === '<' ? 'read' : operator === '<>' ? 'any' : 'write';
    for (const field of fields) this.path(field, op, false, `redirect ${operator}`, env);
    const [only] = fields;
    if (operator === '<' && fields.length === 1 && only)
      return { stdin: { kind: 'file', field: only }, extraArgs };
    return { extraArgs };
  }

  private heredocText(node: Node, env: Env, state: ScriptState): string | undefined {
    const start = node.children.find((child) => child?.type === 'heredoc_start');
    const body = node.children.find((child) => child?.type === 'heredoc_body');
    if (!body) return '';
    const quotedDelimiter = /['"\\]/.test(start?.text ?? '');
    if (quotedDelimiter) return body.text;
    const scope = this.scope(env, state);
    const text = body.text;
    let out = '';
    let cursor = 0;
    let known = true;
    for (const child of body.namedChildren) {
      if (!child || child.type === 'heredoc_content') continue;
      const at = text.indexOf(child.text, cursor);
      if (at < 0) continue;
      out += text.slice(cursor, at);
      cursor = at + child.text.length;
      const fields = expandWord(child, scope);
      const [field] = fields;
      if (fields.length === 1 && field?.kind === 'static') out += field.value;
      else known = false;
    }
    out += text.slice(cursor);
    return known ? out.replace(/\\([$`\\])/g, '$1').replace(/\\\n/g, '') : undefined;
  }

  walkCommand(node: Node, env: Env, state: ScriptState, extraArgs: Field[], stdin: Stdin): Stdin {
    state.visited.add(node.id);
    if (++this.commands > MAX_COMMANDS) {
      if (this.commands === MAX_COMMANDS + 1) this.opaque('too many commands to analyse', state.source);
      return unknownStdin(node.text);
    }
    const scope = this.scope(env, state);
    const assignments: Node[] = [];
    const argv: Field[] = [];
    let input = stdin;
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child?.isNamed) continue;
      const field = node.fieldNameForChild(i);
      if (child.type === 'variable_assignment') assignments.push(child);
      else if (field === 'redirect' || child.type.endsWith('_redirect')) {
        const result = this.redirect(child, env, state);
        if (result.stdin) input = result.stdin;
        argv.push(...result.extraArgs);
      } else if (field === 'name') {
        const word = child.namedChildren.find((n) => n !== null) ?? child;
        argv.push(...expandWord(word, scope));
      } else if (field === 'argument' || child.type !== 'comment') argv.push(...expandWord(child, scope));
    }
    argv.push(...extraArgs);
    if (argv.length === 0) {
      for (const assignment of assignments) this.assign(assignment, env, state);
      return NO_STDIN;
    }
    // `X=1 cmd`: the assignments apply to cmd's environment only, after its words were expanded.
    const commandEnv = assignments.length > 0 ? this.cloneEnv(env) : env;
    for (const assignment of assignments) this.assign(assignment, commandEnv, state);
    this.runArgv(argv, commandEnv, input, [], node.text, state.depth);
    if (commandEnv !== env) this.keepShellState(env, commandEnv);
    return producerOutput(this, argv, input, env);
  }

  /** Runs one simple command given as expanded fields (also used by wrappers such as sudo or xargs). */
  runArgv(argv: Field[], env: Env, stdin: Stdin, via: string[], text: string, depth: number): void {
    const [head, ...args] = argv;
    if (!head) return;
    if (head.kind === 'dynamic') {
      this.opaque('the program to run is not statically known', head.text);
      for (const arg of args)
        if (arg.kind === 'static') this.path(arg, 'any', false, 'argument of an unknown program', env);
      return;
    }
    if (head.glob !== undefined) {
      this.opaque('the program name is a glob', head.value);
      return;
    }
    const hashed = head.value.includes('/') ? undefined : env.hashed.get(head.value);
    if (hashed) {
      // `hash -p /bin/sh cat`: from now on `cat` runs /bin/sh.
      this.runArgv([hashed, ...args], env, stdin, [...via, `hash -p ${head.value}`], text, depth);
      return;
    }
    const invoked = head.value;
    const slash = invoked.lastIndexOf('/');
    const name = slash >= 0 ? invoked.slice(slash + 1) : invoked;
    if (slash >= 0) this.path(head, 'read', false, 'program file', env, true);
    const absolute = slash >= 0 && invoked.startsWith('/') ? joinPath('/', invoked) : undefined;
    const trusted = slash >= 0 ? absolute !== undefined && SYSTEM_BIN.test(absolute) : !env.pathModified;
    if (this.out.commands.length < 512) {
      this.out.commands.push({ name, ...(slash >= 0 ? { path: invoked } : {}), trusted, args, via, text });
    }
    this.programs.handlerFor(name)(this, { name, args, env, stdin, via, text, depth });
  }

  /** Emits a path fact for one field, resolved against every possible working folder. */
  path(
    field: Field,
    op: PathOp,
    recursive: boolean,
    source: string,
    env: Env,
    denyListsOnly = false,
    marks: PathMarks = {},
  ): void {
    if (this.out.paths.length >= 1024) return;
    const push = (fact: PathFact) =>
      this.out.paths.push({
        ...fact,
        ...(denyListsOnly ? { denyListsOnly } : {}),
        ...(marks.followsLinks && recursive ? { followsLinks: true } : {}),
        ...(marks.deletes ? { deletes: true } : {}),
        ...(marks.noFollow ? { noFollow: true } : {}),
        ...(marks.listedLinks && recursive && !marks.noFollow && !marks.followsLinks
          ? { listedLinks: marks.listedLinks }
          : {}),
      });
    if (field.kind === 'dynamic') {
      const prefix = field.prefix;
      let hint: string | undefined;
      if (prefix?.startsWith('/')) hint = `${escapeGlob(prefix)}*/**`;
      else if (prefix && env.cwd?.length === 1)
        hint = `${escapeGlob(joinRaw(env.cwd[0] ?? '/', prefix))}*/**`;
      push({
        op,
        recursive,
        source,
        target: { kind: 'unknown', text: field.text, ...(hint ? { hint } : {}) },
      });
      return;
    }
    const value = field.value;
    if (value === '') return;
    if (field.glob === undefined && value.startsWith('/proc/')) {
      const mapped = this.procPath(value, env);
      if (mapped === undefined) {
        push({ op, recursive, source, target: { kind: 'unknown', text: value } });
        return;
      }
      if (mapped.length !== 1 || mapped[0] !== value) {
        for (const path of mapped)
          this.path({ kind: 'static', value: path }, op, recursive, source, env, denyListsOnly, marks);
        return;
      }
    }
    if (field.glob === undefined) {
      const device = /^\/dev\/(tcp|udp)\/([^/]+)\/[^/]*$/.exec(value);
      if (device) {
        this.host(device[2], `${source} (/dev/${device[1]})`);
        return;
      }
      if (HARMLESS_DEVICES.has(value) || /^\/dev\/fd\/\d+$/.test(value)) return;
    }
    if (field.glob !== undefined && field.globDot === true) {
      // A listing ceros derived (find results, ls or git ls-files output): "some file under this
      // folder", checked like a recursive access of the folder (as `grep -r folder` is).
      // `find . -name .env` results: the files of that name anywhere below the folder. Deleting
      // them deletes those files, not the folder (`find . -name '*.log' -delete`).
      const folder = listingFolder(field.glob);
      const named = /\/\*\*\/((?:[^/\\]|\\.)+)$/.exec(field.glob);
      // The program opens each listed name, and so follows the symlinks among them.
      const listedLinks = {
        ...(named?.[1] ? { name: unescapeGlob(named[1]) } : {}),
        depth: field.glob.endsWith('/*') ? (1 as const) : ('all' as const),
        folders: recursive,
      };
      // What git lists is what it tracks, not the folder: its symlinks are not looked up on disk.
      if (!field.fromGit) marks = { ...marks, listedLinks };
      if (named?.[1]) {
        this.search(folder, unescapeGlob(named[1]), op, source, env, denyListsOnly);
        const { deletes, ...rest } = marks;
        const glob = field.glob;
        if (deletes)
          for (const base of glob.startsWith('/') ? ['/'] : (env.cwd ?? [])) {
            const raw = glob.startsWith('/') ? glob : `${escapeGlob(base)}/${glob}`;
            push({
              op,
              recursive: false,
              source,
              target: { kind: 'glob', raw, dot: true },
              deletes,
              protectionOnly: true,
            });
          }
        this.path({ kind: 'static', value: folder }, op, true, source, env, denyListsOnly, rest);
        return;
      }
      this.path({ kind: 'static', value: folder }, op, true, source, env, denyListsOnly, marks);
      return;
    }
    const bases = value.startsWith('/') ? ['/'] : env.cwd;
    if (!bases) {
      push({ op, recursive, source, target: { kind: 'unknown', text: value } });
      return;
    }
    for (const base of bases) {
      if (field.glob !== undefined) {
        const glob = env.nocaseglob ? foldGlobCase(field.glob) : field.glob;
        const raw = glob.startsWith('/') ? glob : `${escapeGlob(base)}/${glob}`;
        push({
          op,
          recursive,
          source,
          target: { kind: 'glob', raw, dot: field.globDot === true || env.dotglob },
        });
      } else {
        push({ op, recursive, source, target: { kind: 'path', raw: joinRaw(base, value) } });
      }
    }
    // `~/x` that reached a program unexpanded (quoted, or after `@`): many programs expand it themselves.
    if (field.glob === undefined && (value === '~' || value.startsWith('~/'))) {
      for (const home of this.homeCandidates(env, '')) {
        push({ op, recursive, source, target: { kind: 'path', raw: joinRaw(home, value.slice(2)) } });
      }
    }
  }

  /**
   * Files named like `name` (a glob of names, as `grep --include`, `rg -g` or `find -name` take
   * it; it matches dotfiles) anywhere below `root`: a search filter naming a protected file.
   */
  search(
    root: Field | string,
    name: string,
    op: PathOp,
    source: string,
    env: Env,
    denyListsOnly = false,
    nocase = false,
  ): void {
    if (this.out.paths.length >= 1024 || name === '' || name.includes('/')) return;
    const rootValue =
      typeof root === 'string'
        ? root
        : root.kind === 'static' && root.glob === undefined
          ? root.value
          : undefined;
    const bases = rootValue?.startsWith('/') ? ['/'] : env.cwd;
    if (rootValue === undefined || !bases) return;
    for (const base of bases)
      this.out.paths.push({
        op,
        recursive: true,
        source,
        target: { kind: 'search', root: joinRaw(base, rootValue), name, ...(nocase ? { nocase } : {}) },
        ...(denyListsOnly ? { denyListsOnly } : {}),
      });
  }

  setCwd(env: Env, target: Field | undefined): void {
    const before = env.cwd;
    if (!before) return;
    const oldPwd = this.oldPwd(env);
    // cd can fail, so the folder before stays possible; OLDPWD becomes that folder when it succeeds.
    env.oldCwd = oldPwd ? unique([...oldPwd, ...before]) : [...before];
    env.vars.delete('OLDPWD');
    if (!target) {
      env.cwd = unique([...before, ...this.homeCandidates(env, '')]);
      return;
    }
    if (target.kind === 'dynamic' || target.glob !== undefined) {
      env.cwd = undefined;
      return;
    }
    if (target.value === '-') {
      env.cwd = oldPwd ? unique([...before, ...oldPwd]).slice(0, 16) : undefined;
      return;
    }
    let value = target.value;
    const next: string[] = [];
    if (value.startsWith('/proc/')) {
      const mapped = this.procPath(value, env);
      if (mapped === undefined) {
        env.cwd = undefined;
        return;
      }
      next.push(...mapped.map((path) => joinPath('/', path)));
      value = '/';
    } else if (value.startsWith('/')) next.push(joinPath('/', value));
    else next.push(...before.map((base) => joinPath(base, value)));
    const cdpath = env.vars.get('CDPATH');
    // bash cd: CDPATH is searched unless the folder starts with `/`, `./` or `../` (`.ssh` is searched).
    if (cdpath && !value.startsWith('/') && !/^\.\.?(?:\/|$)/.test(value)) {
      if (cdpath.kind === 'dynamic') {
        env.cwd = undefined;
        return;
      }
      for (const alt of cdpath.alts)
        for (const dir of alt.text.split(':')) if (dir) next.push(joinPath(dir, value));
    }
    env.cwd = unique([...before, ...next]).slice(0, 16);
  }

  /** Every folder OLDPWD may hold: an assignment to it, else what cd left; undefined = unknown. */
  oldPwd(env: Env): string[] | undefined {
    const assigned = env.vars.get('OLDPWD');
    if (assigned) {
      if (assigned.kind === 'dynamic') return undefined;
      return assigned.alts.map((alt) => alt.text).filter((text) => text.startsWith('/'));
    }
    return env.oldCwd;
  }

  /** `pushd DIR` (onto the stack), `pushd` (swap the top two), `pushd +N` (rotate). */
  pushd(env: Env, target: Field | undefined): void {
    const before = env.cwd;
    if (target && !(target.kind === 'static' && /^[+-]\d+$/.test(target.value))) {
      this.setCwd(env, target);
      env.dirStack = env.dirStack && before ? [before, ...env.dirStack].slice(0, 16) : undefined;
      return;
    }
    const stack = env.dirStack;
    if (!stack || !before) {
      env.cwd = undefined;
      return;
    }
    if (stack.length === 0) return;
    // Swapping or rotating: the folder may become any entry of the stack.
    env.oldCwd = before;
    env.cwd = unique([...before, ...stack.flat()]).slice(0, 16);
    env.dirStack = [before, ...stack];
  }

  /** `popd`: back to the top of the stack (the folder before stays possible: the entry may be gone). */
  popd(env: Env): void {
    const stack = env.dirStack;
    const before = env.cwd;
    if (!stack || !before) {
      env.cwd = undefined;
      return;
    }
    const [top, ...rest] = stack;
    if (!top) return;
    env.oldCwd = before;
    env.cwd = unique([...before, ...top]).slice(0, 16);
    env.dirStack = rest;
  }

  /**
   * `/proc/self/cwd` is the shell's own working folder and `/proc/self/root` the root: the agent's
   * realpath would resolve them in its own process. Another process's folder is unknown.
   */
  procPath(value: string, env: Env): string[] | undefined {
    const match = /^\/proc\/(self|thread-self|\d+)\/(cwd|root)(\/.*)?$/.exec(value);
    if (!match) return [value];
    const rest = match[3] ?? '';
    if (match[2] === 'root') return [rest || '/'];
    if (match[1] !== 'self' && match[1] !== 'thread-self') return undefined;
    return env.cwd?.map((base) => `${base}${rest}`);
  }

  homeCandidates(env: Env, user: string): string[] {
    if (user === '') {
      const home = env.vars.get('HOME');
      if (!home) return [this.options.home];
      if (home.kind === 'dynamic') return [];
      return home.alts.map((alt) => alt.text).filter((text) => text.startsWith('/'));
    }
    const configured = this.options.userHomes?.[user];
    if (configured) return [configured];
    if (user === 'root') return ['/root', '/var/root'];
    return [`/home/${user}`, `/Users/${user}`];
  }

  lookup(env: Env, name: string): VarValue {
    const own = env.vars.get(name);
    if (own) return own;
    switch (name) {
      case 'HOME':
        return { kind: 'static', alts: [{ text: this.options.home }] };
      case 'OLDPWD': {
        const old = this.oldPwd(env);
        return old ? { kind: 'static', alts: old.map((text) => ({ text })) } : { kind: 'dynamic' };
      }
      case 'PWD':
        return env.cwd ? { kind: 'static', alts: env.cwd.map((text) => ({ text })) } : { kind: 'dynamic' };
      case 'IFS':
        return { kind: 'static', alts: [{ text: DEFAULT_IFS }] };
      default:
        return { kind: 'dynamic' };
    }
  }

  setVar(env: Env, name: string, value: VarValue, union: boolean): void {
    if (name === 'PATH') env.pathModified = true;
    if (!union && env.conditional === 0) {
      env.vars.set(name, value);
      return;
    }
    const before = this.lookup(env, name);
    if (before.kind === 'dynamic' || value.kind === 'dynamic') env.vars.set(name, { kind: 'dynamic' });
    else env.vars.set(name, { kind: 'static', alts: [...before.alts, ...value.alts].slice(0, 32) });
  }

  private assign(node: Node, env: Env, state: ScriptState): void {
    const nameNode = node.childForFieldName('name');
    const valueNode = node.childForFieldName('value');
    const scope = this.scope(env, state);
    const value =
      valueNode?.type === 'array'
        ? this.arrayValue(valueNode, env, state)
        : assignmentValue(valueNode, scope);
    if (!nameNode) return;
    // `a[0]=x` and `x+=y` make the variable unknown rather than modelling arrays and appends.
    const name = nameNode.type === 'variable_name' ? nameNode.text : undefined;
    const appends = node.children.some((child) => child?.type === '+=');
    if (!name) {
      const base = nameNode.text.replace(/\[.*$/, '');
      this.setVar(env, base, { kind: 'dynamic' }, false);
      return;
    }
    if (CODE_ENV.test(name))
      this.opaque(`sets ${name}, which makes programs load or run other code`, node.text);
    this.setVar(env, name, appends ? { kind: 'dynamic' } : value, false);
    // bash: setting GLOBIGNORE to a non-empty value turns on dotglob.
    if (name === 'GLOBIGNORE' && !(value.kind === 'static' && value.alts.every((alt) => alt.text === '')))
      env.dotglob = true;
  }

  private arrayValue(node: Node, env: Env, state: ScriptState): VarValue {
    // Arrays are walked for substitutions; their elements are not modelled.
    for (const child of node.namedChildren) if (child) expandWord(child, this.scope(env, state));
    return { kind: 'dynamic' };
  }

  private declare(node: Node, env: Env, state: ScriptState): void {
    const scope = this.scope(env, state);
    let nameref = false;
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'variable_assignment') {
        if (nameref) {
          const name = child.childForFieldName('name')?.text;
          if (name) this.setVar(env, name, { kind: 'dynamic' }, false);
          continue;
        }
        this.assign(child, env, state);
      } else if (child.type === 'word' || child.type === 'concatenation' || child.type === 'string') {
        const fields = expandWord(child, scope);
        for (const field of fields) {
          if (field.kind === 'static' && /^-[a-zA-Z]*n/.test(field.value)) nameref = true;
        }
      } else if (child.type === 'variable_name' && nameref)
        this.setVar(env, child.text, { kind: 'dynamic' }, false);
    }
  }

  /** Walks a node's descendants for command and process substitutions only. */
  walkNested(node: Node, env: Env, state: ScriptState): void {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'command_substitution') this.substitute(child, env, state);
      else if (child.type === 'process_substitution') this.walkChildren(child, this.cloneEnv(env), state);
      else this.walkNested(child, env, state);
    }
  }

  private substitute(node: Node, env: Env, state: ScriptState): string | undefined {
    const inner = this.cloneEnv(env);
    const statements = node.namedChildren.filter(
      (child): child is Node => child !== null && child.type !== 'comment',
    );
    let output: Stdin = NO_STDIN;
    for (const statement of statements) output = this.walk(statement, inner, state, NO_STDIN);
    if (statements.length === 0) return '';
    if (statements.length !== 1) return undefined;
    return output.kind === 'text' ? output.text : undefined;
  }

  scope(env: Env, state: ScriptState): ExpansionScope {
    return {
      lookup: (name) => this.lookup(env, name),
      homeOf: (user) => this.homeCandidates(env, user),
      substitute: (node) => this.substitute(node, env, state),
      processSubstitution: (node) => this.walkChildren(node, this.cloneEnv(env), state),
      walkNested: (node) => this.walkNested(node, env, state),
    };
  }
}

/** The literal folder a glob starts with: `/a/b/**\/*.ts` -> `/a/b`. */
export function listingFolder(escapedGlob: string): string {
  const literal: string[] = [];
  for (const segment of splitSegments(escapedGlob)) {
    if (hasGlobChars(segment)) break;
    literal.push(unescapeGlob(segment));
  }
  const folder = literal.join('/');
  return escapedGlob.startsWith('/') ? `/${folder}` : folder || '.';
}

function unknownStdin(text: string): Stdin {
  return { kind: 'unknown', text };
}

function altOf(field: Extract<Field, { kind: 'static' }>): VarAlt {
  return field.glob !== undefined ? { text: field.value, glob: field.glob } : { text: field.value };
}

/** Joins without normalising, so `..` after a symlink is resolved physically later. */
export function joinRaw(base: string, path: string): string {
  if (path.startsWith('/')) return path;
  return base.endsWith('/') ? `${base}${path}` : `${base}/${path}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * `shopt -s nocaseglob`: every letter in a pattern segment matches either case. Literal segments
 * are looked up as written, as bash does.
 */
export function foldGlobCase(escapedGlob: string): string {
  return splitSegments(escapedGlob)
    .map((segment) => {
      if (!hasGlobChars(segment)) return segment;
      let out = '';
      let inClass = false;
      for (let i = 0; i < segment.length; i++) {
        let ch = segment[i] ?? '';
        if (ch === '\\' && i + 1 < segment.length) ch = segment[++i] ?? '';
        else if (ch === '[' && !inClass) {
          inClass = true;
          out += ch;
          continue;
        } else if (ch === ']' && inClass) {
          inClass = false;
          out += ch;
          continue;
        } else if (!/[A-Za-z]/.test(ch)) {
          out += ch;
          continue;
        }
        const other = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
        if (!/[A-Za-z]/.test(ch)) out += inClass ? ch : escapeGlob(ch);
        else out += inClass ? `${ch}${other}` : `[${ch}${other}]`;
      }
      return out;
    })
    .join('/')
    .replace(/^/, escapedGlob.startsWith('/') ? '/' : '');
}
