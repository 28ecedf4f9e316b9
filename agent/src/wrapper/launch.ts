import { readlinkSync, realpathSync } from 'node:fs';

/**
 * Adapter: runs the agent with the real terminal (inherited stdio: if stdout were a pipe, Claude
 * Code would silently switch to print mode) and forwards the signals ceros receives.
 */
export interface LaunchResult {
  exitCode: number;
  signal: string | null;
}

export interface RunningClaude {
  pid: number;
  /** The agent is killed by the kernel if ceros dies (Linux, util-linux setpriv); false where it cannot be. */
  diesWithCeros: boolean;
  /** Resolves once the pid runs the agent itself (setpriv has exec'd), so its ancestry names the agent. */
  started: Promise<void>;
  exited: Promise<LaunchResult>;
  kill(signal: NodeJS.Signals): void;
}

const FORWARDED: NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

export function launchAgent(
  binary: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  /** Handed to the agent as its fd 3, 4, ... */
  fds: readonly number[] = [],
): RunningClaude {
  // The agent must not outlive the daemon that enforces its hooks: a process of the agent's that
  // kills ceros could otherwise take over the freed socket name or port and answer "allow". The
  // parent-death signal (prctl(2) PR_SET_PDEATHSIG) survives exec; setpriv sets it and execs.
  const setpriv = process.platform === 'linux' ? Bun.which('setpriv') : null;
  const argv = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', binary, ...args] : [binary, ...args];
  const child = Bun.spawn(argv, {
    cwd,
    env,
    stdio: ['inherit', 'inherit', 'inherit', ...fds],
  });
  const handlers = FORWARDED.map((signal) => {
    // Ctrl-C reaches Claude Code directly (same process group); ceros only has to survive it.
    const handler = () => {
      if (signal !== 'SIGINT' && signal !== 'SIGWINCH') child.kill(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const exited = child.exited.then((code) => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    const signal = child.signalCode ? String(child.signalCode) : null;
    const exitCode = signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 1) : code;
    return { exitCode, signal };
  });
  const started = setpriv ? untilExecd(child.pid, setpriv) : Promise.resolve();
  return {
    pid: child.pid,
    diesWithCeros: setpriv !== null,
    started,
    exited,
    kill: (signal) => child.kill(signal),
  };
}

/** Waits (at most 1 s) until process `pid` no longer runs `launcher`. */
async function untilExecd(pid: number, launcher: string): Promise<void> {
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`) !== realpathSync(launcher)) return;
    } catch {
      return;
    }
    await Bun.sleep(1);
  }
}

export function stringEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

/** Finds `claude`: CEROS_CLAUDE_PATH, else the PATH, skipping ceros itself. */
export function findClaude(env: Readonly<Record<string, string | undefined>>, self: string): string | null {
  if (env.CEROS_CLAUDE_PATH) return env.CEROS_CLAUDE_PATH;
  const found = Bun.which('claude', { PATH: env.PATH ?? '' });
  if (!found) return null;
  try {
    if (realpathSync(found) === realpathSync(self)) return null;
  } catch {
    return found;
  }
  return found;
}

/** Opens a URL with the desktop's opener; false when there is none (then the URL is printed). */
export async function openInBrowser(url: string): Promise<boolean> {
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (!Bun.which(opener)) return false;
  try {
    const child = Bun.spawn([opener, url], { stdout: 'ignore', stderr: 'ignore' });
    return (await child.exited) === 0;
  } catch {
    return false;
  }
}
