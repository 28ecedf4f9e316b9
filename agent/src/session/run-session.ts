import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  createShellParser,
  type EvaluationContext,
  type McpServerIdentity,
  type TrustedKey,
} from '@ceros/policy';
import { createProcessReader } from '../ancestry/index.ts';
import { type CommandContext, type CommandResult, EXIT, fail } from '../cli/command.ts';
import { runEnroll } from '../commands/enroll.ts';
import { embeddedWasm } from '../decide/assets.ts';
import {
  createEdgeClient,
  deviceRequestSigner,
  fetchManagedMcpServers,
  fetchPolicyBundle,
  readEdgeConfig,
  readInstallHint,
} from '../edge-client/index.ts';
import { askYesNo } from '../inventory/ask.ts';
import { journalTailProblem } from '../journal/journal.ts';
import { selectKeystore } from '../keystore/select.ts';
import { readdirEntries } from '../policy-cli/readdir.ts';
import { realpathDeepest } from '../policy-cli/realpath.ts';
import {
  DEFAULT_REASSESS_INTERVAL_MS,
  endProcess,
  nodeProcessControl,
  type PostureMonitor,
} from '../posture/index.ts';
import { cerosHome, ensurePrivateDir } from '../state/secure-fs.ts';
import { launchAgent, openInBrowser, stringEnv } from '../wrapper/launch.ts';
import { protectProcessMemory } from '../wrapper/process-hardening.ts';
import type { AgentAdapter, AgentCommandLine, LaunchPlan } from './agent-adapter.ts';
import { type Daemon, runDaemonStage } from './daemon-stage.ts';
import { runDrainStage } from './drain-stage.ts';
import { type Enrollment, runEnrollStage } from './enroll-stage.ts';
import { hookChannel } from './hook-channel.ts';
import { loadOrCreateDevice } from './identity.ts';
import { type ConfigInventory, runInventoryStage } from './inventory-stage.ts';
import { runJournalStage } from './journal-stage.ts';
import { type McpInventory, runMcpStage } from './mcp-stage.ts';
import { detectNesting, type Nesting, readAncestors } from './nesting.ts';
import { runPolicyStage } from './policy-stage.ts';
import { runPostureStage, watchPosture } from './posture-stage.ts';
import { journalRefusal } from './refusal-journal.ts';
import { runtimeDir } from './runtime-dir.ts';
import { createSessionJournal, type SessionJournal } from './session-journal.ts';
import { createSessionState, type SessionState } from './session-state.ts';
import { runSettingsStage } from './settings-stage.ts';
import { type StageResult, stageFailure } from './stage.ts';
import { type EdgeSync, POLICY_POLL_MS, runSyncStage } from './sync-stage.ts';
import { createTrustProbes, type TrustProbes } from './trust.ts';

export interface SessionDeps {
  /** Absolute path of the running ceros binary (hooks call it). */
  cerosBinary: string;
  uid: number;
}

/**
 * One session of a coding agent under ceros, from launch to the agent's exit, as a sequence of
 * stages (agent/src/session/*-stage.ts). What is the agent's own (its arguments, configuration,
 * hook registration, model API) comes from `adapter`; everything else is shared.
 */
export async function runAgentSession<Line extends AgentCommandLine, Config>(
  adapter: AgentAdapter<Line, Config>,
  argv: string[],
  ctx: CommandContext,
  deps: SessionDeps,
): Promise<CommandResult> {
  const refuse = async (stage: string, reason: string, exitCode: number, agentArgs: readonly string[]) => {
    await refusalOnRecord(adapter.product, { stage, reason, exitCode, agentArgs }, ctx, deps);
    return fail(`ceros: ${reason}`, exitCode);
  };
  const parsed = adapter.parseArgs(argv);
  if (!parsed.ok) return refuse('arguments', parsed.error, EXIT.REFUSED, argv);
  const line = parsed.value;
  if (line.cerosHelp) return { stdout: adapter.help, stderr: '', exitCode: 0 };
  const refusedEnv = adapter.refusedEnvironment(ctx.env);
  if (refusedEnv) return refuse('environment', refusedEnv, EXIT.REFUSED, line.agentArgs);
  const binary = adapter.findBinary(ctx.env, deps.cerosBinary);
  if (!binary) return fail(`ceros: ${adapter.notFound}`, EXIT.FAILURE);
  if (line.help) {
    ctx.progress(adapter.help);
    const child = launchAgent(binary, line.agentArgs, stringEnv(ctx.env), ctx.cwd);
    return { stdout: '', stderr: '', exitCode: (await child.exited).exitCode };
  }
  const prepared = await prepareSession(adapter, line, binary, ctx, deps);
  if (!prepared.ok) return fail(`ceros: ${prepared.error}`, prepared.exitCode);
  const started = await startDaemon(adapter, line, prepared.value, ctx, deps);
  if (!started.ok) {
    prepared.value.trust.close();
    return fail(`ceros: ${started.error}`, started.exitCode);
  }
  return superviseSession(adapter, line, prepared.value, started.value, ctx);
}

