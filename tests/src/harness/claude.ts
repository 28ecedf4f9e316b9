/**
 * Helpers to run the real Claude Code CLI offline, against a scripted API, in a throwaway HOME.
 *
 * Why each environment variable is set is documented in {@link makeSandbox}; the experiments
 * behind them are in tests/src/harness/README.md.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Overrides the default Claude Code binary for every helper here (e.g. to try another build). */
export const CLAUDE_BIN_ENV = 'CEROS_E2E_CLAUDE';

/** A fake key in the `sk-ant-` shape; the scripted API accepts anything. */
export const TEST_API_KEY = 'sk-ant-test-00000000000000000000-ceros-e2e-key-0000';

/**
 * The Claude Code versions ceros supports, newest first, each installed by `npm ci` (package.json:
 * the current release as `@anthropic-ai/claude-code`, the oldest supported through an npm alias).
 * The first is the default of every helper here.
 */
export const SUPPORTED_CLAUDE_VERSIONS = ['2.1.337', '2.1.197'] as const;
export type ClaudeVersion = (typeof SUPPORTED_CLAUDE_VERSIONS)[number];
export const CURRENT_CLAUDE_VERSION: ClaudeVersion = SUPPORTED_CLAUDE_VERSIONS[0];

/** The npm package that holds each version (see package.json). */
const CLAUDE_PACKAGES: Readonly<Record<ClaudeVersion, string>> = {
  '2.1.337': '@anthropic-ai/claude-code',
  '2.1.197': 'claude-code-2.1.197',
};

/**
 * Resolves the native Claude Code binary of `version` (default: the current one) installed in
 * node_modules: `<package>/bin/claude.exe` (a copy of the native binary after postinstall), then
 * the platform package (`@anthropic-ai/claude-code-<os>-<arch>[-musl]/claude`) as the wrapper
 * package resolves it (npm nests the older version's). `CEROS_E2E_CLAUDE` overrides the default.
 * Throws when none is found, or when the package found is another version: every e2e test needs it.
 */
export function claudeBinaryPath(version?: ClaudeVersion): string {
  const override = process.env[CLAUDE_BIN_ENV];
  if (version === undefined && override !== undefined && override !== '') return override;
  const wanted = version ?? CURRENT_CLAUDE_VERSION;
  const root = createRequire(import.meta.url);
  const candidates: string[] = [];
  let from = root;
  try {
    const manifest = root.resolve(`${CLAUDE_PACKAGES[wanted]}/package.json`);
    const installed = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
    if (installed !== wanted)
      throw new Error(`"${CLAUDE_PACKAGES[wanted]}" is Claude Code ${installed}, not ${wanted}: run npm ci`);
    candidates.push(join(dirname(manifest), 'bin', 'claude.exe'));
    from = createRequire(manifest);
  } catch (error) {
    if (error instanceof Error && error.message.includes('run npm ci')) throw error;
    // Not installed as a package; the platform packages below may still be.
  }
  const exe = process.platform === 'win32' ? 'claude.exe' : 'claude';
  for (const suffix of ['', '-musl']) {
    try {
      const name = `@anthropic-ai/claude-code-${process.platform}-${process.arch}${suffix}`;
      const manifest = from.resolve(`${name}/package.json`);
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version === wanted)
        candidates.push(join(dirname(manifest), exe));
    } catch {
      // This platform variant is not installed.
    }
  }
  // The npm package ships a small placeholder at bin/claude.exe until postinstall copies the native
  // binary over it; anything under 1 MB is that placeholder.
  const found = candidates.find((path) => existsSync(path) && statSync(path).size > 1_000_000);
  if (found === undefined) {
    throw new Error(`Cannot find Claude Code ${wanted}: tried "${candidates.join('", "')}"`);
  }
  return found;
}

