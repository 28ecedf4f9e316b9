import { archive } from './archive.ts';
import { build } from './build.ts';
import { builtins } from './builtins.ts';
import { containers } from './containers.ts';
import { coreutils } from './coreutils.ts';
import { databases } from './databases.ts';
import { generic } from './helpers.ts';
import { interpreters } from './interpreters.ts';
import { network } from './network.ts';
import { packageManagers } from './package-managers.ts';
import { createProgramTable, type ProgramFamily, type ProgramTable } from './registry.ts';
import { search } from './search.ts';
import { text } from './text.ts';
import { vcs } from './vcs.ts';
import { wrappers } from './wrappers.ts';

/**
 * What ceros knows about programs: which arguments are files (read or written, recursively or
 * not), which are hosts, which are code (`bash -c`, `python -c`) and which wrap another command
 * (`sudo`, `env`, `xargs`, `find -exec`). A program not listed gets the generic treatment: every
 * argument may be a file it reads or writes, which is the safe default for unknown programs.
 */
export const FAMILIES: readonly ProgramFamily[] = [
  builtins,
  coreutils,
  search,
  text,
  archive,
  wrappers,
  interpreters,
  packageManagers,
  build,
  network,
  containers,
  vcs,
  databases,
];

export const PROGRAMS: ProgramTable = createProgramTable(FAMILIES, generic);

export { producerOutput } from './producers.ts';