/** Everything decided before anything runs: who this device is, the policy, MCP verdicts, posture. */
interface PreparedSession<Config> {
  binary: string;
  home: string;
  projectDir: string;
  userHome: string;
  enrollment: Enrollment;
  trustedKeys: TrustedKey[];
  config: Config;
  inventory: McpInventory;
  configInventory: ConfigInventory;
  nesting: Nesting;
  /** The `--policy` file in force, which no tool may write. */
  policyFile: string | null;
  /** Whether ceros's own memory and environment (the real credentials) are closed to the agent's tools. */
  processMemory: string;
  trust: TrustProbes;
  state: SessionState;
  evaluationContext(identities: Record<string, McpServerIdentity>): Promise<EvaluationContext>;
}

/** Enroll, policy, the agent's own configuration, MCP and posture stages, in that order. */
async function prepareSession<Line extends AgentCommandLine, Config>(
  adapter: AgentAdapter<Line, Config>,
  line: Line,
  binary: string,
  ctx: CommandContext,
  deps: SessionDeps,
): Promise<StageResult<PreparedSession<Config>>> {
  // The real credentials stay in this process: first, close it to the agent's tools.
  const processMemory = protectProcessMemory();
  const home = ensurePrivateDir(cerosHome(ctx.env));
  const damaged = journalTailProblem(join(home, 'journal'));
  if (damaged) return stageFailure(`Refusing to start ${adapter.product}: ${damaged.message}`, EXIT.REFUSED);
  const projectDir = ctx.cwd;
  const userHome = ctx.env.HOME ?? home;
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
  if (!enrollment.ok) return enrollment;
  const { enrolled, device } = enrollment.value;
  const edge = enrolled
    ? createEdgeClient({
        baseUrl: enrolled.edgeUrl,
        signer: deviceRequestSigner(device.record.deviceId, device.key),
      })
    : null;

  const chosen = await runPolicyStage(
    {
      policyFile: line.policyFile ? resolve(ctx.cwd, line.policyFile) : null,
      allowUnsignedPolicy: line.allowUnsignedPolicy,
      noPolicyDev: line.noPolicyDev,
      enrolled,
    },
    {
      home,
      progress: ctx.progress,
      ...(edge ? { fetchBundle: (options) => fetchPolicyBundle(edge, options) } : {}),
    },
  );
  if (!chosen.ok) {
    if (chosen.exitCode === EXIT.REFUSED)
      await journalRefusal(home, device, enrolled?.userEmail ?? null, {
        product: adapter.product,
        reason: chosen.error,
        refused: 'policy',
        cwd: ctx.cwd,
      }).catch((error: Error) => ctx.progress(`ceros: Could not journal the refusal: ${error.message}`));
    return chosen;
  }
  const { policy, trustedKeys } = chosen.value;
  const config = adapter.readUserConfig(line, ctx.cwd);
  if (!config.ok) return stageFailure(config.error, EXIT.FAILURE);

  const policyFile =
    policy && (policy.source.kind === 'bundle' || policy.source.kind === 'unsigned-file')
      ? policy.source.file
      : null;
  const evaluationContext = async (
    mcpServers: Record<string, McpServerIdentity>,
  ): Promise<EvaluationContext> => ({
    home: userHome,
    cerosHome: home,
    cerosBinary: deps.cerosBinary,
    ...(ctx.env.CLAUDE_CONFIG_DIR ? { claudeConfigDir: ctx.env.CLAUDE_CONFIG_DIR } : {}),
    ...(policyFile ? { protectedFiles: [policyFile] } : {}),
    realpath: realpathDeepest,
    readdir: readdirEntries,
    mcpServers,
    shell: await createShellParser(embeddedWasm()),
  });
  // Everything the agent will load that runs code, from every source, checked against approvals.
  const found = adapter.inventory(line, { cwd: ctx.cwd, projectDir, userHome, env: ctx.env });
  const refuse = (payload: { reason: string; [key: string]: unknown }) =>
    journalRefusal(home, device, enrolled?.userEmail ?? null, {
      product: adapter.product,
      policyHash: policy?.source.hash ?? null,
      cwd: ctx.cwd,
      ...payload,
    }).then(() => undefined);
  const configInventory = await runInventoryStage(
    {
      items: found.items,
      policy,
      interactive: adapter.interactive(line, {
        stdin: process.stdin.isTTY === true,
        stdout: process.stdout.isTTY === true,
      }),
      product: adapter.product,
      launch: {
        cwd: ctx.cwd,
        projectDir,
        agentArgs: line.agentArgs,
        userConfig: adapter.userConfigSources(line),
      },
    },
    {
      home,
      progress: ctx.progress,
      ask: (question) => askYesNo(question, (text) => process.stderr.write(text)),
      now: () => new Date(),
      journalRefusal: (payload) => refuse({ ...payload, refused: 'config-approval' }),
    },
  );
  if (!configInventory.ok) return configInventory;
  const inventory = await runMcpStage(
    {
      discovered: found.mcpServers,
      policy,
      projectDir,
      orgSigningKey: enrolled?.orgSigningKey ?? null,
    },
    {
      home,
      progress: ctx.progress,
      evaluationContext,
      ...(edge && enrolled
        ? {
            edgeUrl: enrolled.edgeUrl,
            fetchManaged: () => fetchManagedMcpServers(edge, { orgSigningKey: enrolled.orgSigningKey }),
          }
        : {}),
    },
  );

  // Posture before the first token: refuse here, before the agent starts, if the policy says so.
  const trust = createTrustProbes({
    env: ctx.env,
    cwd: ctx.cwd,
    projectDir,
    claudeBinary: binary,
    cerosBinary: deps.cerosBinary,
    uid: deps.uid,
  });
  const reading = await runPostureStage({ capture: () => trust.capture(), policy, product: adapter.product });
  if (!reading.ok) {
    trust.close();
    await refuse({ reason: reading.error, refused: 'posture' }).catch((error: Error) =>
      ctx.progress(`ceros: Could not journal the refusal: ${error.message}`),
    );
    return reading;
  }
  // Started from another session's tool call? The markers and the processes above say so.
  const nesting = detectNesting(ctx.env, await ancestorsOf(process.pid));
  if (nesting.nested && policy?.compiled.session.nestedSessions === 'deny') {
    trust.close();
    const reason = `this ceros was started from inside another agent session (${describeNesting(nesting)}), and the policy does not allow nested sessions (session.nestedSessions: deny)`;
    await refuse({ reason, refused: 'nested-session', nesting }).catch(() => {});
    return stageFailure(`Refusing to start ${adapter.product}: ${reason}`, EXIT.REFUSED);
  }
  return {
    ok: true,
    value: {
      binary,
      home,
      projectDir,
      userHome,
      enrollment: enrollment.value,
      trustedKeys,
      config: config.value,
      inventory,
      configInventory: configInventory.value,
      nesting,
      policyFile,
      processMemory,
      trust,
      state: createSessionState({ policy, evaluation: inventory.evaluation, ...reading.value }),
      evaluationContext,
    },
  };
}

