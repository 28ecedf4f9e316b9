/**
 * The ledger's figures: Merkle append throughput and audit-export verification, each printed as
 * a ratio against floors measured in the same run (raw SHA-256 and Ed25519 on this machine).
 *
 *   bun bench/src/ledger.bench.ts [--entries N] [--threads N]
 *
 * The export is generated once per size and cached in bench/out/ (git-ignored): signing a
 * million entries takes longer than verifying them.
 */
import { generateKeyPairSync, hash, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CompactRange, encodeEntry, leafHash, MemoryMerkleTree } from '@ceros/protocol';
import { runVerify } from '../../agent/src/commands/verify.ts';
import { buildFixtureExport } from '../../protocol/src/testing/ledger-fixture.ts';
import type { BenchLine } from './stats.ts';

const OUT = join(import.meta.dir, '..', 'out');
/** The budget: a 1,000,000-entry export verified in 20 s on a 2-core machine. */
const MILLION_TARGET_S = 20;

function rate(n: number, ms: number): string {
  const perSecond = (n / ms) * 1000;
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M/s` : `${Math.round(perSecond / 1000)} k/s`;
}

function time<T>(f: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = f();
  return { ms: performance.now() - started, value };
}

/** Floors: what SHA-256 and Ed25519 alone cost here, per operation, in milliseconds. */
function measureFloors(messages: readonly Uint8Array[]) {
  const n = Math.min(messages.length, 20_000);
  const sha = time(() => {
    for (let i = 0; i < n * 5; i++) hash('sha256', messages[i % n] as Uint8Array, 'buffer');
  });
  const node = new Uint8Array(65);
  const shaNode = time(() => {
    for (let i = 0; i < n * 5; i++) hash('sha256', node, 'buffer');
  });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const k = Math.min(n, 5000);
  const sigs = time(() => messages.slice(0, k).map((m) => sign(null, m, privateKey))).value;
  const ed = time(() => {
    for (let i = 0; i < k; i++) verify(null, messages[i] as Uint8Array, publicKey, sigs[i] as Buffer);
  });
  return {
    sha256Leaf: sha.ms / (n * 5),
    sha256Node: shaNode.ms / (n * 5),
    ed25519Verify: ed.ms / k,
  };
}

async function loadOrBuild(entries: number): Promise<{ text: string; logKey: string }> {
  const path = join(OUT, `ledger-${entries}.json`);
  const keyPath = join(OUT, `ledger-${entries}.key`);
  if (existsSync(path) && existsSync(keyPath))
    return { text: readFileSync(path, 'utf8'), logKey: readFileSync(keyPath, 'utf8').trim() };
  process.stderr.write(`generating a ${entries}-entry export (cached in ${path})...\n`);
  const { fixture, doc } = await buildFixtureExport({ entries, devices: 8, sessionsPerDevice: 4 });
  const text = JSON.stringify(doc);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path, text);
  writeFileSync(keyPath, fixture.logKey);
  return { text, logKey: fixture.logKey };
}

/** `ceros verify` in a fresh process, as an auditor runs it: read, parse and verify, timed inside. */
async function verifyInChild(
  path: string,
  logKey: string,
  args: string[],
): Promise<{ ms: number; cpuMs: number; exitCode: number; out: string }> {
  const child = Bun.spawn([process.execPath, import.meta.path, '--child', path, logKey, ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`child failed: ${err}`);
  return JSON.parse(out) as { ms: number; cpuMs: number; exitCode: number; out: string };
}

export async function runLedgerBench(
  options: { entries?: number; threads?: number } = {},
): Promise<BenchLine[]> {
  const entries = options.entries ?? 100_000;
  const threads = options.threads ?? availableParallelism();
  /** Threads that can run at once: the floor for signatures is the single-thread one over this. */
  const parallel = Math.max(1, Math.min(threads, availableParallelism()));
  const { text, logKey } = await loadOrBuild(entries);
  const path = join(OUT, `ledger-${entries}.json`);
  const lines: BenchLine[] = [];
  const scale = 1_000_000 / entries;
  const sizeMb = (text.length / 1e6).toFixed(0);

  // Merkle append: a leaf hash per entry plus ~1 node hash on average.
  const merkle = (() => {
    const parsed = time(() => JSON.parse(text) as { entries: unknown[] });
    const bytes = parsed.value.entries.map((e) => {
      const r = encodeEntry(e);
      if (!r.ok) throw new Error(r.error);
      return r.value.bytes;
    });
    const floors = measureFloors(bytes);
    const leaves = time(() => bytes.map((b) => leafHash(b)));
    const append = time(() => {
      const range = CompactRange.empty();
      for (const l of leaves.value) range.append(l);
      return range.root();
    });
    const stored = time(() => {
      const tree = new MemoryMerkleTree();
      for (const l of leaves.value) tree.appendLeafHash(l);
      return tree;
    });
    const proofs = time(() => {
      for (let i = 0; i < 1000; i++) stored.value.inclusionProof((i * 7919) % entries);
    });
    return {
      parseMs: parsed.ms,
      floors,
      leavesMs: leaves.ms,
      appendMs: append.ms,
      storedMs: stored.ms,
      proofMs: proofs.ms / 1000,
    };
  })();
  const { floors } = merkle;
  const appendFloor = entries * (floors.sha256Leaf + floors.sha256Node);
  lines.push(
    { name: 'cores', value: `${availableParallelism()} (verify threads: ${threads})` },
    { name: 'floor: SHA-256 of one entry', value: `${(floors.sha256Leaf * 1000).toFixed(2)} us` },
    { name: 'floor: SHA-256 of one node', value: `${(floors.sha256Node * 1000).toFixed(2)} us` },
    { name: 'floor: Ed25519 verify (1 thread)', value: `${(floors.ed25519Verify * 1000).toFixed(1)} us` },
    {
      name: `floor: every signature of 1M entries on ${parallel} cores`,
      value: `${((1e6 * floors.ed25519Verify) / parallel / 1000).toFixed(1)} s`,
    },
    {
      name: 'merkle append (leaf hash + compact range)',
      value: `${rate(entries, merkle.leavesMs + merkle.appendMs)}, ${((merkle.leavesMs + merkle.appendMs) / appendFloor).toFixed(2)}x the SHA-256 floor`,
    },
    {
      name: 'merkle append, every subtree kept (edge store)',
      value: `${rate(entries, merkle.leavesMs + merkle.storedMs)}, ${((merkle.leavesMs + merkle.storedMs) / appendFloor).toFixed(2)}x the floor`,
    },
    { name: 'inclusion proof from stored subtrees', value: `${(merkle.proofMs * 1000).toFixed(1)} us` },
    { name: `JSON.parse of the ${sizeMb} MB export`, value: `${(merkle.parseMs / 1000).toFixed(2)} s` },
  );

  // Export verification, each in a fresh process.
  const sigFloor = entries * floors.ed25519Verify;
  const fast = await verifyInChild(path, logKey, ['--fast']);
  if (fast.exitCode !== 0) throw new Error(`ceros verify --fast: ${fast.out}`);
  const hashFloor = entries * (2 * floors.sha256Leaf + floors.sha256Node);
  lines.push({
    name: `ceros verify --fast, ${entries} entries (read + parse + verify)`,
    value: `${(fast.ms / 1000).toFixed(2)} s (CPU ${(fast.cpuMs / 1000).toFixed(2)} s), ${(fast.ms / hashFloor).toFixed(1)}x the hashing floor, 1M at ~${((fast.ms * scale) / 1000).toFixed(1)} s`,
    target: `${MILLION_TARGET_S} s for 1M`,
    ok: (fast.ms * scale) / 1000 <= MILLION_TARGET_S,
  });
  const full = await verifyInChild(path, logKey, ['--threads', String(threads)]);
  if (full.exitCode !== 0) throw new Error(`ceros verify: ${full.out}`);
  lines.push({
    name: `ceros verify, every signature, ${threads} threads, ${entries} entries`,
    value: `${(full.ms / 1000).toFixed(2)} s (CPU ${(full.cpuMs / 1000).toFixed(2)} s), ${(full.ms / (sigFloor / parallel)).toFixed(2)}x the ${parallel}-core Ed25519 floor, 1M at ~${((full.ms * scale) / 1000).toFixed(1)} s`,
    target: `${MILLION_TARGET_S} s for 1M`,
    ok: (full.ms * scale) / 1000 <= MILLION_TARGET_S,
  });
  if (entries <= 200_000) {
    const one = await verifyInChild(path, logKey, ['--threads', '0']);
    if (one.exitCode !== 0) throw new Error(`ceros verify --threads 0: ${one.out}`);
    lines.push({
      name: `ceros verify, every signature, 1 thread, ${entries} entries`,
      value: `${(one.ms / 1000).toFixed(2)} s (CPU ${(one.cpuMs / 1000).toFixed(2)} s), ${(one.ms / sigFloor).toFixed(2)}x the 1-thread Ed25519 floor`,
    });
  }
  return lines;
}

if (import.meta.main && process.argv[2] === '--child') {
  const [path, logKey, ...args] = process.argv.slice(3);
  const ctx = { env: {}, cwd: OUT, readStdin: async () => '', progress: () => {} };
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await runVerify([path ?? '', '--log-key', logKey ?? '', ...args], ctx);
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    JSON.stringify({
      ms: performance.now() - started,
      // Every thread of the process: the main thread and the signature workers.
      cpuMs: (used.user + used.system) / 1000,
      exitCode: result.exitCode,
      out: result.stdout + result.stderr,
    }),
  );
} else if (import.meta.main) {
  const arg = (name: string) =>
    process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : undefined;
  const { printLines } = await import('./stats.ts');
  const entries = arg('--entries');
  const threads = arg('--threads');
  const lines = await runLedgerBench({
    ...(entries === undefined ? {} : { entries }),
    ...(threads === undefined ? {} : { threads }),
  });
  process.stdout.write(printLines('ledger', lines));
}
