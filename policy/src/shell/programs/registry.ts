import type { Handler } from '../analyze.ts';

/**
 * The program table: which handler analyses a program, by name. Each family module
 * (`coreutils.ts`, `vcs.ts`...) declares its handlers with its own `define()` into a family, and
 * `index.ts` composes the families into one table. Nothing registers by import side effect, and
 * no family imports the analyzer at run time (only its types), so analyze.ts -> programs is the
 * only direction.
 */
export type Define = (names: string | readonly string[], handler: Handler) => void;

export interface ProgramFamily {
  readonly name: string;
  readonly handlers: ReadonlyMap<string, Handler>;
}

export function createFamily(name: string): { family: ProgramFamily; define: Define } {
  const handlers = new Map<string, Handler>();
  const define: Define = (names, handler) => {
    for (const program of typeof names === 'string' ? [names] : names) handlers.set(program, handler);
  };
  return { family: { name, handlers }, define };
}

export interface ProgramTable {
  /** The handler for a program name; `python3.12` and `gcc-13` fall back to `python` and `gcc`, then to the fallback. */
  handlerFor(name: string): Handler;
  /** The family that defines `name` exactly, if any. */
  familyOf(name: string): string | undefined;
  readonly families: readonly ProgramFamily[];
}

/** Composes families; a name defined by two families is a programming error. */
export function createProgramTable(families: readonly ProgramFamily[], fallback: Handler): ProgramTable {
  const handlers = new Map<string, Handler>();
  const owners = new Map<string, string>();
  for (const family of families) {
    for (const [name, handler] of family.handlers) {
      const owner = owners.get(name);
      if (owner !== undefined)
        throw new Error(`Cannot define program "${name}" in "${family.name}": "${owner}" defines it`);
      owners.set(name, family.name);
      handlers.set(name, handler);
    }
  }
  return {
    families,
    familyOf: (name) => owners.get(name),
    handlerFor(name: string): Handler {
      const direct = handlers.get(name);
      if (direct) return direct;
      const unversioned = name.replace(/(?<=[a-z])-?\d+(?:\.\d+)*$/, '');
      return handlers.get(unversioned) ?? fallback;
    },
  };
}
