/**
 * Runs a command under a real pseudo-terminal (a private tmux server) for interactive-mode tests.
 *
 * Claude Code picks print mode whenever stdout is not a TTY, so interactive behaviour (dialogs,
 * `ask`, PermissionRequest hooks) can only be tested through a PTY. tmux gives a real one, a screen
 * to read back (`capture-pane`) and key injection (`send-keys`). The command runs under a small
 * `sh` runner that records its exit status in a file, and the pane stays open after exit
 * (`remain-on-exit`) so the last screen can still be read.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyOptions {
  cols?: number;
  rows?: number;
  /** Default poll interval for {@link PtySession.waitFor} and {@link PtySession.exitCode}. */
  pollMs?: number;
}

export interface PtySession {
  /**
   * Sends tmux key names or text, e.g. `sendKeys('C-c')`, `sendKeys('Enter')`. A string that is not
   * a key name is typed as text; use {@link PtySession.type} for text that could be mistaken for one.
   */
  sendKeys(...keys: string[]): Promise<void>;
  /** Types text literally (no key-name interpretation). */
  type(text: string): Promise<void>;
  /** The visible screen as plain text, one line per row. */
  screen(): Promise<string>;
  /** Polls the screen until it matches; returns that screen. Throws with the last screen on timeout. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Waits for the command to exit and returns its status (128+N when killed by signal N). */
  exitCode(timeoutMs?: number): Promise<number>;
  /** The status if the command has exited, else `undefined`. */
  exited(): number | undefined;
  /** Kills the tmux server (and with it the command) and removes the temp files. Idempotent. */
  kill(): Promise<void>;
}

/** Quotes one word for POSIX sh. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Starts `cmd` in a fresh PTY (default 200x50) with exactly `env` (plus TERM from tmux unless
 * `env` sets it) in `cwd`. Requires `tmux` on PATH.
 */
export async function startPty(
  cmd: string[],
  env: Record<string, string>,
  cwd: string,
  opts: PtyOptions = {},
): Promise<PtySession> {
  const dir = mkdtempSync(join(tmpdir(), 'ceros-pty-'));
  const socket = join(dir, 'tmux.sock');
  const exitFile = join(dir, 'exit');
  const runner = join(dir, 'run.sh');
  const conf = join(dir, 'tmux.conf');
  const pollMs = opts.pollMs ?? 50;

  const envWords = Object.entries(env).map(([key, value]) => shellQuote(`${key}=${value}`));
  if (!('TERM' in env)) envWords.unshift('"TERM=$TERM"');
  writeFileSync(
    runner,
    [
      '#!/bin/sh',
      `cd ${shellQuote(cwd)} || { echo 97 > ${shellQuote(exitFile)}; exit 97; }`,
      `env -i ${envWords.join(' ')} ${cmd.map(shellQuote).join(' ')}`,
      `echo $? > ${shellQuote(`${exitFile}.tmp`)}`,
      // Renamed into place so a reader never sees a half-written status.
      `mv ${shellQuote(`${exitFile}.tmp`)} ${shellQuote(exitFile)}`,
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  writeFileSync(
    conf,
    [
      'set -g remain-on-exit on',
      'set -g default-terminal "tmux-256color"',
      'set -g history-limit 10000',
      'set -g status off',
      // Without this tmux waits 500 ms after ESC to see whether a key sequence follows.
      'set -sg escape-time 0',
      '',
    ].join('\n'),
  );

  const tmux = async (...args: string[]): Promise<string> => {
    const child = Bun.spawn(['tmux', '-S', socket, '-f', conf, ...args], {
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      // tmux needs a TERM to start; the pane's TERM comes from default-terminal.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', HOME: dir },
    });
    const [out, err, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    if (code !== 0) throw new Error(`Cannot run "tmux ${args[0] ?? ''}": ${err.trim() || `exit ${code}`}`);
    return out;
  };

  const cols = String(opts.cols ?? 200);
  const rows = String(opts.rows ?? 50);
  await tmux('new-session', '-d', '-s', 'pty', '-x', cols, '-y', rows, runner);

  let killed = false;
  const exited = (): number | undefined => {
    if (!existsSync(exitFile)) return undefined;
    const status = Number.parseInt(readFileSync(exitFile, 'utf8').trim(), 10);
    return Number.isNaN(status) ? undefined : status;
  };
  const screen = async (): Promise<string> => tmux('capture-pane', '-p', '-t', 'pty');

  const session: PtySession = {
    sendKeys: async (...keys) => {
      await tmux('send-keys', '-t', 'pty', ...keys);
    },
    type: async (text) => {
      await tmux('send-keys', '-t', 'pty', '-l', text);
    },
    screen,
    waitFor: async (pattern, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        last = await screen();
        if (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) return last;
        if (Date.now() > deadline) {
          throw new Error(`Cannot find ${String(pattern)} on the screen after ${timeoutMs} ms:\n${last}`);
        }
        await Bun.sleep(pollMs);
      }
    },
    exitCode: async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = exited();
        if (status !== undefined) return status;
        if (Date.now() > deadline) throw new Error(`Cannot observe an exit within ${timeoutMs} ms`);
        await Bun.sleep(pollMs);
      }
    },
    exited,
    kill: async () => {
      if (killed) return;
      killed = true;
      await tmux('kill-server').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return session;
}
