/**
 * A throwaway software TPM (swtpm) for tests: a fresh TPM 2.0 with its own state folder, listening
 * on 127.0.0.1 only. FAPI reaches it through the TCTI string `swtpm:host=127.0.0.1,port=P`.
 *
 * swtpm serves one client connection at a time, so tests must close a FAPI context before opening
 * another (the TPM keystore opens one per operation).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SWTPM_PACKAGES = 'swtpm libtss2-fapi1 libtss2-tcti-swtpm0';

export interface Swtpm {
  /** TCTI string for FAPI's config, e.g. `swtpm:host=127.0.0.1,port=40123`. */
  readonly tcti: string;
  readonly port: number;
  readonly stateDir: string;
  /** Stops swtpm and, unless the caller supplied `stateDir`, deletes its state. */
  stop(): Promise<void>;
}

export interface StartSwtpmOptions {
  /** Reuse a TPM state folder (for a "reboot" of the same TPM); kept on stop. */
  stateDir?: string;
  /** How long to wait for swtpm to accept connections; default 10 s. */
  readyTimeoutMs?: number;
}

/** Starts swtpm on two free consecutive ports (server P, control P+1) and waits until it answers. */
export async function startSwtpm(options: StartSwtpmOptions = {}): Promise<Swtpm> {
  const binary = Bun.which('swtpm');
  if (!binary) {
    throw new Error(
      `Cannot start the software TPM: "swtpm" is not on PATH; install the Debian packages ${SWTPM_PACKAGES} (CI runs scripts/ci-tpm.sh)`,
    );
  }
  const ownState = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'ceros-swtpm-'));
  let lastError = '';
  // Another process can take the ports between the probe and swtpm's bind; retry on a new pair.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePortPair();
    const proc = Bun.spawn(
      [
        binary,
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${stateDir}`,
        '--server',
        `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
    );
    const ready = await waitForPort(port, proc.exited, options.readyTimeoutMs ?? 10_000);
    if (ready === 'ready') {
      let stopped = false;
      return {
        tcti: `swtpm:host=127.0.0.1,port=${port}`,
        port,
        stateDir,
        async stop() {
          if (stopped) return;
          stopped = true;
          proc.kill('SIGTERM');
          await proc.exited;
          if (ownState) rmSync(stateDir, { recursive: true, force: true });
        },
      };
    }
    proc.kill('SIGKILL');
    await proc.exited;
    const stderr = await new Response(proc.stderr).text();
    lastError = ready === 'exited' ? `swtpm exited: ${stderr.trim() || '(no output)'}` : 'timed out';
  }
  if (ownState) rmSync(stateDir, { recursive: true, force: true });
  throw new Error(`Cannot start the software TPM: ${lastError}`);
}

async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await isFree(port)) && (await isFree(port + 1))) return port;
  }
  throw new Error('Cannot start the software TPM: found no two free consecutive TCP ports on 127.0.0.1');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitForPort(
  port: number,
  exited: Promise<number>,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) return 'exited';
    if (await canConnect(port)) return 'ready';
    await Bun.sleep(20);
  }
  return 'timeout';
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
