import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { canReadSocketPeers } from '../hook/socket-peer.ts';
import { writePrivateFile } from '../state/secure-fs.ts';
import { createHookPeerVerifier, type HookPeerVerifier, TRUSTING_VERIFIER } from './hook-peer.ts';
import { createLinuxPeerFacts, selfIdentity } from './hook-peer-linux.ts';

export interface HookChannel {
  /** `@ceros-<random>` (a Linux abstract socket) or a 0600 file in the session's folder. */
  socketPath: string;
  /** This daemon as hook clients check it (`PID:START`), null where it cannot be checked. */
  identity: string | null;
  verifier: HookPeerVerifier;
  /** Tells the peer check which process is the agent, once it is spawned. */
  agentLaunched(pid: number): void;
  /**
   * `<prefix>.session` in the run folder: this wrapper's pid and start time, so that the next
   * session can tell a live session from one whose wrapper died (orphaned-sessions.ts), now that an
   * abstract socket and an fd-passed settings file leave nothing else on disk. Removed at the end.
   */
  marker: string;
}

/**
 * The hook channel's two ends: the socket (on Linux an abstract name, random, which nobody can
 * replace while the daemon lives), this daemon's identity for hook clients to check, and the
 * check of every hook caller against the agent once it is launched (hook-peer.ts).
 */
export function hookChannel(runDir: string, sessionId: string, uid: number): HookChannel {
  let agentPid: number | null = null;
  const linux = canReadSocketPeers();
  const identity = linux ? selfIdentity() : null;
  const marker = join(runDir, `${sessionId.slice(0, 8)}.session`);
  writePrivateFile(
    marker,
    `${JSON.stringify({ pid: process.pid, start: identity?.split(':')[1] ?? null })}\n`,
  );
  return {
    marker,
    socketPath: linux
      ? `@ceros-${randomBytes(12).toString('hex')}`
      : join(runDir, `${sessionId.slice(0, 8)}.sock`),
    identity,
    verifier: linux
      ? createHookPeerVerifier({ facts: createLinuxPeerFacts(), uid, agentPid: () => agentPid })
      : // No peer credentials to read here: command hooks are trusted by the socket's 0600 file, and
        // HTTP hooks only with the token (claude-hooks.ts registers none without one).
        TRUSTING_VERIFIER,
    agentLaunched: (pid) => {
      agentPid = pid;
    },
  };
}
