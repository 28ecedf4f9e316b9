import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname } from 'node:path';
import type { HashCache } from '../ancestry/hash-cache.ts';
import { findClaudeBinary, probeBinaryIdentity, readClaudeVersion } from './binaries.ts';
import { createDarwinProbes } from './darwin/probes.ts';
import { DEFAULT_EDR_CATALOG, type EdrProduct } from './edr.ts';
import { type CommandRunner, createNodeCommandRunner } from './exec.ts';
import { type HostInfo, nodeHostInfo } from './host.ts';
import { createLinuxProbes } from './linux/probes.ts';
import { failed, round, runProbe, unknown } from './probe.ts';
import type { PlatformProbes, PostureProbes, PostureSnapshot, ProbeOutcome } from './types.ts';
import { createWin32Probes } from './win32/probes.ts';

/** Per-probe deadline: far above the 3-8 ms the Linux probes take, below a hung NFS stat. */
export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
/** Hashing Claude Code's 245 MB binary from a cold disk can take seconds; warm it takes ~150 ms. */
export const DEFAULT_HASH_TIMEOUT_MS = 10_000;

export interface CapturePostureOptions {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** The folder Claude Code works in: its volume's encryption is checked. */
  projectDir: string;
  cerosVersion: string;
  hashCache: HashCache;
  /** Root for /proc, /sys and /etc reads on Linux: '/' live, a synthetic tree in tests. */
  root?: string;
  platform?: string;
  /** The home folder; defaults to $HOME (%USERPROFILE%) or the OS's answer. */
  home?: string;
  /** The Claude Code binary ceros launches. Omitted: searched for. null: none (probe fails). */
  claudeBinary?: string | null;
  /** ceros's own binary; defaults to the running executable. */
  cerosBinary?: string;
  edrCatalog?: readonly EdrProduct[];
  timeoutMs?: number;
  hashTimeoutMs?: number;
  exec?: CommandRunner;
  host?: HostInfo;
  pathExists?: (path: string) => boolean;
  now?: () => Date;
}

function platformProbes(
  options: CapturePostureOptions,
  platform: string,
  home: string,
  timeoutMs: number,
): PlatformProbes {
  const exec = options.exec ?? createNodeCommandRunner();
  const host = options.host ?? nodeHostInfo;
  const edrCatalog = options.edrCatalog ?? DEFAULT_EDR_CATALOG;
  const pathExists = options.pathExists ?? existsSync;
  const common = { exec, timeoutMs, home, projectDir: options.projectDir, edrCatalog };
  switch (platform) {
    case 'linux':
      return createLinuxProbes({ ...common, root: options.root ?? '/', env: options.env });
    case 'darwin':
      return createDarwinProbes({ ...common, host, pathExists });
    case 'win32':
      return createWin32Probes({ ...common, env: options.env, host, pathExists });
    default: {
      const none = async () => unknown<never>(`No posture probes for platform "${platform}"`);
      return {
        os: none,
        kernel: none,
        arch: none,
        hostname: none,
        user: none,
        diskEncryption: none,
        secureBoot: none,
        firewall: none,
        screenLock: none,
        endpointProtection: none,
        codeIntegrity: none,
      };
    }
  }
}

/**
 * Captures the device posture: every probe runs concurrently with its own deadline and timing,
 * and the two binary hashes (Claude Code's and ceros's own, the slow part) start first so the
 * hash workers are busy while the probes read the system.
 */
export async function capturePosture(options: CapturePostureOptions): Promise<PostureSnapshot> {
  const started = performance.now();
  const capturedAt = (options.now ?? (() => new Date()))().toISOString();
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const hashTimeoutMs = options.hashTimeoutMs ?? DEFAULT_HASH_TIMEOUT_MS;
  // Git Bash and MSYS set HOME to a POSIX-style path on Windows; USERPROFILE is the real one there.
  const envHome =
    platform === 'win32'
      ? (options.env.USERPROFILE ?? options.env.HOME)
      : (options.env.HOME ?? options.env.USERPROFILE);
  const home = options.home ?? envHome ?? homedir();

  const cerosBinary = options.cerosBinary ?? process.execPath;
  const claude =
    options.claudeBinary === null
      ? null
      : options.claudeBinary !== undefined
        ? { path: options.claudeBinary, via: 'given by the launcher' }
        : findClaudeBinary({
            env: options.env,
            searchFrom: [options.projectDir, options.cwd, dirname(cerosBinary)],
            platform,
          });
  options.hashCache.prefetch(claude ? [claude.path, cerosBinary] : [cerosBinary]);

  const fromSource = /^bun(\.exe)?$/i.test(basename(cerosBinary));
  const cerosContext = fromSource
    ? `ceros ${options.cerosVersion} runs from source: the runtime "${cerosBinary}" is hashed`
    : `ceros ${options.cerosVersion}`;
  const probes = platformProbes(options, platform, home, timeoutMs);
  const entries = await Promise.all([
    ...Object.entries(probes).map(
      async ([name, probe]) =>
        [
          name,
          await runProbe(probe as () => Promise<ProbeOutcome<unknown>> | ProbeOutcome<unknown>, timeoutMs),
        ] as const,
    ),
    runProbe(
      () =>
        probeBinaryIdentity(
          cerosBinary,
          { version: options.cerosVersion, evidence: 'version built in' },
          options.hashCache,
          cerosContext,
        ),
      hashTimeoutMs,
    ).then((result) => ['ceros', result] as const),
    runProbe(async () => {
      if (claude === null)
        return failed<never>('No Claude Code binary found (node_modules/@anthropic-ai/claude-code or PATH)');
      return probeBinaryIdentity(
        claude.path,
        readClaudeVersion(claude.path),
        options.hashCache,
        `found via ${claude.via}`,
      );
    }, hashTimeoutMs).then((result) => ['claudeCode', result] as const),
  ]);
  return {
    v: 1,
    platform,
    capturedAt,
    totalMs: round(performance.now() - started),
    probes: Object.fromEntries(entries) as unknown as PostureProbes,
  };
}
