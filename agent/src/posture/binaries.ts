import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import type { HashCache } from '../ancestry/hash-cache.ts';
import { failed, ok, unknown } from './probe.ts';
import type { BinaryIdentity, ProbeOutcome } from './types.ts';

export interface ClaudeBinaryLocation {
  path: string;
  /** How it was found, for the evidence. */
  via: string;
}

export interface FindClaudeOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Folders whose node_modules (and their parents') are searched first: the project, cwd, ceros's folder. */
  searchFrom: readonly string[];
  platform?: string;
  arch?: string;
  pathExists?: (path: string) => boolean;
}

/**
 * Where Claude Code's native binary is: an npm install
 * (node_modules/@anthropic-ai/claude-code/bin/claude.exe, which its postinstall fills with the
 * platform binary, or the platform package itself), else `claude` on PATH.
 */
export function findClaudeBinary(options: FindClaudeOptions): ClaudeBinaryLocation | null {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const exists = options.pathExists ?? existsSync;
  const executable = platform === 'win32' ? 'claude.exe' : 'claude';
  for (const start of options.searchFrom) {
    for (let dir = start; ; dir = dirname(dir)) {
      const modules = join(dir, 'node_modules', '@anthropic-ai');
      const candidates = [
        join(modules, 'claude-code', 'bin', 'claude.exe'),
        join(modules, `claude-code-${platform}-${arch}`, executable),
      ];
      for (const candidate of candidates)
        if (exists(candidate)) return { path: candidate, via: `node_modules under "${dir}"` };
      if (dirname(dir) === dir) break;
    }
  }
  for (const dir of (options.env.PATH ?? options.env.Path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, executable);
    if (exists(candidate)) return { path: candidate, via: 'PATH' };
  }
  return null;
}

/**
 * Claude Code's version without running it (`claude --version` starts the whole CLI): the npm
 * package.json beside the binary, or the native installer's `versions/<version>` file name.
 */
export function readClaudeVersion(path: string): { version: string | null; evidence: string } {
  const dir = dirname(path);
  for (const manifest of [join(dir, 'package.json'), join(dir, '..', 'package.json')]) {
    try {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
      if (
        typeof parsed.name === 'string' &&
        parsed.name.startsWith('@anthropic-ai/claude-code') &&
        typeof parsed.version === 'string'
      )
        return { version: parsed.version, evidence: `version from ${manifest}` };
    } catch {
      // Not an npm layout.
    }
  }
  try {
    const real = realpathSync(path);
    const name = basename(real);
    if (/^\d+\.\d+\.\d+/.test(name))
      return { version: name, evidence: `version from installer path "${real}"` };
  } catch {
    // Reported by the hash below.
  }
  return { version: null, evidence: 'version unknown (no package.json beside the binary)' };
}

/** Path, version and SHA-256 of a binary. A binary that cannot be hashed is unknown, never ok. */
export async function probeBinaryIdentity(
  path: string,
  version: { version: string | null; evidence: string },
  hashCache: HashCache,
  context: string,
): Promise<ProbeOutcome<BinaryIdentity>> {
  try {
    const hashed = await hashCache.hash(path);
    return ok(
      { path, version: version.version, sha256: hashed.sha256, size: hashed.size },
      // Whether the hash came from the cache is left out: the evidence is part of the digest.
      `${context}; sha256 of "${path}" (${hashed.size} bytes); ${version.evidence}`,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'HASH_FAILED' && !existsSync(path))
      return failed(`${context}; no binary at "${path}"`);
    return unknown(`${context}; ${(error as Error).message}`);
  }
}
