import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';

import { dirname, join, resolve } from 'node:path';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import { type CommandContext, type CommandResult, EXIT, fail } from '../cli/command.ts';
import { ALLOW_ALL, type Decide, guardDecide } from '../decide/decision.ts';
import { loadSimplePolicy } from '../decide/simple-policy.ts';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { type JournalWriter, openJournalWriter } from '../journal/journal.ts';
import { selectKeystore } from '../keystore/select.ts';
import { createProxyHandler } from '../proxy/proxy.ts';
import { createApiRecorder } from '../proxy/recorder.ts';
import { type ProxyServer, serveProxy } from '../proxy/server.ts';
import { createHookHttpHandler } from '../session/hook-http.ts';
import { createSessionKeys, type DeviceIdentity, loadOrCreateDevice } from '../session/identity.ts';
import { runtimeDir } from '../session/runtime-dir.ts';
import { createSessionCore, type Recorder } from '../session/session-core.ts';
import { type HookSocketServer, serveHookSocket } from '../session/socket-server.ts';
import { cerosHome, ensurePrivateDir, writePrivateFile } from '../state/secure-fs.ts';
import { VERSION } from '../version.ts';
import { parseWrapperArgs, refusedEnvironment } from '../wrapper/args.ts';
import { findClaude, launchClaude } from '../wrapper/launch.ts';
import { buildWrapperSettings, mergeSettings } from '../wrapper/settings.ts';

export const CLAUDE_HELP = `Usage: ceros claude [--policy FILE] [claude arguments...]

Launches Claude Code through ceros. Claude Code behaves as before (arguments, terminal, exit
code), and ceros records every prompt, response, tool definition and tool call into the local
journal (see \`ceros log\`), and asks policy before every tool call.

ceros options (everything else goes to claude unchanged):
  --policy FILE    Enforce the rules in FILE for this session
  --ceros-help     Show this help without running claude

Refused, because they switch Claude Code's hooks off: --bare, --safe-mode, and the environment
variables CLAUDE_CODE_SIMPLE and CLAUDE_CODE_SAFE_MODE.

Environment:
  CEROS_HOME         State folder (default ~/.ceros; 0700, files 0600)
  CEROS_CLAUDE_PATH  The claude binary to run (default: claude on PATH)
  ANTHROPIC_BASE_URL The upstream API ceros forwards to (default https://api.anthropic.com)
`;

const DEFAULT_UPSTREAM = 'https://api.anthropic.com';
const DRAIN_TIMEOUT_MS = 5_000;

export interface ClaudeDeps {
  /** Absolute path of the running ceros binary (hooks call it). */
  cerosBinary: string;
  uid: number;
}