export interface SandboxOptions {
  /** ANTHROPIC_BASE_URL, normally `startScriptedApi(...).url` (or a ceros proxy in front of it). */
  baseUrl?: string;
  apiKey?: string;
  /**
   * Allow Claude Code's non-essential traffic (session-title requests, and DNS lookups of
   * api.anthropic.com for telemetry and feature flags). Default `false`: offline and deterministic.
   */
  nonessentialTraffic?: boolean;
  /** CLAUDE_CODE_MAX_RETRIES. Default 0, so an API error surfaces at once instead of after minutes. */
  maxRetries?: number;
  /** Extra environment variables, applied last. */
  env?: Record<string, string>;
  /** Merged into the seeded `~/.claude.json` (top level). */
  claudeJson?: Record<string, unknown>;
  /** Parent folder for the sandbox. Default: the OS temp folder. */
  parentDir?: string;
  /** The Claude Code version on the sandbox's PATH (`claude`). Default: the current one. */
  claudeVersion?: ClaudeVersion;
}

export interface Sandbox {
  /** The temporary HOME (mode 0700). */
  home: string;
  /** The Claude Code binary on the sandbox's PATH. */
  claude: string;
  /** A project folder inside HOME, trusted in `~/.claude.json`; use it as cwd. */
  project: string;
  /** A folder prepended to PATH holding a `claude` symlink to the real binary. */
  binDir: string;
  apiKey: string;
  /** The complete environment for the child: nothing is inherited but PATH. */
  env: Record<string, string>;
  /** Removes the whole sandbox. */
  cleanup(): void;
}

/**
 * Creates a throwaway HOME for one Claude Code run, so no onboarding, theme, workspace-trust or
 * API-key dialog appears and nothing from the developer's own `~/.claude` leaks in.
 *
 * The environment is built from scratch (PATH is the only inherited variable, so no CLAUDE_*,
 * ANTHROPIC_* or OTEL_* variable leaks in from the shell running the tests):
 * - `HOME`, `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`;
 * - `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`: without it 2.1.197 resolves api.anthropic.com at
 *   startup and sends a session-title request; with it strace shows no traffic but loopback;
 * - `DISABLE_AUTOUPDATER`, `DISABLE_TELEMETRY`, `DISABLE_ERROR_REPORTING`: covered by the line
 *   above in 2.1.197, kept explicit so a future version that splits them stays offline;
 * - `CLAUDE_CODE_MAX_RETRIES=0`: by default a 401 is retried with backoff for minutes and a 529
 *   three times; with 0 the error reaches the caller in about a second;
 * - `SHELL=/bin/bash`, `LANG=C.UTF-8` for stable tool output; no TERM, so a PTY supplies its own.
 */