interface StartedDaemon {
  sessionId: string;
  runDir: string;
  socketPath: string;
  upstream: string;
  daemon: Daemon;
  journal: SessionJournal;
  /** Settled by the journal stage: nothing is decided or sent upstream before. */
  ready: Deferred;
  intervalMs: number;
  monitor: { current: PostureMonitor | undefined };
  launch: LaunchPlan;
  /** The environment variables whose credentials stay with the proxy. */
  credentialsReplaced: readonly string[];
  /** Tells the hook peer check which process is the agent. */
  agentLaunched(pid: number): void;
}

/** Daemon and settings stages: the session's socket and proxy, then the agent's configuration for it. */
async function startDaemon<Line extends AgentCommandLine, Config>(
  adapter: AgentAdapter<Line, Config>,
  line: Line,
  prepared: PreparedSession<Config>,
  ctx: CommandContext,
  deps: SessionDeps,
): Promise<StageResult<StartedDaemon>> {
  const { home, state, trust } = prepared;
  const sessionId = randomUUID();
  const runDir = runtimeDir(home, deps.uid);
  const channel = hookChannel(runDir, sessionId, deps.uid);
  const socketPath = channel.socketPath;
  const upstream = adapter.upstream(ctx.env);
  const hookToken = randomBytes(24).toString('base64url');
  const credentials = adapter.credentials(ctx.env);
  let tokenInUse: string | null = null;
  const journal = createSessionJournal(ctx.progress);
  const ready = deferred();
  const intervalMs = positive(ctx.env.CEROS_POSTURE_INTERVAL_MS) ?? DEFAULT_REASSESS_INTERVAL_MS;
  const monitor: StartedDaemon['monitor'] = { current: undefined };
  const daemon = await runDaemonStage({
    socketPath,
    hookToken: () => tokenInUse,
    verifier: channel.verifier,
    upstream,
    projectDir: prepared.projectDir,
    journal,
    state,
    ready: ready.promise,
    beforeDecision: async () => {
      await monitor.current?.refreshIfStale(intervalMs);
    },
    // hook -> sh -> agent: the chain above the agent is in session.start, captured once.
    hookAncestry: async (pid) => (await trust.ancestry(pid, 3)).ancestry,
    createModelProxy: adapter.createModelProxy,
    credentials,
    subagentConfig: (name) =>
      adapter.subagentConfig(name, {
        cwd: ctx.cwd,
        projectDir: prepared.projectDir,
        userHome: prepared.userHome,
        env: ctx.env,
      }),
    home,
  });
  if (!daemon.ok) {
    rmSync(channel.marker, { force: true });
    return daemon;
  }
  const launch = runSettingsStage(adapter, line, prepared.config, {
    sessionId,
    runDir,
    cerosBinary: deps.cerosBinary,
    agentBinary: prepared.binary,
    cerosHome: home,
    policyFile: prepared.policyFile,
    credentials,
    userHome: prepared.userHome,
    projectDir: prepared.projectDir,
    socketPath,
    daemon: channel.identity,
    proxyUrl: daemon.value.proxyUrl,
    hookToken,
    policy: state.policy?.compiled ?? null,
    managedMcp: prepared.inventory.managed,
    mcpServers: prepared.inventory.servers,
    env: ctx.env,
  });
  if (!launch.ok) {
    await daemon.value.close();
    rmSync(channel.marker, { force: true });
    return launch;
  }
  tokenInUse = launch.value.hookToken ?? null;
  launch.value.files.push(channel.marker);
  return {
    ok: true,
    value: {
      sessionId,
      runDir,
      socketPath,
      upstream,
      daemon: daemon.value,
      journal,
      ready,
      intervalMs,
      monitor,
      launch: launch.value,
      credentialsReplaced: credentials.replaced,
      agentLaunched: channel.agentLaunched,
    },
  };
}