/** `ceros claude`: one session, from launch to Claude Code's exit. */
export async function runClaudeCommand(
  argv: string[],
  ctx: CommandContext,
  deps: ClaudeDeps,
): Promise<CommandResult> {
  const parsed = parseWrapperArgs(argv);
  if (!parsed.ok) return fail(`ceros: ${parsed.error}`, EXIT.REFUSED);
  const args = parsed.value;
  if (argv.includes('--ceros-help')) return { stdout: CLAUDE_HELP, stderr: '', exitCode: 0 };
  const refusedEnv = refusedEnvironment(ctx.env);
  if (refusedEnv) return fail(`ceros: ${refusedEnv}`, EXIT.REFUSED);
  const claudeBinary = findClaude(ctx.env, deps.cerosBinary);
  if (!claudeBinary) {
    return fail(
      'ceros: Cannot find Claude Code: install it (npm i -g @anthropic-ai/claude-code) or set CEROS_CLAUDE_PATH',
      EXIT.FAILURE,
    );
  }
  if (args.help) {
    ctx.progress(CLAUDE_HELP);
    const child = launchClaude(claudeBinary, args.claudeArgs, stringEnv(ctx.env), ctx.cwd);
    return { stdout: '', stderr: '', exitCode: (await child.exited).exitCode };
  }

  const home = ensurePrivateDir(cerosHome(ctx.env));
  let decide: Decide = ALLOW_ALL;
  let policyHash: string | null = null;
  let permissionsDeny: string[] = [];
  if (args.policyFile) {
    try {
      const policy = loadSimplePolicy(resolve(ctx.cwd, args.policyFile));
      decide = policy.decide;
      policyHash = policy.hash;
      permissionsDeny = policy.permissionsDeny;
    } catch (error) {
      return fail(
        `ceros: Cannot load policy "${args.policyFile}": ${(error as Error).message}`,
        EXIT.FAILURE,
      );
    }
  }
  let userSettings: Record<string, unknown> = {};
  for (const source of args.userSettings) {
    const loaded = readUserSettings(source, ctx.cwd);
    if (!loaded.ok) return fail(`ceros: ${loaded.error}`, EXIT.FAILURE);
    userSettings = { ...userSettings, ...loaded.value };
  }

  let device: DeviceIdentity;
  let keystoreReason: string;
  try {
    const selection = selectKeystore({
      env: ctx.env,
      cerosHome: home,
      platform: process.platform,
      nativeLibraryDir: dirname(deps.cerosBinary),
    });
    keystoreReason = selection.reason;
    device = await loadOrCreateDevice(home, selection.keystore);
  } catch (error) {
    return fail(`ceros: ${(error as Error).message}`, EXIT.FAILURE);
  }

  const sessionId = randomUUID();
  const runDir = runtimeDir(home, deps.uid);
  const socketPath = join(runDir, `${sessionId.slice(0, 8)}.sock`);
  const settingsPath = join(runDir, `${sessionId.slice(0, 8)}.settings.json`);
  const projectDir = ctx.cwd;
  const upstream = ctx.env.ANTHROPIC_BASE_URL || DEFAULT_UPSTREAM;

  let journal: JournalWriter | undefined;
  const recorder: Recorder = {
    append: (type, payload) => {
      if (!journal) throw new Error('The session journal is not open yet');
      return journal.append(type, payload);
    },
  };
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) =>
      ctx.progress(`ceros: recording failed: ${(error as Error).message}`),
    );
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };

  const hookToken = randomBytes(24).toString('base64url');
  let markReady: () => void = () => {};
  let markFailed: (error: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => {
    markReady = res;
    markFailed = rej;
  });
  ready.catch(() => {});
  const core = createSessionCore({ recorder, decide: guardDecide(decide), projectDir, ready });
  let server: HookSocketServer | undefined;
  let proxy: ProxyServer | undefined;
  try {
    server = await serveHookSocket(socketPath, core);
    const forward = createProxyHandler({
      upstream,
      recorder: createApiRecorder(recorder),
      ready,
      track,
      hooksAlive: core.hooksAlive,
    });
    const hooks = createHookHttpHandler(core, hookToken);
    proxy = serveProxy((request) => hooks(request) ?? forward(request));
  } catch (error) {
    server?.close();
    return fail(`ceros: Cannot start the session daemon: ${(error as Error).message}`, EXIT.FAILURE);
  }

  const settings = mergeSettings(
    userSettings,
    buildWrapperSettings({ cerosBinary: deps.cerosBinary, proxyUrl: proxy.url, hookToken, permissionsDeny }),
  );
  writePrivateFile(settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
  const claudeArgs = insertBeforeDoubleDash(args.claudeArgs, ['--settings', settingsPath]);
  const env = stringEnv(ctx.env);
  delete env.CLAUDE_CODE_SIMPLE;
  delete env.CLAUDE_CODE_SAFE_MODE;
  Object.assign(env, {
    ANTHROPIC_BASE_URL: proxy.url,
    CEROS_SOCKET: socketPath,
    CEROS_SESSION: sessionId,
    CEROS_HOME: home,
  });

  const started = Date.now();
  const child = launchClaude(claudeBinary, claudeArgs, env, ctx.cwd);
  const startup = (async () => {
    const keys = await createSessionKeys(device, sessionId, {
      user: null,
      postureDigest: null,
      ancestryDigest: null,
      policyHash,
    });
    journal = openJournalWriter({
      dir: join(home, 'journal'),
      device: device.record.deviceId,
      session: sessionId,
      sessionKey: keys.privateKey,
      lock: { lock: lockExclusive, unlock },
    });
    journal.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
    journal.append('session.start', {
      cerosVersion: VERSION,
      claudeBinary,
      claudePid: child.pid,
      claudeArgs: args.claudeArgs,
      cwd: ctx.cwd,
      projectDir,
      socket: socketPath,
      proxy: proxy.url,
      upstream,
      mode: 'local',
      keyProtection: device.key.protection,
      keystore: keystoreReason,
      policy: policyHash ? { file: args.policyFile, hash: policyHash, signed: false } : null,
      userSettings: args.userSettings.length > 0,
    });
  })();
  startup.then(markReady, (error: Error) => {
    markFailed(error);
    ctx.progress(`ceros: Cannot start the session journal: ${error.message}; stopping Claude Code`);
    child.kill('SIGTERM');
  });

  const result = await child.exited;
  try {
    await startup;
    await Promise.race([
      Promise.allSettled([...pending]),
      new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS)),
    ]);
    journal?.append('session.end', {
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: Date.now() - started,
    });
  } catch (error) {
    ctx.progress(`ceros: Cannot close the session journal: ${(error as Error).message}`);
  } finally {
    journal?.close();
    server.close();
    await proxy.stop();
    rmSync(socketPath, { force: true });
    rmSync(settingsPath, { force: true });
  }
  return { stdout: '', stderr: '', exitCode: result.exitCode };
}

function insertBeforeDoubleDash(args: string[], extra: string[]): string[] {
  const at = args.indexOf('--');
  return at === -1 ? [...args, ...extra] : [...args.slice(0, at), ...extra, ...args.slice(at)];
}

function stringEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

type SettingsResult = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** `--settings` takes a path or inline JSON, as in Claude Code. */
function readUserSettings(source: string, cwd: string): SettingsResult {
  const trimmed = source.trim();
  let text = trimmed;
  if (!trimmed.startsWith('{')) {
    const path = resolve(cwd, source);
    if (!existsSync(path)) return { ok: false, error: `Settings file not found: "${path}"` };
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      return { ok: false, error: `Cannot read settings file "${path}": ${(error as Error).message}` };
    }
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('it is not a JSON object');
    return { ok: true, value: value as Record<string, unknown> };
  } catch (error) {
    return { ok: false, error: `Cannot use --settings "${source}": ${(error as Error).message}` };
  }
}
