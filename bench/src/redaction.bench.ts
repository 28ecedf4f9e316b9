/**
 * Issue 17's redaction figures. Throughput of the journal's redaction (privacy tier, every
 * vendored gitleaks rule, the entropy check) on typical tool output, against a plain scan of the
 * same bytes measured in the same run; its p50/p99 per entry; and the hook round trip (a spawned
 * `ceros hook PreToolUse`, the socket, the decision journaled with fdatasync) with redaction and
 * without it, and while a large tool output is being redacted, each as a ratio.
 *
 * Throughput is CPU time of this one thread (process.cpuUsage), so that other jobs on the machine
 * do not count against it; wall time is printed beside it.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyDetector, redactSync } from '@ceros/policy';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import { NO_POLICY } from '../../agent/src/decide/decision.ts';
import { lockExclusive, unlock } from '../../agent/src/journal/flock.ts';
import { openJournalWriter } from '../../agent/src/journal/journal.ts';
import { createFileKeystore } from '../../agent/src/keystore/file.ts';
import { createHookPeerVerifier, TRUSTING_VERIFIER } from '../../agent/src/session/hook-peer.ts';
import { createLinuxPeerFacts } from '../../agent/src/session/hook-peer-linux.ts';
import { createSessionKeys, loadOrCreateDevice } from '../../agent/src/session/identity.ts';
import { createSessionCore } from '../../agent/src/session/session-core.ts';
import { serveHookSocket } from '../../agent/src/session/socket-server.ts';
import { type BenchLine, fmt, percentile } from './stats.ts';

const ROOT = join(import.meta.dir, '..', '..');
const CEROS = join(ROOT, 'dist', 'ceros');

/** Deterministic pseudo-random numbers, so every run measures the same corpus. */
function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
}

/**
 * What tools print in a coding session: source files (Read), listings, test and build logs,
 * JSON (package manifests, API answers) and git logs, in outputs of 200 B to 30 KB (Claude Code
 * cuts Bash output at 30,000 characters), with a few secrets among them.
 */