/**
 * The agent runs; meanwhile the journal stage certifies the session and opens the journal, the
 * posture watch and (enrolled) the sync stage start. After the agent exits, the drain stage.
 */
async function superviseSession<Line extends AgentCommandLine, Config>(
  adapter: AgentAdapter<Line, Config>,
  line: Line,
  prepared: PreparedSession<Config>,
  started: StartedDaemon,
  ctx: CommandContext,
): Promise<CommandResult> {
  const { home, state, trust, enrollment, inventory } = prepared;
  const { enrolled, device } = enrollment;
  const { journal, daemon, sessionId } = started;
  const startedAt = Date.now();
  const child = launchAgent(
    prepared.binary,
    started.launch.args,
    started.launch.env,
    ctx.cwd,
    started.launch.fds ?? [],
  );
  started.agentLaunched(child.pid);
  for (const fd of started.launch.fds ?? []) closeSync(fd);
  const endAgent = (why: string) => {
    void endProcess(child.pid, { control: nodeProcessControl, graceMs: 5_000 }).catch(() => {});
    ctx.progress(`ceros: Ending ${adapter.product}: ${why}`);
  };
  let sync: EdgeSync | undefined;
  const startup = (async () => {
    await child.started;
    // Posture and the launch ancestry are in the certificate; both precede the first upstream request.
    const opened = await runJournalStage(
      {
        sessionId,
        home,
        device,
        keystoreReason: enrollment.keystoreReason,
        enrolled,
        policy: state.policy,
        policyNow: () => state.policy?.compiled,
        posture: state.posture,
        agentPid: child.pid,
        agent: {
          ...adapter.sessionStart(line, { binary: prepared.binary, pid: child.pid }),
          // Killed by the kernel if ceros dies, so nothing can impersonate a dead daemon to it.
          agentDiesWithCeros: child.diesWithCeros,
        },
        cwd: ctx.cwd,
        projectDir: prepared.projectDir,
        socketPath: started.socketPath,
        proxyUrl: daemon.proxyUrl,
        upstream: started.upstream,
        mcpServers: started.launch.mcpServers,
        configInventory: prepared.configInventory,
        nesting: prepared.nesting,
        credentialsReplaced: started.credentialsReplaced,
        processMemory: prepared.processMemory,
        runDir: started.runDir,
      },
      { ancestry: (pid) => trust.ancestry(pid), progress: ctx.progress },
    );
    journal.open(opened.writer);
    started.monitor.current = watchPosture({
      capture: () => trust.capture(),
      intervalMs: started.intervalMs,
      state,
      recorder: journal.recorder,
      progress: ctx.progress,
      end: endAgent,
    });
    if (enrolled) {
      sync = runSyncStage({
        enrolled,
        home,
        deviceId: device.record.deviceId,
        sessionId,
        keys: opened.keys,
        journal,
        state,
        progress: ctx.progress,
        end: endAgent,
        pollPolicy: !line.policyFile,
        policyPollMs: positive(ctx.env.CEROS_POLICY_POLL_MS) ?? POLICY_POLL_MS,
        trustedKeys: prepared.trustedKeys,
        evaluationContext: prepared.evaluationContext,
        identities: inventory.identities,
      });
    }
  })();
  startup.then(started.ready.resolve, (error: Error) => {
    started.ready.reject(error);
    ctx.progress(`ceros: Cannot start the session journal: ${error.message}; stopping ${adapter.product}`);
    child.kill('SIGTERM');
  });

  const exit = await child.exited;
  await runDrainStage({
    startup,
    journal,
    exit,
    durationMs: () => Date.now() - startedAt,
    sync: () => sync,
    progress: ctx.progress,
    close: [
      () => started.monitor.current?.stop(),
      () => sync?.stop(),
      () => journal.writer()?.close(),
      () => trust.close(),
      () => daemon.close(),
      () => {
        for (const file of started.launch.files) rmSync(file, { force: true });
      },
    ],
  });
  return { stdout: '', stderr: '', exitCode: exit.exitCode };
}

