import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';

import { dirname, join, resolve } from 'node:path';
import { createShellParser, type EvaluationContext, type McpServerIdentity } from '@ceros/policy';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import { type CommandContext, type CommandResult, EXIT, fail } from '../cli/command.ts';
import { embeddedWasm } from '../decide/assets.ts';
import { guardDecide } from '../decide/decision.ts';
import {
  createEdgeClient,
  createFileLogTrustStore,
  createFileReceiptStore,
  createJsonlEntryReader,
  createLogMonitor,
  createRevocationWatcher,
  createUploader,
  deviceRequestSigner,
  fetchManagedMcpServers,
  fetchPolicyBundle,
  type LogMonitor,
  type RevocationWatcher,
  readEdgeConfig,
  readInstallHint,
  reportSyncEvent,
  sessionRequestSigner,
  type Uploader,
  uploadCursorPath,
} from '../edge-client/index.ts';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { type JournalWriter, journalTailProblem, openJournalWriter } from '../journal/journal.ts';
import { wasReported } from '../journal/journal-error.ts';
import { selectKeystore } from '../keystore/select.ts';
import { readdirEntries } from '../policy-cli/readdir.ts';
import { realpathDeepest } from '../policy-cli/realpath.ts';
import {
  DEFAULT_REASSESS_INTERVAL_MS,
  endProcess,
  nodeProcessControl,
  type PostureMonitor,
} from '../posture/index.ts';
import { type ProxyServer, serveProxy } from '../proxy/server.ts';
import { runEnrollStage } from '../session/enroll-stage.ts';
import { createHookHttpHandler } from '../session/hook-http.ts';
import { createSessionKeys, loadOrCreateDevice } from '../session/identity.ts';
import { runMcpStage } from '../session/mcp-stage.ts';
import { endOrphanedSessions } from '../session/orphaned-sessions.ts';
import { pollEdgePolicy, runPolicyStage } from '../session/policy-stage.ts';
import { runPostureStage, watchPosture } from '../session/posture-stage.ts';
import { runtimeDir } from '../session/runtime-dir.ts';
import { createSessionCore, type Recorder } from '../session/session-core.ts';
import { createSessionState, enforce } from '../session/session-state.ts';
import { type HookSocketServer, serveHookSocket } from '../session/socket-server.ts';
import { createTrustProbes, postureDigest } from '../session/trust.ts';
import { cerosHome, ensurePrivateDir } from '../state/secure-fs.ts';
import { VERSION } from '../version.ts';
import { createClaudeAdapter, stringEnv } from '../wrapper/claude-adapter.ts';
import { launchClaude, openInBrowser } from '../wrapper/launch.ts';
import { runEnroll } from './enroll.ts';

export const CLAUDE_HELP = `Usage: ceros claude [--policy FILE] [claude arguments...]

Launches Claude Code through ceros. Claude Code behaves as before (arguments, terminal, exit
code), and ceros records every prompt, response, tool definition and tool call into the local
journal (see \`ceros log\`), and asks policy before every tool call.

ceros options (everything else goes to claude unchanged):
  --policy FILE              Enforce FILE for this session: a policy bundle signed by your
                             organization (YAML/JSON documents need the flag below)
  --allow-unsigned-policy    Development only: accept an unsigned policy document (journaled)
  --no-policy-dev            Development only: run with no policy at all (journaled; refused on
                             an enrolled device). Without it, a session with no policy enforces
                             the baseline starter (\`ceros policy starter baseline\`)
  --ceros-help               Show this help without running claude

Refused, because they switch Claude Code's hooks off: --bare, --safe-mode, and the environment
variables CLAUDE_CODE_SIMPLE and CLAUDE_CODE_SAFE_MODE.

Environment:
  CEROS_HOME         State folder (default ~/.ceros; 0700, files 0600)
  CEROS_CLAUDE_PATH  The claude binary to run (default: claude on PATH)
  ANTHROPIC_BASE_URL The upstream API ceros forwards to (default https://api.anthropic.com)
  CEROS_POSTURE_INTERVAL_MS  How often posture is re-checked (default 30000)

Before Claude Code starts, ceros captures the device posture (OS, disk encryption, Secure Boot,
firewall, endpoint protection, binary hashes) and refuses the session if the policy requires
something this machine lacks, saying what to fix. When the device is enrolled with an edge
(\`ceros enroll\`), the journal syncs there and revocation ends the session within seconds.
`;