export function makeSandbox(opts: SandboxOptions = {}): Sandbox {
  const parent = opts.parentDir ?? tmpdir();
  // realpath: Claude Code keys project trust by the resolved cwd (/tmp is a symlink on macOS).
  const home = realpathSync(mkdtempSync(join(parent, 'ceros-e2e-')));
  chmodSync(home, 0o700);
  const project = join(home, 'project');
  const binDir = join(home, 'bin');
  mkdirSync(project);
  mkdirSync(binDir);
  const claude = claudeBinaryPath(opts.claudeVersion);
  symlinkSync(claude, join(binDir, 'claude'));
  const apiKey = opts.apiKey ?? TEST_API_KEY;

  const claudeJson = {
    hasCompletedOnboarding: true,
    lastOnboardingVersion: opts.claudeVersion ?? CURRENT_CLAUDE_VERSION,
    theme: 'dark',
    // The key approval dialog compares the last 20 characters of ANTHROPIC_API_KEY.
    customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
    projects: {
      [project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true },
    },
    ...opts.claudeJson,
  };
  writeFileSync(join(home, '.claude.json'), `${JSON.stringify(claudeJson, null, 2)}\n`, { mode: 0o600 });
  mkdirSync(join(home, '.claude'), { mode: 0o700 });

  const env: Record<string, string> = {
    HOME: home,
    PATH: `${binDir}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    SHELL: existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh',
    LANG: 'C.UTF-8',
    ANTHROPIC_API_KEY: apiKey,
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: String(opts.maxRetries ?? 0),
  };
  if (opts.baseUrl !== undefined) env.ANTHROPIC_BASE_URL = opts.baseUrl;
  if (opts.nonessentialTraffic !== true) env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  Object.assign(env, opts.env);

  return {
    home,
    claude,
    project,
    binDir,
    apiKey,
    env,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

export interface RunClaudeOptions {
  /** The program: `[claudeBinaryPath()]` (default) or e.g. `[cerosPath, 'claude']`. */
  cmd?: string[];
  /** Arguments after `cmd`, e.g. `['-p', 'list files', '--output-format', 'json']`. */
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Kill the run after this long (SIGTERM, then SIGKILL 2 s later). Default 60 s. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. Default: stdin is /dev/null. */
  stdin?: string;
}

/** A denied tool call in the `-p` JSON result. */
export interface PermissionDenial {
  tool_name: string;
  tool_use_id: string;
  tool_input: Record<string, unknown>;
}

/** The `--output-format json` result object (the last `result` line with `stream-json`). */
export interface ClaudeResultJson {
  type: 'result';
  subtype: string;
  /** true for API errors too; `subtype` stays `success` in 2.1.197 even then. */
  is_error: boolean;
  result?: string;
  session_id: string;
  num_turns?: number;
  api_error_status?: number | null;
  permission_denials: PermissionDenial[];
  [key: string]: unknown;
}

export interface ClaudeRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The parsed result when stdout held one. */
  json?: ClaudeResultJson;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Runs Claude Code (or a wrapper such as `ceros claude`) to completion and collects its output.
 * Meant for `-p` runs; with `--output-format json` or `stream-json` the result is parsed into `json`.
 */
export async function runClaude(opts: RunClaudeOptions): Promise<ClaudeRun> {
  const argv = [...(opts.cmd ?? [claudeBinaryPath()]), ...opts.args];
  const started = performance.now();
  const child = await spawnRetrying(() =>
    Bun.spawn(argv, {
      cwd: opts.cwd,
      env: opts.env,
      stdin: opts.stdin === undefined ? 'ignore' : new TextEncoder().encode(opts.stdin),
      stdout: 'pipe',
      stderr: 'pipe',
    }),
  );
  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
  }, opts.timeoutMs ?? 60_000);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  if (killTimer !== undefined) clearTimeout(killTimer);
  const json = parseResultJson(stdout);
  const run: ClaudeRun = { exitCode, stdout, stderr, durationMs: performance.now() - started, timedOut };
  if (json !== undefined) run.json = json;
  return run;
}

/**
 * Finds the result object in `-p` output: the whole of stdout (`json`) or its last line that is a
 * `{"type":"result"}` object (`stream-json`).
 */
export function parseResultJson(stdout: string): ClaudeResultJson | undefined {
  const candidates = [stdout.trim(), ...stdout.trim().split('\n').reverse()];
  for (const text of candidates) {
    if (!text.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(text);
      if (isResult(value)) return value;
    } catch {
      // Not this line; try the next.
    }
  }
  return undefined;
}

function isResult(value: unknown): value is ClaudeResultJson {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    value.type === 'result' &&
    'permission_denials' in value &&
    Array.isArray(value.permission_denials)
  );
}

/**
 * Spawns, retrying on ETXTBSY: another process briefly holding the 245 MB binary open for writing
 * (an install or copy elsewhere on the machine) makes exec fail with "text file is busy".
 */
export async function spawnRetrying<T>(spawn: () => T, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return spawn();
    } catch (error) {
      const busy = error instanceof Error && 'code' in error && error.code === 'ETXTBSY';
      if (!busy || i >= attempts) throw error;
      await Bun.sleep(100 * i);
    }
  }
}