/** The processes above `pid` (no hashing); none where the platform cannot be read. */
async function ancestorsOf(pid: number) {
  try {
    return readAncestors(await createProcessReader(process.platform), pid);
  } catch {
    return [];
  }
}

function describeNesting(nesting: Nesting): string {
  const parts = [
    ...Object.entries(nesting.markers).map(([name, value]) => `${name}=${value}`),
    ...nesting.agents.map((agent) => `Claude Code pid ${agent.pid}`),
  ];
  return parts.join(', ');
}

function positive(value: string | undefined): number | undefined {
  return Number(value) > 0 ? Number(value) : undefined;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/** A promise settled from outside; a rejection nobody awaits yet is not an unhandled one. */
function deferred(): Deferred {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * A refusal before the session's own stages ran (a flag or environment that switches hooks off,
 * failed posture, a policy or enrollment it cannot use) on the record like the later ones: a short
 * certified session holding one session.refused entry. A journal that cannot take it (damaged,
 * unwritable) leaves the refusal as it is, said once on stderr.
 */
async function refusalOnRecord(
  product: string,
  refusal: { stage: string; reason: string; exitCode: number; agentArgs: readonly string[] },
  ctx: CommandContext,
  deps: SessionDeps,
): Promise<void> {
  try {
    const home = ensurePrivateDir(cerosHome(ctx.env));
    if (journalTailProblem(join(home, 'journal'))) return;
    const keystore = selectKeystore({
      env: ctx.env,
      cerosHome: home,
      platform: process.platform,
      nativeLibraryDir: dirname(deps.cerosBinary),
    }).keystore;
    const device = await loadOrCreateDevice(home, keystore);
    await journalRefusal(home, device, null, {
      product,
      cwd: ctx.cwd,
      refused: refusal.stage,
      reason: refusal.reason,
      exitCode: refusal.exitCode,
      agentArgs: refusal.agentArgs,
    });
  } catch (error) {
    ctx.progress(`ceros: Could not journal the refusal: ${(error as Error).message}`);
  }
}
