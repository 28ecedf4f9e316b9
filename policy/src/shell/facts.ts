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
  | { kind: 'unknown'; hint?: string; text: string };

export interface PathFact {
  op: PathOp;
  /** The operation reaches everything below the path (`rm -r`, `grep -r`, `tar c`, `mv`). */
  recursive: boolean;
  target: PathTarget;
  /** Who touches it: `cat argument`, `redirect >`, `find -exec`... */
  source: string;
  /** Checked only against deny lists and self-protection: literals found in opaque code, program files run by path. */
  denyListsOnly?: boolean;
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
