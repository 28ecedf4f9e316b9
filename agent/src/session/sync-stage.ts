import { join } from 'node:path';
import type { EvaluationContext, McpServerIdentity, TrustedKey } from '@ceros/policy';
import {
  createEdgeClient,
  createFileLogTrustStore,
  createFileReceiptStore,
  createJsonlEntryReader,
  createLogMonitor,
  createRevocationWatcher,
  createUploader,
  type EdgeClient,
  type EdgeConfig,
  fetchPolicyBundle,
  reportSyncEvent,
  sessionRequestSigner,
  uploadCursorPath,
} from '../edge-client/index.ts';
import type { SessionKeys } from './identity.ts';
import { pollEdgePolicy } from './policy-stage.ts';
import type { SessionJournal } from './session-journal.ts';
import { enforce, type SessionState } from './session-state.ts';
import type { Progress } from './stage.ts';

export const POLICY_POLL_MS = 60_000;
const SYNC_AT_EXIT_MS = 5_000;
/** The log check after the final flush: consistency and the receipt of the session's last entry. */
const LOG_CHECK_AT_EXIT_MS = 3_000;

export interface SyncStageDeps {
  enrolled: EdgeConfig;
  home: string;
  deviceId: string;
  sessionId: string;
  keys: SessionKeys;
  journal: SessionJournal;
  state: SessionState;
  progress: Progress;
  /** Ends the agent, saying why (revocation). */
  end(reason: string): void;
  /** Poll the edge for newer bundles (false when `--policy` pinned this session's policy). */
  pollPolicy: boolean;
  policyPollMs: number;
  trustedKeys: readonly TrustedKey[];
  /** Builds the evaluation context for a policy that arrives when the session had none. */
  evaluationContext(identities: Record<string, McpServerIdentity>): Promise<EvaluationContext>;
  identities: Record<string, McpServerIdentity>;
  /** The edge client adapter (session-signed requests); tests may pass another. */
  client?: EdgeClient;
}

export interface EdgeSync {
  /** At exit: upload what is left, check the log holds it, send any alert that check raised. */
  flushAtExit(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sync stage, for an enrolled device: the journal uploads as it grows; at every upload the edge's
 * transparency log is checked to extend what this device verified and to hold what was sent
 * (docs/spec/receipt.md); a revocation locks the session down and ends the agent; bundles the
 * organization publishes reach the running session.
 */
export function runSyncStage(deps: SyncStageDeps): EdgeSync {
  const { state, journal } = deps;
  const recorder = journal.recorder;
  const client =
    deps.client ??
    createEdgeClient({
      baseUrl: deps.enrolled.edgeUrl,
      signer: sessionRequestSigner({
        deviceId: deps.deviceId,
        sessionId: deps.sessionId,
        privateKey: deps.keys.privateKey,
        certificate: deps.keys.certificate,
      }),
    });
  let ledgerAlerted = false;
  const logMonitor = createLogMonitor({
    client,
    trust: createFileLogTrustStore(deps.home),
    receipts: createFileReceiptStore(deps.home),
    onAlert: (alert) => {
      deps.progress(`ceros: ${alert.message}`);
      try {
        const { code, message, evidence } = alert;
        recorder.append('alert', { kind: 'ledger', code, message, evidence });
        ledgerAlerted = true;
      } catch {
        // The journal closed while the check ran (session over): the line above told the user.
      }
    },
  });
  const uploader = createUploader({
    client,
    deviceId: deps.deviceId,
    readEntriesAfter: createJsonlEntryReader(join(deps.home, 'journal', 'journal.jsonl')),
    cursorPath: uploadCursorPath(deps.home),
    onEvent: (event) => {
      if (event.kind === 'uploaded') void logMonitor.uploaded(event.last);
      reportSyncEvent(event, recorder, deps.progress);
    },
  });
  journal.onAppend(() => uploader.notify());
  uploader.start();
  const revocation = createRevocationWatcher({
    client,
    onRevoked: ({ reason }) => {
      state.lockdown = { rule: 'revoked', reason: `This device or its user was revoked: ${reason}` };
      try {
        recorder.append('alert', { kind: 'revoked', message: reason });
      } catch {
        // The alert is best effort; the lockdown above already denies everything.
      }
      deps.end(`revoked by the organization: ${reason}`);
    },
  });
  revocation.start();
  let policyPoll: ReturnType<typeof setInterval> | undefined;
  if (deps.pollPolicy) {
    // Bundles the organization publishes reach running sessions; the hook layer enforces them at
    // once, the agent's own settings layer from the next session (settings are frozen).
    let polling = false;
    policyPoll = setInterval(() => {
      if (polling) return;
      polling = true;
      void pollEdgePolicy(
        (options) => fetchPolicyBundle(client, options),
        deps.home,
        deps.trustedKeys,
        state.policy?.source.version ?? undefined,
      )
        .then(async (next) => {
          if (!next || next.source.hash === state.policy?.source.hash) return;
          enforce(state, next, state.evaluation ?? (await deps.evaluationContext(deps.identities)));
          recorder.append('policy.updated', { ...next.source, signed: true });
        })
        .catch((error: unknown) => deps.progress(`ceros: policy poll failed: ${(error as Error).message}`))
        .finally(() => {
          polling = false;
        });
    }, deps.policyPollMs);
  }
  return {
    flushAtExit: async () => {
      deps.progress('ceros: syncing the journal to the edge...');
      await Promise.race([uploader.flush(), sleep(SYNC_AT_EXIT_MS)]);
      // Also after a flush that failed: an unreachable edge only leaves entries pending. An alert
      // journaled by a check (this one or one the flush started) is sent before the session ends.
      await Promise.race([logMonitor.sync(), sleep(LOG_CHECK_AT_EXIT_MS)]);
      if (ledgerAlerted) await Promise.race([uploader.flush(), sleep(LOG_CHECK_AT_EXIT_MS)]);
    },
    stop: async () => {
      revocation.stop();
      clearInterval(policyPoll);
      await uploader.stop();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
