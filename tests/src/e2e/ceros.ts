/**
 * Helpers for e2e tests that drive the compiled `dist/ceros` (built by `npm test` before
 * `bun test` runs) around the real Claude Code and the scripted API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClaudeRun,
  type ClaudeVersion,
  makeSandbox,
  runClaude,
  type Sandbox,
} from '../harness/claude.ts';
import {
  type ScriptedApi,
  type ScriptedApiOptions,
  type ScriptFn,
  startScriptedApi,
  type Turn,
} from '../harness/scripted-api.ts';

export const ROOT = join(import.meta.dir, '..', '..', '..');
export const CEROS_BIN = join(ROOT, 'dist', 'ceros');

export function cerosBinary(): string {
  if (!existsSync(CEROS_BIN))
    throw new Error(`${CEROS_BIN} is missing: run \`npm run build\` (npm test builds it first)`);
  return CEROS_BIN;
}

export interface CerosSession {
  api: ScriptedApi;
  sandbox: Sandbox;
  /** CEROS_HOME of this sandbox. */
  home: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A scripted API, a sandboxed HOME (with `claudeVersion` on its PATH) and a CEROS_HOME inside it. */
export async function cerosSession(
  script: Turn[] | ScriptFn,
  env: Record<string, string> = {},
  options: { claudeVersion?: ClaudeVersion; api?: ScriptedApiOptions } = {},
): Promise<CerosSession> {
  const api = await startScriptedApi(script, options.api);
  const sandbox = makeSandbox({
    baseUrl: api.url,
    ...(options.claudeVersion ? { claudeVersion: options.claudeVersion } : {}),
  });
  const home = join(sandbox.home, '.ceros');
  const fullEnv = { ...sandbox.env, CEROS_HOME: home, ...env };
  return {
    api,
    sandbox,
    home,
    env: fullEnv,
    close: async () => {
      await api.close();
      sandbox.cleanup();
    },
  };
}

/** cerosSession() with `version` of Claude Code on the sandbox's PATH (see forEachClaudeVersion). */
export function cerosSessionOn(
  version: ClaudeVersion,
): (script: Turn[] | ScriptFn, env?: Record<string, string>) => Promise<CerosSession> {
  return (script, env = {}) => cerosSession(script, env, { claudeVersion: version });
}

/** `ceros claude <args>` in print mode with JSON output. */
export function runCerosClaude(
  session: CerosSession,
  args: string[],
  options: { binary?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ClaudeRun> {
  return runClaude({
    cmd: [options.binary ?? cerosBinary(), 'claude'],
    args,
    env: { ...session.env, ...options.env },
    cwd: session.sandbox.project,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

export interface Entry {
  seq: number;
  session: string;
  type: string;
  payload: Record<string, unknown>;
}

export function readJournal(home: string): Entry[] {
  const path = join(home, 'journal', 'journal.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Entry);
}

/**
 * The journal of a session still running: its complete lines. The agent may be mid-append, and a
 * line is an entry only once its newline is written; a finished journal is read with
 * {@link readJournal}, which refuses a torn tail.
 */
export function readLiveJournal(home: string): Entry[] {
  const path = join(home, 'journal', 'journal.jsonl');
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Entry);
}

export function runCeros(args: string[], env: Record<string, string>, cwd: string = ROOT) {
  const result = Bun.spawnSync([cerosBinary(), ...args], { env, cwd, stdout: 'pipe', stderr: 'pipe' });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}