export function typicalToolOutputs(totalBytes: number): string[] {
  const random = rng(17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const files = Bun.spawnSync(
    ['git', 'ls-files', '*.ts', '*.tsx', '*.md', 'package.json', '*/package.json'],
    {
      cwd: ROOT,
    },
  )
    .stdout.toString()
    .trim()
    .split('\n');
  const sources = files.slice(0, 300).map((f) => {
    try {
      return readFileSync(join(ROOT, f), 'utf8');
    } catch {
      return '';
    }
  });
  const hex = (n: number) =>
    Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
  const generators: (() => string)[] = [
    () => {
      const s = pick(sources);
      const start = Math.floor(random() * Math.max(1, s.length - 20_000));
      return s.slice(start, start + 500 + Math.floor(random() * 20_000));
    },
    () =>
      Array.from(
        { length: 20 + Math.floor(random() * 200) },
        (_, i) =>
          `-rw-r--r--  1 dev dev ${Math.floor(random() * 99999)} Dec  8 04:${String(i % 60).padStart(2, '0')} src/file-${hex(6)}.ts`,
      ).join('\n'),
    () =>
      Array.from({ length: 30 + Math.floor(random() * 300) }, (_, i) =>
        pick([
          `(pass) module ${i} > does the thing it says [${(random() * 40).toFixed(2)}ms]`,
          `npm warn deprecated package-${hex(4)}@1.${i}.0: use something else`,
          `  at Object.<anonymous> (/home/dev/project/src/x${i}.ts:${i}:${i % 40})`,
          `[build] compiled ${i} modules in ${Math.floor(random() * 900)} ms`,
        ]),
      ).join('\n'),
    () =>
      JSON.stringify(
        {
          name: `pkg-${hex(4)}`,
          version: '1.2.3',
          items: Array.from({ length: 10 + Math.floor(random() * 100) }, (_, i) => ({
            id: i,
            sha: hex(40),
            path: `/srv/data/${hex(8)}/${i}.json`,
            ok: random() > 0.1,
          })),
        },
        null,
        2,
      ),
    () =>
      Array.from(
        { length: 10 + Math.floor(random() * 80) },
        () =>
          `commit ${hex(40)}\nAuthor: Dev <dev@acme.test>\nDate:   Tue Dec 8 04:00:00 2026\n\n    Fix the thing in ${hex(6)}\n`,
      ).join('\n'),
  ];
  const outputs: string[] = [];
  let total = 0;
  while (total < totalBytes) {
    let text = pick(generators)();
    if (random() < 0.02) text += `\nexport ANTHROPIC_API_KEY=sk-ant-api03-${hex(93)}AA\n`;
    if (random() < 0.02) text += `\ntoken: ghp_${hex(36)}\n`;
    outputs.push(text);
    total += text.length;
  }
  return outputs;
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function benchRedactionThroughput(totalBytes: number): Promise<BenchLine[]> {
  const outputs = typicalToolOutputs(totalBytes);
  const bytes = outputs.reduce((n, s) => n + s.length, 0);
  const detector = policyDetector(undefined);
  const keyedHash = (s: string) => createHmac('sha256', 'bench').update(s).digest('hex');
  const payloads = outputs.map((stdout) => ({
    toolName: 'Bash',
    response: { stdout, stderr: '', interrupted: false },
  }));
  // Warm-up: JIT and the rules' lazy compilation.
  for (const p of payloads.slice(0, 50)) redactSync(p, detector, { keyedHash });

  // Baseline: a plain scan of the same bytes (serialize the payload, look for one literal).
  let found = 0;
  const baseCpu = process.cpuUsage();
  const baseWall = performance.now();
  for (const p of payloads) if (JSON.stringify(p).indexOf('sk-ant-') !== -1) found++;
  const baselineMs = Math.max(cpuMs(baseCpu), 0.001);
  const baselineWall = performance.now() - baseWall;

  const perEntry: number[] = [];
  let replaced = 0;
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (const p of payloads) {
    const started = performance.now();
    const result = redactSync(p, detector, { keyedHash, maxMillis: 60_000 });
    perEntry.push(performance.now() - started);
    for (const n of Object.values(result.counts)) replaced += n;
  }
  const redactionMs = cpuMs(cpu);
  const redactionWall = performance.now() - wall;
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);

  // One large output (a 1 MB log), as the asynchronous path sees it in the session.
  const large = { toolName: 'Bash', response: { stdout: outputs.join('\n').slice(0, 1_000_000) } };
  const largeStart = performance.now();
  redactSync(large, detector, { keyedHash, maxMillis: 60_000 });
  const largeMs = performance.now() - largeStart;

  return [
    {
      name: `redaction throughput, ${(bytes / 1e6).toFixed(1)} MB of tool output in ${payloads.length} entries, one core`,
      value: `${mbps(redactionMs).toFixed(1)} MB/s CPU (wall ${mbps(redactionWall).toFixed(1)} MB/s); plain scan of the same bytes ${mbps(baselineMs).toFixed(0)} MB/s CPU (wall ${mbps(baselineWall).toFixed(0)}), ${(redactionMs / baselineMs).toFixed(0)}x its cost; ${replaced} secrets replaced (${found} entries hold an Anthropic key)`,
      target: '>= 20 MB/s',
      ok: mbps(redactionMs) >= 20,
    },
    {
      name: 'redaction per entry (200 B - 30 KB), wall',
      value: `p50 ${fmt(percentile(perEntry, 50), 3)}, p99 ${fmt(percentile(perEntry, 99), 3)}, max ${fmt(Math.max(...perEntry), 3)}`,
    },
    { name: 'redaction of one 1 MB output, wall', value: fmt(largeMs, 1) },
  ];
}

async function hookServer(home: string, redact: boolean) {
  const device = await loadOrCreateDevice(home, createFileKeystore(join(home, 'keys')));
  const keys = await createSessionKeys(device, randomUUID(), {
    user: null,
    postureDigest: null,
    ancestryDigest: null,
    policyHash: null,
  });
  const journal = openJournalWriter({
    dir: join(home, 'journal'),
    device: device.record.deviceId,
    session: keys.sessionId,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
    ...(redact ? {} : { redactor: false as const }),
  });
  journal.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
  // As claude.ts records: large outputs nothing waits on go through record().
  let pending: Promise<unknown> = Promise.resolve();
  const core = createSessionCore({
    recorder: {
      append: (type, payload) => {
        const entry = journal.record(type, payload);
        if (entry instanceof Promise) pending = entry;
        return entry;
      },
    },
    decide: NO_POLICY,
    projectDir: home,
    ready: Promise.resolve(),
  });
  const socket = join(home, 'h.sock');
  // The bench spawns the hooks itself, so it plays Claude Code for the peer check.
  const server = await serveHookSocket(
    socket,
    core,
    createHookPeerVerifier({
      facts: createLinuxPeerFacts(),
      uid: process.getuid?.() ?? 0,
      agentPid: () => process.pid,
    }),
  );
  return {
    core,
    socket,
    drain: () => pending,
    close: () => {
      server.close();
      journal.close();
    },
  };
}

export async function benchHookWithRedaction(calls: number): Promise<BenchLine[]> {
  const homes = [
    mkdtempSync(join(tmpdir(), 'ceros-bench-r1-')),
    mkdtempSync(join(tmpdir(), 'ceros-bench-r0-')),
  ];
  const withRedaction = await hookServer(homes[0] as string, true);
  const without = await hookServer(homes[1] as string, false);
  const payload = (cwd: string, i: number) =>
    Buffer.from(
      JSON.stringify({
        session_id: 's',
        transcript_path: '/t',
        cwd,
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: {
          command: `git commit -m "change ${i}" && npm test -- --reporter dot`,
          description: 'Commit',
        },
        tool_use_id: `toolu_${i}`,
      }),
    );
  const time = async (socket: string, cwd: string, i: number) => {
    const started = performance.now();
    const child = Bun.spawn([CEROS, 'hook', 'PreToolUse', '--socket', socket], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdin: payload(cwd, i),
      stdout: 'pipe',
      stderr: 'ignore',
    });
    await new Response(child.stdout).arrayBuffer();
    await child.exited;
    return performance.now() - started;
  };
  const big = typicalToolOutputs(4_000_000).join('\n').slice(0, 4_000_000);
  const postToolUse = (i: number) =>
    JSON.stringify({
      session_id: 's',
      transcript_path: '/t',
      cwd: homes[0],
      hook_event_name: 'PostToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'cat build.log' },
      tool_response: { stdout: big, stderr: '' },
      tool_use_id: `toolu_big_${i}`,
    });
  const on: number[] = [];
  const off: number[] = [];
  const busy: number[] = [];
  for (let i = 0; i < 10; i++) {
    await time(withRedaction.socket, homes[0] as string, i);
    await time(without.socket, homes[1] as string, i);
  }
  for (let i = 0; i < calls; i++) {
    on.push(await time(withRedaction.socket, homes[0] as string, i));
    off.push(await time(without.socket, homes[1] as string, i));
  }
  // A 4 MB tool output arrives (PostToolUse) just before each decision: the decision must not
  // wait for its redaction.
  const busyOff: number[] = [];
  const busyCalls = Math.max(10, Math.floor(calls / 10));
  for (let i = 0; i < busyCalls; i++) {
    for (const [server, home, samples] of [
      [withRedaction, homes[0], busy],
      [without, homes[1], busyOff],
    ] as const) {
      const recording = server.core.handleHook('PostToolUse', postToolUse(i), {
        pid: null,
        peer: TRUSTING_VERIFIER.socket(null),
      });
      samples.push(await time(server.socket, home as string, 1000 + i));
      await recording;
      await server.drain();
    }
  }
  withRedaction.close();
  without.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
  const p50 = (s: number[]) => percentile(s, 50);
  const p99 = (s: number[]) => percentile(s, 99);
  return [
    {
      name: `hook round trip with redaction vs without, ${calls} calls each`,
      value: `p50 ${fmt(p50(on))} vs ${fmt(p50(off))} (ratio ${(p50(on) / p50(off)).toFixed(2)}x), p99 ${fmt(p99(on))} vs ${fmt(p99(off))}`,
      target: 'ratio <= 1.1',
      ok: p50(on) / p50(off) <= 1.1,
    },
    {
      name: `hook round trip while a 4 MB tool output is recorded, ${busyCalls} calls each`,
      value: `with redaction p50 ${fmt(p50(busy))}, p99 ${fmt(p99(busy))}; without p50 ${fmt(p50(busyOff))}, p99 ${fmt(p99(busyOff))} (ratio ${(p50(busy) / p50(busyOff)).toFixed(2)}x; idle p50 ${fmt(p50(on))})`,
    },
  ];
}
