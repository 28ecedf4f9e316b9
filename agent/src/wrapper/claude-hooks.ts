import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  BLOCKING_EVENTS,
  COMMAND_ONLY_EVENTS,
  HOOK_EVENTS,
  type HookEvent,
  HTTP_RECORDING_EVENTS,
} from '../hook/events.ts';

/**
 * How ceros's hooks reach the session daemon on one Claude Code version (issue 13, item 3). It is
 * decided once, at start, from the version: the one place that knows what each version does.
 */
export interface ClaudeHookPlan {
  version: string | null;
  /**
   * Blocking events go over HTTP to the session's loopback server with `onFailure: "block"` (a
   * closed port, a timeout, a 500 or a garbage body blocks: checked on 2.1.337), so a tool call
   * costs no process. Older versions keep the command hook and its `|| exit 2`: their HTTP hooks
   * fail open.
   */
  blockingOverHttp: boolean;
  /**
   * The settings reach Claude Code as an unlinked file on fd 3 (`--settings /dev/fd/3`), so
   * nothing on disk holds them and a secret header can ride in them. 2.1.337 reads it; 2.1.197
   * resolves the path first and stops ("Settings file not found: ... (deleted)").
   */
  settingsThroughFd: boolean;
  /** The events this version has, of those ceros handles. */
  events: readonly HookEvent[];
  /** Whether `event` is registered as an HTTP hook (else a command hook). */
  overHttp(event: HookEvent): boolean;
}

/** `onFailure: "block"` first shipped in 2.1.295 (the changelog; verified on 2.1.337). */
const ON_FAILURE_BLOCK = [2, 1, 295] as const;
/** The first version checked to read `--settings /dev/fd/N` of an unlinked regular file. */
const SETTINGS_FD = [2, 1, 337] as const;
/** 2.1.197's event list (claude-code-surface.md 1.1) lacks these; later versions have them. */
const NEWER_EVENTS: ReadonlySet<HookEvent> = new Set(['Interrupt', 'DirectoryAdded', 'PreSkillShellCommand']);
const OLDEST_SUPPORTED = [2, 1, 197] as const;

/**
 * The plan for `version` (null: unknown, the conservative plan every version runs). `peerChecks`
 * says whether the daemon can tell Claude Code's own connections from others' (hook-peer.ts, Linux):
 * without it an HTTP hook is trusted only with a secret no file holds, so without one every event
 * stays a command hook.
 */
export function claudeHookPlan(version: string | null, peerChecks: boolean): ClaudeHookPlan {
  const v = parseVersion(version);
  const atLeast = (min: readonly number[]) => v !== null && compare(v, min) >= 0;
  const settingsThroughFd = atLeast(SETTINGS_FD);
  const httpTrusted = peerChecks || settingsThroughFd;
  const blockingOverHttp = httpTrusted && atLeast(ON_FAILURE_BLOCK);
  const old = v !== null && compare(v, OLDEST_SUPPORTED) <= 0;
  const events = HOOK_EVENTS.filter((event) => !(old && NEWER_EVENTS.has(event)));
  return {
    version,
    blockingOverHttp,
    settingsThroughFd,
    events,
    overHttp: (event) => {
      if (!httpTrusted || COMMAND_ONLY_EVENTS.has(event)) return false;
      if (blockingOverHttp) return true;
      return HTTP_RECORDING_EVENTS.has(event) && !BLOCKING_EVENTS.has(event);
    },
  };
}

function parseVersion(version: string | null): number[] | null {
  const match = version ? /^(\d+)\.(\d+)\.(\d+)/.exec(version) : null;
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The version of the Claude Code binary at `binary`, cheaply: the npm package it belongs to
 * (`@anthropic-ai/claude-code` or its platform package, whose package.json sits beside or above
 * the binary), and only when there is none, `claude --version` (0.4 s). Null when neither says.
 * TODO(#13): replace with the shared version detection (cached by binary identity).
 */
export function detectClaudeVersion(binary: string): string | null {
  let real: string;
  try {
    real = realpathSync(binary);
  } catch {
    return null;
  }
  let dir = dirname(real);
  for (let i = 0; i < 3; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (pkg.name?.startsWith('@anthropic-ai/claude-code') && typeof pkg.version === 'string')
          return pkg.version;
      } catch {
        // not a package we know
      }
    }
    dir = dirname(dir);
  }
  try {
    const run = Bun.spawnSync([real, '--version'], { stdout: 'pipe', stderr: 'ignore', timeout: 5_000 });
    return /^(\d+\.\d+\.\d+)/.exec(run.stdout.toString().trim())?.[1] ?? null;
  } catch {
    return null;
  }
}
