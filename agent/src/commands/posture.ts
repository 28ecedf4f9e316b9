import { resolve } from 'node:path';
import {
  type Ancestry,
  type CacheLoadReport,
  createBunFileHasher,
  createHashCache,
  defaultHashCacheFile,
} from '../ancestry/index.ts';
import { type CommandContext, type CommandResult, EXIT, fail, ok } from '../cli/command.ts';
import {
  captureTrust,
  type PostureProbes,
  type PostureSnapshot,
  PROBE_NAMES,
  type ProbeName,
  type TrustCapture,
} from '../posture/index.ts';
import { VERSION } from '../version.ts';

export const POSTURE_HELP = `Usage: ceros posture [--json] [--no-cache] [--project DIR] [--claude PATH]

Captures this device's posture and the ancestry of this ceros process the way a session start
does, and prints every probe with its verdict (ok, failed or unknown), the evidence it read and
the time it took.

  --json          The snapshot, the ancestry and their digests as one JSON document
  --no-cache      Hash every executable again; the hash cache file is neither read nor written
  --project DIR   The project folder whose volume is checked for encryption (default: here)
  --claude PATH   The Claude Code binary to identify (default: node_modules, then PATH)

Executable hashes are cached in $CEROS_HOME/cache/exe-hashes.json, keyed by device, inode, size,
mtime and ctime: a changed file is always hashed again.
`;

interface PostureArgs {
  json: boolean;
  cache: boolean;
  project: string | undefined;
  claude: string | undefined;
}

function parseArgs(argv: readonly string[]): { ok: true; value: PostureArgs } | { ok: false; error: string } {
  const args: PostureArgs = { json: false, cache: true, project: undefined, claude: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') args.json = true;
    else if (arg === '--no-cache') args.cache = false;
    else if (arg === '--project' || arg === '--claude') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--'))
        return { ok: false, error: `Missing a value after "${arg}"` };
      if (arg === '--project') args.project = value;
      else args.claude = value;
    } else return { ok: false, error: `Unknown option "${arg}"` };
  }
  return { ok: true, value: args };
}

export async function runPosture(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  if (argv.includes('--help') || argv.includes('-h')) return ok(POSTURE_HELP);
  const parsed = parseArgs(argv);
  if (!parsed.ok) return fail(`ceros posture: ${parsed.error}\n\n${POSTURE_HELP}`, EXIT.USAGE);
  const args = parsed.value;
  const warnings: string[] = [];
  const hashFile = createBunFileHasher();
  const owner = process.getuid?.();
  const hashCache = createHashCache({
    file: args.cache ? defaultHashCacheFile(ctx.env) : null,
    hashFile,
    ...(owner === undefined ? {} : { owner }),
  });
  let capture: TrustCapture;
  let load: CacheLoadReport = { loaded: 0 };
  try {
    load = hashCache.load();
    if (load.ignored !== undefined)
      warnings.push(`Ignored the hash cache "${hashCache.file}": ${load.ignored}`);
    capture = await captureTrust({
      env: ctx.env,
      cwd: ctx.cwd,
      projectDir: resolve(ctx.cwd, args.project ?? '.'),
      cerosVersion: VERSION,
      cerosBinary: process.execPath,
      ...(args.claude === undefined ? {} : { claudeBinary: resolve(ctx.cwd, args.claude) }),
      hashCache,
      pid: process.pid,
    });
    try {
      hashCache.save();
    } catch (error) {
      warnings.push(`Cannot save the hash cache "${hashCache.file}": ${(error as Error).message}`);
    }
  } finally {
    hashFile.close();
  }
  const stderr = warnings.map((w) => `ceros posture: ${w}\n`).join('');
  const stats = hashCache.stats();
  if (args.json) {
    const body = {
      posture: capture.posture,
      postureDigest: capture.postureDigest,
      ancestry: capture.ancestry,
      ancestryDigest: capture.ancestryDigest,
      ...(capture.ancestryError === undefined ? {} : { ancestryError: capture.ancestryError }),
      ms: capture.ms,
      hashCache: { file: hashCache.file, loaded: load.loaded, hits: stats.hits, misses: stats.misses },
    };
    return ok(`${JSON.stringify(body, null, 2)}\n`, stderr);
  }
  const cacheNote =
    hashCache.file === null ? 'hash cache off' : `hash cache: ${stats.hits} hits, ${stats.misses} misses`;
  return ok(formatCapture(capture, cacheNote), stderr);
}

