/**
 * Issue 4's figures: posture plus ancestry as a session start captures them (`captureTrust`),
 * with an empty hash cache (cold: Claude Code's ~245 MB binary and ceros's own hashed) and with a
 * warm one, against the SHA-256 floor of the same files measured in the same run:
 *
 * - sequential floor: every distinct executable of the capture hashed one after another on one
 *   thread, with the same method the hasher uses (CryptoHasher over a read-only mapping);
 * - critical-path floor: the largest of them alone, the least a parallel capture can take.
 *
 * Cold and floor samples are interleaved so both see the same load (2 shared cores here). Files
 * are in the page cache after the first sample: a first run after boot reads the disk too.
 * The "Claude Code process" is a stand-in (a copy of /bin/sleep): starting the real CLI would
 * need a network; its binary is hashed through the posture probe either way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBunFileHasher, createHashCache } from '../../agent/src/ancestry/index.ts';
import { captureTrust, findClaudeBinary, type TrustCapture } from '../../agent/src/posture/index.ts';
import { type BenchLine, fmt, median, percentile, printLines } from './stats.ts';

export interface PostureBenchOptions {
  coldSamples?: number;
  warmSamples?: number;
  log?: (line: string) => void;
}

export interface PostureBenchResult {
  cold: { p50: number; p99: number };
  warm: { p50: number; p99: number };
  floor: { sequentialMs: number; criticalPathMs: number; bytes: number; files: number; gbPerSecond: number };
  lines: BenchLine[];
}

const ROOT = join(import.meta.dir, '..', '..');
export const COLD_TARGET_MS = 250;
export const WARM_TARGET_MS = 15;

/** The distinct executables a capture hashed (by content), with their sizes. */
function hashedFiles(capture: TrustCapture): { path: string; size: number }[] {
  const bySha = new Map<string, string>();
  const { ceros, claudeCode } = capture.posture.probes;
  for (const binary of [claudeCode.value, ceros.value]) if (binary) bySha.set(binary.sha256, binary.path);
  for (const process of capture.ancestry?.chain ?? [])
    if (process.sha256 !== null && !bySha.has(process.sha256))
      bySha.set(process.sha256, `/proc/${process.pid}/exe`);
  return [...bySha.values()].map((path) => ({ path, size: statSync(path).size }));
}

export async function runPostureBench(options: PostureBenchOptions = {}): Promise<PostureBenchResult> {
  const coldSamples = options.coldSamples ?? 12;
  const warmSamples = options.warmSamples ?? 40;
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'ceros-posture-bench-'));
  const standIn = join(dir, 'claude-stand-in');
  copyFileSync('/bin/sleep', standIn);
  const child: ChildProcess = spawn(standIn, ['600'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const claude = findClaudeBinary({ env: process.env, searchFrom: [ROOT] });
  if (!claude)
    throw new Error('Cannot run the posture bench: no Claude Code binary under node_modules or on PATH');
  const base = {
    env: process.env,
    cwd: ROOT,
    projectDir: ROOT,
    cerosVersion: 'bench',
    cerosBinary: process.execPath,
    claudeBinary: claude.path,
    pid: child.pid as number,
  };
  // The floor uses the same hashing, on the calling thread only.
  const floorHasher = createBunFileHasher({ workers: 0 });
  try {
    // Priming: loads modules and fills the page cache, so samples measure hashing, not disk reads.
    const primingHasher = createBunFileHasher();
    const priming = await captureTrust({
      ...base,
      hashCache: createHashCache({ file: null, hashFile: primingHasher }),
    });
    primingHasher.close();
    const files = hashedFiles(priming);
    const largest = files.reduce((a, b) => (b.size > a.size ? b : a));
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    log(
      `hashing ${files.length} files, ${(bytes / 1e6).toFixed(0)} MB; largest ${(largest.size / 1e6).toFixed(0)} MB`,
    );

    const cold: number[] = [];
    const sequential: number[] = [];
    const critical: number[] = [];
    for (let i = 0; i < coldSamples; i++) {
      let started = performance.now();
      for (const file of files) await floorHasher.hash(file.path, file.size);
      sequential.push(performance.now() - started);
      started = performance.now();
      await floorHasher.hash(largest.path, largest.size);
      critical.push(performance.now() - started);
      // Cold: a new hasher (workers start as they would in a fresh ceros) and an empty cache.
      started = performance.now();
      const hasher = createBunFileHasher();
      await captureTrust({ ...base, hashCache: createHashCache({ file: null, hashFile: hasher }) });
      cold.push(performance.now() - started);
      hasher.close();
    }

    const warmHasher = createBunFileHasher();
    const warmCache = createHashCache({ file: null, hashFile: warmHasher });
    await captureTrust({ ...base, hashCache: warmCache });
    const warm: number[] = [];
    for (let i = 0; i < warmSamples; i++) {
      const started = performance.now();
      await captureTrust({ ...base, hashCache: warmCache });
      warm.push(performance.now() - started);
    }
    warmHasher.close();

    const result = {
      cold: { p50: median(cold), p99: percentile(cold, 99) },
      warm: { p50: median(warm), p99: percentile(warm, 99) },
      floor: {
        sequentialMs: median(sequential),
        criticalPathMs: median(critical),
        bytes,
        files: files.length,
        gbPerSecond: bytes / 1e9 / (median(sequential) / 1000),
      },
    };
    const ratio = (value: number, floor: number) => `${(value / floor).toFixed(2)}x`;
    const lines: BenchLine[] = [
      {
        name: 'cold capture p50 (empty hash cache)',
        value: fmt(result.cold.p50, 1),
        target: `<= ${COLD_TARGET_MS} ms`,
        ok: result.cold.p50 <= COLD_TARGET_MS,
      },
      { name: 'cold capture p99', value: fmt(result.cold.p99, 1) },
      {
        name: 'warm capture p50',
        value: fmt(result.warm.p50, 1),
        target: `<= ${WARM_TARGET_MS} ms`,
        ok: result.warm.p50 <= WARM_TARGET_MS,
      },
      { name: 'warm capture p99', value: fmt(result.warm.p99, 1) },
      {
        name: 'floor: SHA-256 of the same files, 1 thread',
        value: `${fmt(result.floor.sequentialMs, 1)} (${files.length} files, ${(bytes / 1e6).toFixed(0)} MB, ${result.floor.gbPerSecond.toFixed(2)} GB/s)`,
      },
      { name: 'floor: largest file alone (critical path)', value: fmt(result.floor.criticalPathMs, 1) },
      { name: 'cold p50 / 1-thread floor', value: ratio(result.cold.p50, result.floor.sequentialMs) },
      { name: 'cold p50 / critical-path floor', value: ratio(result.cold.p50, result.floor.criticalPathMs) },
    ];
    return { ...result, lines };
  } finally {
    floorHasher.close();
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const started = performance.now();
  const result = await runPostureBench({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(
    printLines(`posture (${((performance.now() - started) / 1000).toFixed(1)} s)`, result.lines),
  );
}
