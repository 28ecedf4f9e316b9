import { rmSync } from 'node:fs';
import { EXIT } from '../cli/command.ts';
import { guardDecide } from '../decide/decision.ts';
import type { ConfigItem } from '../inventory/config-item.ts';
import type { SessionCredentials } from '../proxy/credentials.ts';
import { type ProxyServer, serveProxy } from '../proxy/server.ts';
import type { AgentAdapter } from './agent-adapter.ts';
import { gateSubagents } from './agent-gate.ts';
import { createHookHttpHandler } from './hook-http.ts';
import type { HookPeerVerifier } from './hook-peer.ts';
import { createSessionCore, type SessionCore } from './session-core.ts';
import type { SessionJournal } from './session-journal.ts';
import type { SessionState } from './session-state.ts';
import { type HookSocketServer, serveHookSocket } from './socket-server.ts';
import { type StageResult, stageFailure } from './stage.ts';

export interface DaemonStageDeps {
  /** The hook socket: `@name` (a Linux abstract socket) or a path. */
  socketPath: string;
  /** A second factor for HTTP hooks where the settings carry it unseen (hook-channel plan); else null. */
  hookToken: () => string | null;
  /** Whether a hook call comes from this session's agent (hook-peer.ts). */
  verifier: HookPeerVerifier;
  upstream: string;
  projectDir: string;
  journal: SessionJournal;
  state: SessionState;
  /** Resolves once the session's certificate and session.start are on disk (the journal stage). */
  ready: Promise<void>;
  /** Before each tool decision: re-check posture when it is stale. */
  beforeDecision(): Promise<void>;
  /** Ancestry of a hook process, captured while it waits for its answer. */
  hookAncestry(pid: number): Promise<unknown>;
  createModelProxy: AgentAdapter['createModelProxy'];
  /** This session's placeholder credentials, which the proxy swaps for the real ones. */
  credentials: SessionCredentials;
  /** A subagent's own hooks and MCP servers, read at the call (AgentAdapter.subagentConfig). */
  subagentConfig(name: string): { file: string; items: ConfigItem[] } | null;
  /** CEROS_HOME, where the user's approvals are. */
  home: string;
  /** The socket and HTTP adapters (Bun.listen, Bun.serve); tests may pass others. */
  serveSocket?: typeof serveHookSocket;
  serveHttp?: typeof serveProxy;
}

export interface Daemon {
  core: SessionCore;
  proxyUrl: string;
  /** Stops the socket and the proxy and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Daemon stage: the session core (every hook call decided against the state's policy, fail
 * closed), the hook socket (abstract on Linux, else 0600), and on one loopback port both the HTTP
 * hooks and the recording proxy for the agent's model API. Every hook call is checked to come from
 * the session's agent before anything of it is believed.
 */
export async function runDaemonStage(deps: DaemonStageDeps): Promise<StageResult<Daemon>> {
  const { state } = deps;
  const policyHash = () => state.policy?.source.hash ?? null;
  const core = createSessionCore({
    recorder: deps.journal.recorder,
    // The policy can change mid-session (an edge publishes a new bundle): read it at each call.
    decide: guardDecide(
      gateSubagents((call) => state.decide(call), {
        findConfig: deps.subagentConfig,
        home: deps.home,
        approval: () => state.policy?.compiled.session.configApproval ?? 'off',
        policyHash,
      }),
      policyHash,
    ),
    policyHash,
    projectDir: deps.projectDir,
    ready: deps.ready,
    lockdown: () => state.lockdown,
    beforeDecision: deps.beforeDecision,
    hookAncestry: deps.hookAncestry,
    skillShell: () => state.policy?.compiled.session.skillShell ?? null,
  });
  let server: HookSocketServer | undefined;
  let proxy: ProxyServer | undefined;
  try {
    server = await (deps.serveSocket ?? serveHookSocket)(deps.socketPath, core, deps.verifier);
    const forward = deps.createModelProxy({
      upstream: deps.upstream,
      recorder: deps.journal.recorder,
      ready: deps.ready,
      track: deps.journal.track,
      hooksAlive: core.hooksAlive,
      credentials: deps.credentials,
    });
    let port = 0;
    const hooks = createHookHttpHandler(core, {
      token: deps.hookToken,
      verifier: deps.verifier,
      serverPort: () => port,
    });
    proxy = (deps.serveHttp ?? serveProxy)((request, client) => hooks(request, client) ?? forward(request));
    port = proxy.port;
  } catch (error) {
    server?.close();
    if (!deps.socketPath.startsWith('@')) rmSync(deps.socketPath, { force: true });
    return stageFailure(`Cannot start the session daemon: ${(error as Error).message}`, EXIT.FAILURE);
  }
  const listening = { server, proxy };
  return {
    ok: true,
    value: {
      core,
      proxyUrl: proxy.url,
      close: async () => {
        listening.server.close();
        await listening.proxy.stop();
        if (!deps.socketPath.startsWith('@')) rmSync(deps.socketPath, { force: true });
      },
    },
  };
}