const DRAIN_TIMEOUT_MS = 5_000;
const SYNC_AT_EXIT_MS = 5_000;
/** The log check after the final flush: consistency and the receipt of the session's last entry. */
const LOG_CHECK_AT_EXIT_MS = 3_000;
const POLICY_POLL_MS = 60_000;

const CLAUDE = createClaudeAdapter(CLAUDE_HELP);

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
  const adapter = CLAUDE;
  const parsed = adapter.parseArgs(argv);
  if (!parsed.ok) return fail(`ceros: ${parsed.error}`, EXIT.REFUSED);
  const args = parsed.value;
  if (args.cerosHelp) return { stdout: adapter.help, stderr: '', exitCode: 0 };
  const refusedEnv = adapter.refusedEnvironment(ctx.env);
  if (refusedEnv) return fail(`ceros: ${refusedEnv}`, EXIT.REFUSED);
  const claudeBinary = adapter.findBinary(ctx.env, deps.cerosBinary);
  if (!claudeBinary) return fail(`ceros: ${adapter.notFound}`, EXIT.FAILURE);
  if (args.help) {
    ctx.progress(adapter.help);
    const child = launchClaude(claudeBinary, args.agentArgs, stringEnv(ctx.env), ctx.cwd);
    return { stdout: '', stderr: '', exitCode: (await child.exited).exitCode };
  }

  const home = ensurePrivateDir(cerosHome(ctx.env));
  const damaged = journalTailProblem(join(home, 'journal'));
  if (damaged) return fail(`ceros: Refusing to start Claude Code: ${damaged.message}`, EXIT.REFUSED);
  const projectDir = ctx.cwd;
  const keystore = () =>
    selectKeystore({
      env: ctx.env,
      cerosHome: home,
      platform: process.platform,
      nativeLibraryDir: dirname(deps.cerosBinary),
    });
  const enrollment = await runEnrollStage({
    home,
    product: adapter.product,
    edgeUrl: ctx.env.CEROS_EDGE_URL,
    progress: ctx.progress,
    readEdgeConfig,
    readInstallHint,
    // Installed from an organization's link (or pointed at an edge): enroll before the first session.
    enroll: () => runEnroll([], { ...ctx, keystore: keystore().keystore, openUrl: openInBrowser }),
    loadDevice: async () => {
      const selection = keystore();
      return { device: await loadOrCreateDevice(home, selection.keystore), keystoreReason: selection.reason };
    },
  });
  if (!enrollment.ok) return fail(`ceros: ${enrollment.error}`, enrollment.exitCode);
  const { enrolled, device, keystoreReason } = enrollment.value;
  const deviceClient = enrolled
    ? createEdgeClient({
        baseUrl: enrolled.edgeUrl,
        signer: deviceRequestSigner(device.record.deviceId, device.key),
      })
    : null;

  const chosen = await runPolicyStage(
    {
      policyFile: args.policyFile ? resolve(ctx.cwd, args.policyFile) : null,
      allowUnsignedPolicy: args.allowUnsignedPolicy,
      noPolicyDev: args.noPolicyDev,
      enrolled,
    },
    {
      home,
      progress: ctx.progress,
      ...(deviceClient ? { fetchBundle: (options) => fetchPolicyBundle(deviceClient, options) } : {}),
    },
  );
  if (!chosen.ok) return fail(`ceros: ${chosen.error}`, chosen.exitCode);
  const { trustedKeys } = chosen.value;
  const policy = chosen.value.policy;
  const userConfig = adapter.readUserConfig(args, ctx.cwd);
  if (!userConfig.ok) return fail(`ceros: ${userConfig.error}`, EXIT.FAILURE);

  const userHome = ctx.env.HOME ?? home;
  const evaluationContext = async (
    mcpServers: Record<string, McpServerIdentity>,
  ): Promise<EvaluationContext> => ({
    home: userHome,
    cerosHome: home,
    cerosBinary: deps.cerosBinary,
    realpath: realpathDeepest,
    readdir: readdirEntries,
    mcpServers,
    shell: await createShellParser(embeddedWasm()),
  });
  const inventory = await runMcpStage(
    {
      discovered: adapter.discoverMcpServers(args, userHome, projectDir),
      policy,
      projectDir,
      orgSigningKey: enrolled?.orgSigningKey ?? null,
    },
    {
      home,
      progress: ctx.progress,
      ...(deviceClient && enrolled
        ? {
            edgeUrl: enrolled.edgeUrl,
            fetchManaged: () =>
              fetchManagedMcpServers(deviceClient, { orgSigningKey: enrolled.orgSigningKey }),
          }
        : {}),
      evaluationContext,
    },
  );
  const managedMcp = inventory.managed;

  const trust = createTrustProbes({
    env: ctx.env,
    cwd: ctx.cwd,
    projectDir,
    claudeBinary,
    cerosBinary: deps.cerosBinary,
    uid: deps.uid,
  });
  const reading = await runPostureStage({ capture: () => trust.capture(), policy, product: adapter.product });
  if (!reading.ok) {
    trust.close();
    return fail(`ceros: ${reading.error}`, reading.exitCode);
  }
  const state = createSessionState({ policy, evaluation: inventory.evaluation, ...reading.value });

  const sessionId = randomUUID();
  const runDir = runtimeDir(home, deps.uid);
  const socketPath = join(runDir, `${sessionId.slice(0, 8)}.sock`);
  const upstream = adapter.upstream(ctx.env);

  let journal: JournalWriter | undefined;
  let uploader: Uploader | undefined;
  const recorder: Recorder = {
    append: (type, payload) => {
      if (!journal) throw new Error('The session journal is not open yet');
      const entry = journal.append(type, payload);
      uploader?.notify();
      return entry;
    },
  };
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => {
      if (!wasReported(error)) ctx.progress(`ceros: recording failed: ${(error as Error).message}`);
    });
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
  const intervalMs =
    Number(ctx.env.CEROS_POSTURE_INTERVAL_MS) > 0
      ? Number(ctx.env.CEROS_POSTURE_INTERVAL_MS)
      : DEFAULT_REASSESS_INTERVAL_MS;
  let monitor: PostureMonitor | undefined;
  const core = createSessionCore({
    recorder,
    // The policy can change mid-session (an edge publishes a new bundle): read it at each call.
    decide: guardDecide(
      (call) => state.decide(call),
      () => state.policy?.source.hash ?? null,
    ),
    policyHash: () => state.policy?.source.hash ?? null,
    projectDir,
    ready,
    lockdown: () => state.lockdown,
    beforeDecision: async () => {
      await monitor?.refreshIfStale(intervalMs);
    },
    // hook -> sh -> claude: the chain above Claude Code is in session.start, captured once.
    hookAncestry: async (pid) => (await trust.ancestry(pid, 3)).ancestry,
  });
  let server: HookSocketServer | undefined;
  let proxy: ProxyServer | undefined;
  try {
    server = await serveHookSocket(socketPath, core);
    const forward = adapter.createModelProxy({
      upstream,
      recorder,
      ready,
      track,
      hooksAlive: core.hooksAlive,
    });
    const hooks = createHookHttpHandler(core, hookToken);
    proxy = serveProxy((request) => hooks(request) ?? forward(request));
  } catch (error) {
    server?.close();
    trust.close();
    return fail(`ceros: Cannot start the session daemon: ${(error as Error).message}`, EXIT.FAILURE);
  }

  const launch = adapter.prepareLaunch(args, userConfig.value, {
    sessionId,
    runDir,
    cerosBinary: deps.cerosBinary,
    cerosHome: home,
    userHome,
    projectDir,
    socketPath,
    proxyUrl: proxy.url,
    hookToken,
    policy: policy?.compiled ?? null,
    managedMcp,
    env: ctx.env,
  });

  const started = Date.now();
  const child = launchClaude(claudeBinary, launch.args, launch.env, ctx.cwd);
  let revocation: RevocationWatcher | undefined;
  let logMonitor: LogMonitor | undefined;
  let ledgerAlerted = false;
  let policyPoll: ReturnType<typeof setInterval> | undefined;
  const endClaude = (why: string) => {
    void endProcess(child.pid, { control: nodeProcessControl, graceMs: 5_000 }).catch(() => {});
    ctx.progress(`ceros: Ending Claude Code: ${why}`);
  };
  const startup = (async () => {
    // Posture and the launch ancestry are in the certificate; both precede the first upstream request.
    const claudeAncestry = await trust.ancestry(child.pid);
    const keys = await createSessionKeys(device, sessionId, {
      user: enrolled?.userEmail ?? null,
      postureDigest: postureDigest(state.posture),
      ancestryDigest: claudeAncestry.digest,
      policyHash: policy?.source.hash ?? null,
    });
    journal = openJournalWriter({
      dir: join(home, 'journal'),
      device: device.record.deviceId,
      session: sessionId,
      sessionKey: keys.privateKey,
      lock: { lock: lockExclusive, unlock },
      warn: ctx.progress,
    });
    journal.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
    journal.append('session.start', {
      cerosVersion: VERSION,
      claudeBinary,
      claudePid: child.pid,
      claudeArgs: args.agentArgs,
      cwd: ctx.cwd,
      projectDir,
      socket: socketPath,
      proxy: proxy.url,
      upstream,
      mode: enrolled ? 'edge' : 'local',
      edge: enrolled ? { url: enrolled.edgeUrl, org: enrolled.org.slug, user: enrolled.userEmail } : null,
      keyProtection: device.key.protection,
      keystore: keystoreReason,
      policy: policy
        ? {
            ...policy.source,
            signed: policy.source.kind !== 'unsigned-file' && policy.source.kind !== 'starter',
          }
        : { kind: 'none', reason: 'Started with --no-policy-dev' },
      userSettings: args.userSettings.length > 0,
      posture: state.posture,
      postureDigest: postureDigest(state.posture),
      ancestry: claudeAncestry.ancestry,
      ancestryDigest: claudeAncestry.digest,
      ancestryError: claudeAncestry.error ?? null,
    });
    // A wrapper killed with -9 left its socket, its settings (hook token) and no end: clean up.
    await endOrphanedSessions({ runDir, ownSession: sessionId, journal, progress: ctx.progress });
    for (const server of inventory.servers)
      journal.append('mcp.server', { ...server, claudeSessionId: null });
    if (!policy) {
      journal.append('policy.none', {
        reason: 'Started with --no-policy-dev: tool calls are recorded, not checked',
      });
    }
    if (policy?.source.kind === 'unsigned-file') {
      journal.append('policy.unsigned', {
        file: policy.source.file,
        hash: policy.source.hash,
        reason: 'Started with --allow-unsigned-policy',
      });
    }
    monitor = watchPosture({
      capture: () => trust.capture(),
      intervalMs,
      state,
      recorder,
      progress: ctx.progress,
      end: endClaude,
    });
    if (enrolled) {
      const client = createEdgeClient({
        baseUrl: enrolled.edgeUrl,
        signer: sessionRequestSigner({
          deviceId: device.record.deviceId,
          sessionId,
          privateKey: keys.privateKey,
          certificate: keys.certificate,
        }),
      });
      // At every sync: does the edge's log still extend what this device verified, and does it
      // hold what was just uploaded? (docs/spec/receipt.md)
      const monitor = createLogMonitor({
        client,
        trust: createFileLogTrustStore(home),
        receipts: createFileReceiptStore(home),
        onAlert: (alert) => {
          ctx.progress(`ceros: ${alert.message}`);
          try {
            const { code, message, evidence } = alert;
            recorder.append('alert', { kind: 'ledger', code, message, evidence });
            ledgerAlerted = true;
          } catch {
            // The journal closed while the check ran (session over): the line above told the user.
          }
        },
      });
      logMonitor = monitor;
      uploader = createUploader({
        client,
        deviceId: device.record.deviceId,
        readEntriesAfter: createJsonlEntryReader(join(home, 'journal', 'journal.jsonl')),
        cursorPath: uploadCursorPath(home),
        onEvent: (event) => {
          if (event.kind === 'uploaded') void monitor.uploaded(event.last);
          reportSyncEvent(event, recorder, ctx.progress);
        },
      });
      uploader.start();
      revocation = createRevocationWatcher({
        client,
        onRevoked: ({ reason }) => {
          state.lockdown = { rule: 'revoked', reason: `This device or its user was revoked: ${reason}` };
          try {
            recorder.append('alert', { kind: 'revoked', message: reason });
          } catch {
            // The alert is best effort; the lockdown above already denies everything.
          }
          endClaude(`revoked by the organization: ${reason}`);
        },
      });
      revocation.start();
      if (!args.policyFile) {
        // Bundles the organization publishes reach running sessions; the hook layer enforces them
        // at once, Claude Code's own settings layer from the next session (settings are frozen).
        const pollMs =
          Number(ctx.env.CEROS_POLICY_POLL_MS) > 0 ? Number(ctx.env.CEROS_POLICY_POLL_MS) : POLICY_POLL_MS;
        let polling = false;
        policyPoll = setInterval(() => {
          if (polling) return;
          polling = true;
          void pollEdgePolicy(
            (options) => fetchPolicyBundle(client, options),
            home,
            trustedKeys,
            state.policy?.source.version ?? undefined,
          )
            .then(async (next) => {
              if (!next || next.source.hash === state.policy?.source.hash) return;
              enforce(state, next, state.evaluation ?? (await evaluationContext(inventory.identities)));
              recorder.append('policy.updated', { ...next.source, signed: true });
            })
            .catch((error: unknown) => ctx.progress(`ceros: policy poll failed: ${(error as Error).message}`))
            .finally(() => {
              polling = false;
            });
        }, pollMs);
      }
    }
  })();
  startup.then(markReady, (error: Error) => {
    markFailed(error);
    ctx.progress(`ceros: Cannot start the session journal: ${error.message}; stopping Claude Code`);
    child.kill('SIGTERM');
  });

  const result = await child.exited;
  try {
    await startup;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...pending]),
      new Promise((r) => {
        timer = setTimeout(r, DRAIN_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    journal?.append('session.end', {
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: Date.now() - started,
    });
    if (uploader) {
      ctx.progress('ceros: syncing the journal to the edge...');
      await Promise.race([uploader.flush(), new Promise((r) => setTimeout(r, SYNC_AT_EXIT_MS))]);
    }
    if (uploader && logMonitor) {
      // Also after a flush that failed: an unreachable edge only leaves entries pending. An alert
      // journaled by a check (this one or one the flush started) is sent before the session ends.
      await Promise.race([logMonitor.sync(), new Promise((r) => setTimeout(r, LOG_CHECK_AT_EXIT_MS))]);
      if (ledgerAlerted)
        await Promise.race([uploader.flush(), new Promise((r) => setTimeout(r, LOG_CHECK_AT_EXIT_MS))]);
    }
  } catch (error) {
    if (!wasReported(error))
      ctx.progress(`ceros: Cannot close the session journal: ${(error as Error).message}`);
  } finally {
    monitor?.stop();
    revocation?.stop();
    clearInterval(policyPoll);
    await uploader?.stop();
    journal?.close();
    trust.close();
    server.close();
    await proxy.stop();
    rmSync(socketPath, { force: true });
    for (const file of launch.files) rmSync(file, { force: true });
  }
  return { stdout: '', stderr: '', exitCode: result.exitCode };
}