function summarize(name: ProbeName, probes: PostureProbes): string {
  const probe = probes[name];
  if (probe.value === undefined) return '-';
  switch (name) {
    case 'os':
      return probes.os.value?.name ?? '-';
    case 'kernel':
      return probes.kernel.value?.release ?? '-';
    case 'user': {
      const user = probes.user.value;
      return `${user?.name ?? '?'} (uid ${user?.uid ?? '?'})`;
    }
    case 'diskEncryption':
      return (probes.diskEncryption.value?.volumes ?? [])
        .map((v) => `${v.role} ${v.status}${v.mechanism ? ` (${v.mechanism})` : ''}`)
        .join(', ');
    case 'firewall': {
      const firewall = probes.firewall.value;
      return firewall ? `${firewall.source} ${firewall.enabled ? 'on' : 'off'}` : '-';
    }
    case 'screenLock': {
      const lock = probes.screenLock.value;
      if (!lock) return '-';
      return lock.enabled ? `locks after ${lock.delaySeconds ?? '?'} s` : 'no automatic lock';
    }
    case 'endpointProtection': {
      const running = probes.endpointProtection.value?.running ?? [];
      return running.length > 0 ? `running: ${running.join(', ')}` : 'none running';
    }
    case 'codeIntegrity':
      return Object.entries(probes.codeIntegrity.value ?? {})
        .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`)
        .join(', ');
    case 'ceros':
    case 'claudeCode': {
      const binary = probes[name].value;
      return binary ? `${binary.version ?? 'version ?'} sha256 ${binary.sha256.slice(0, 16)}...` : '-';
    }
    default:
      return String(probe.value);
  }
}

function formatPosture(snapshot: PostureSnapshot): string[] {
  const lines = ['  PROBE               STATUS       TIME  VALUE'];
  for (const name of PROBE_NAMES) {
    const probe = snapshot.probes[name];
    const time = `${probe.ms.toFixed(1)} ms`;
    lines.push(
      `  ${name.padEnd(19)} ${probe.status.padEnd(8)} ${time.padStart(9)}  ${summarize(name, snapshot.probes)}`,
    );
    lines.push(`${' '.repeat(42)}${probe.evidence}`);
  }
  return lines;
}

function formatAncestry(ancestry: Ancestry): string[] {
  const lines = [
    `Ancestry of pid ${ancestry.pid}: ${ancestry.chain.length} processes, ${ancestry.complete ? 'complete' : `incomplete (${ancestry.stop})`}, ${ancestry.ms.toFixed(1)} ms`,
  ];
  for (const process of ancestry.chain) {
    const hash =
      process.sha256 === null
        ? `no hash (${process.hashError ?? 'unknown'})`
        : `sha256 ${process.sha256.slice(0, 16)}...`;
    lines.push(
      `  ${String(process.pid).padStart(7)}  ${process.name.padEnd(16)} uid ${(process.uid ?? '?').padEnd(5)} ${hash}  ${process.exe ?? '(executable unreadable)'}`,
    );
  }
  return lines;
}

function formatCapture(capture: TrustCapture, cacheNote: string): string {
  const { posture } = capture;
  const lines = [
    `Posture of ${posture.platform} at ${posture.capturedAt}: ${posture.totalMs.toFixed(1)} ms (${cacheNote})`,
    '',
    ...formatPosture(posture),
    '',
    ...(capture.ancestry
      ? formatAncestry(capture.ancestry)
      : [`Ancestry unavailable: ${capture.ancestryError ?? 'unknown error'}`]),
    '',
    `Posture digest   ${capture.postureDigest}`,
    `Ancestry digest  ${capture.ancestryDigest ?? '-'}`,
    `Posture and ancestry together: ${capture.ms.toFixed(1)} ms`,
  ];
  return `${lines.join('\n')}\n`;
}
