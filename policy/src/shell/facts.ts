import type { Field } from './words.ts';

/**
 * What a shell command does, as far as static analysis can tell: the simple commands it runs
 * (after unwrapping `sudo`, `env`, `xargs`, `bash -c`...), the files it touches, the hosts it
 * contacts, and the parts that cannot be known without running it (opaque).
 */
export interface ShellAnalysis {
  commands: CommandFact[];
  paths: PathFact[];
  hosts: HostFact[];
  opaque: OpaqueFact[];
}

export interface CommandFact {
  /** Basename of the program (`/usr/bin/env` -> `env`). */
  name: string;
  /** The path as invoked, when it contained a slash. */
  path?: string;
  /**
   * True when the name resolves through an unmodified PATH or to a system folder: only then can
   * an allowlist entry `cat` vouch for it (`./cat` or `PATH=.:$PATH cat` is someone else's cat).
   */
  trusted: boolean;
  args: Field[];
  /** Wrappers it ran under, outermost first (`sudo`, `env`, `bash -c`...). */
  via: string[];
  text: string;
}

export type PathOp = 'read' | 'write' | 'any';

export type PathTarget =
  /** Absolute, deliberately not normalised: `link/../x` must be resolved physically. */
  | { kind: 'path'; raw: string }
  /** An absolute escaped glob (the shell expands it; the filesystem is not read here). */
  | { kind: 'glob'; raw: string; dot: boolean }
  /** Not statically known; `hint` is an escaped glob that covers the known part, if any. */
  | { kind: 'unknown'; hint?: string; text: string }
  /**
   * Files whose name matches `name` anywhere below `root` (absolute, not normalised): the include
   * filter of a search (`grep --include=.env`, `rg -g .env`, `git grep -- '*.env'`, Grep's glob).
   * `name` is a glob of names as those tools take it: `*` and `?` match a leading dot.
   */
  | { kind: 'search'; root: string; name: string; nocase?: boolean };

/** How a recursive access walks (PathFact.followsLinks, PathFact.deletes). */
export interface ListedLinks {
  name?: string;
  depth: 'all' | 1;
  folders: boolean;
}

export interface PathMarks {
  followsLinks?: boolean;
  listedLinks?: ListedLinks;
  deletes?: boolean;
  noFollow?: boolean;
}

export interface PathFact {
  op: PathOp;
  /** The operation reaches everything below the path (`rm -r`, `grep -r`, `tar c`, `mv`). */
  recursive: boolean;
  target: PathTarget;
  /** Who touches it: `cat argument`, `redirect >`, `find -exec`... */
  source: string;
  /** Checked only against deny lists and self-protection: literals found in opaque code, program files run by path. */
  denyListsOnly?: boolean;
  /** The recursion follows symlinks below the path (`grep -R`, `cp -rL`, `tar -h`, `find -L`, `zip -r`). */
  followsLinks?: boolean;
  /** The path is deleted or moved away (`rm`, `rmdir`, `mv` sources, `find -delete`, `git clean`). */
  deletes?: boolean;
  /**
   * The path is a folder whose listing a program opens (`find . -exec cat {} +`, `ls | xargs cat`):
   * symlinks among the listed names (matching `name`, down to `depth`) are followed when opened;
   * links to folders only when the program recurses into what it opens (`xargs grep -r`).
   */
  listedLinks?: ListedLinks;
  /** Checked only against self-protection (the files a `find -name X -delete` deletes, as a glob). */
  protectionOnly?: boolean;
  /** A symlink named by the path is not followed: `rm link`, `du link`, `mv link x`, `tar c link` act on the link itself. */
  noFollow?: boolean;
}

export interface HostFact {
  /** Lowercase host, or undefined when not statically known. */
  host: string | undefined;
  source: string;
}

export interface OpaqueFact {
  reason: string;
  /** The code that could not be analysed, for the path-literal scan and for messages. */
  text: string;
}

export function emptyAnalysis(): ShellAnalysis {
  return { commands: [], paths: [], hosts: [], opaque: [] };
}
