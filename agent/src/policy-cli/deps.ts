import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  createShellParser,
  type ReaddirFn,
  type RealpathFn,
  type ShellParser,
  type ShellParserOptions,
} from '@ceros/policy';
import type { CommandContext } from '../cli/command.ts';
import { readdirEntries } from './readdir.ts';
import { realpathDeepest } from './realpath.ts';

/** Capabilities the policy commands need; tests pass fakes (STYLE.md 2). */
export interface PolicyCliDeps {
  readFile(path: string): Promise<string>;
  /** Initialised once per process; the compiled binary passes its embedded wasm paths. */
  shellParser(): Promise<ShellParser>;
  realpath: RealpathFn;
  /** Folder listings for globs and link-following recursions; without it globs are checked as patterns. */
  readdir?: ReaddirFn;
  home: string;
  cerosHome: string;
  cerosBinary: string;
}

let parser: Promise<ShellParser> | undefined;

export interface DefaultDepsOptions {
  /** Embedded wasm paths or bytes in the compiled binary. */
  wasm?: ShellParserOptions;
  /** The ceros binary path; defaults to the running executable. */
  cerosBinary?: string;
}

export function defaultPolicyCliDeps(ctx: CommandContext, options: DefaultDepsOptions = {}): PolicyCliDeps {
  const home = ctx.env.HOME ?? homedir();
  const wasm = options.wasm ?? {};
  return {
    readFile: (path) => readFile(path, 'utf8'),
    shellParser: () => {
      parser ??= createShellParser(wasm);
      return parser;
    },
    realpath: realpathDeepest,
    readdir: readdirEntries,
    home,
    cerosHome: ctx.env.CEROS_HOME ?? join(home, '.ceros'),
    cerosBinary: options.cerosBinary ?? process.execPath,
  };
}
