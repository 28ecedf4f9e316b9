/**
 * A real rsyslog (Debian's rsyslogd, .ci/run installs it) for tests: in the foreground (-n) with
 * its own configuration, work folder and ports, never the system's; as an unprivileged user
 * (`setpriv` to nobody when the test runs as root). It listens for RFC 5424 over plain TCP and
 * over TLS (rsyslog's OpenSSL driver with a certificate from a test CA made with openssl), parses
 * the structured data (mmpstrucdata) and writes one line per message to a file.
 */
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  caPem: string;
  /** A CA that signed nothing the receiver uses: a client trusting it must refuse the receiver. */
  otherCaPem: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

function run(cmd: string[], cwd: string): void {
  const result = Bun.spawnSync(cmd, { cwd, stdout: 'pipe', stderr: 'pipe' });
  if (result.exitCode !== 0) throw new Error(`${cmd.join(' ')}: ${result.stderr.toString()}`);
}

/** A CA and a server certificate for 127.0.0.1 and localhost (EC P-256, one day). */
export function makeTestCa(dir: string): TestCa {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    [
      'openssl',
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=ceros test CA',
    ],
    dir,
  );
  run(
    [
      'openssl',
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'other.key',
      '-out',
      'other.pem',
      '-days',
      '1',
      '-subj',
      '/CN=another CA',
    ],
    dir,
  );
  run(
    ['openssl', 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
    dir,
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(
    [
      'openssl',
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    ],
    dir,
  );
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    otherCaPem: readFileSync(join(dir, 'other.pem'), 'utf8'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    caFile: join(dir, 'ca.pem'),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function listening(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = Bun.connect({
        hostname: '127.0.0.1',
        port,
        socket: {
          open(s) {
            s.end();
            resolve(true);
          },
          data() {},
          error() {
            resolve(false);
          },
          connectError() {
            resolve(false);
          },
        },
      }).catch(() => resolve(false));
      void socket;
    });
    if (ok) return true;
    await Bun.sleep(50);
  }
  return false;
}

export interface SyslogLine {
  pri: number;
  time: string;
  hostname: string;
  appName: string;
  msgid: string;
  /** mmpstrucdata's parse of the structured data: `{ "ceros@32473": { seq: "3", ... } }`. */
  sd: Record<string, Record<string, string>>;
  msg: string;
}

export interface Rsyslog {
  tcpPort: number;
  tlsPort: number;
  ca: TestCa;
  /** Every message rsyslog has written so far. */
  lines(): SyslogLine[];
  /**
   * The messages once it has written at least `count` (it reads a connection to its end before
   * the edge counts a batch delivered, and writes its file a moment later, from its own queue).
   */
  waitForLines(count: number, timeoutMs?: number): Promise<SyslogLine[]>;
  stop(): Promise<void>;
  /** Starts it again on the same ports, keeping what it wrote (a receiver that comes back). */
  restart(): Promise<void>;
  kill(): Promise<void>;
}

export async function startRsyslog(): Promise<Rsyslog> {
  const dir = mkdtempSync(join(tmpdir(), 'ceros-rsyslog-'));
  const ca = makeTestCa(dir);
  const tcpPort = await freePort();
  const tlsPort = await freePort();
  const out = join(dir, 'messages.log');
  // Fields split on "|#|"; only the last (MSG) could hold it, and splitting keeps the rest whole.
  const config = `
global(workDirectory="${dir}" maxMessageSize="256k"
  defaultNetstreamDriverCAFile="${ca.caFile}"
  defaultNetstreamDriverCertFile="${ca.certFile}"
  defaultNetstreamDriverKeyFile="${ca.keyFile}")
module(load="imtcp" maxSessions="50")
module(load="mmpstrucdata")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="ceros")
input(type="imtcp" address="127.0.0.1" port="${tlsPort}" ruleset="ceros"
  streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="line" type="string" string="%pri%|#|%timereported:::date-rfc3339%|#|%hostname%|#|%app-name%|#|%msgid%|#|%$!rfc5424-sd%|#|%msg%\\n")
ruleset(name="ceros") {
  action(type="mmpstrucdata")
  action(type="omfile" file="${out}" template="line")
}
`;
  writeFileSync(join(dir, 'rsyslog.conf'), config);
  const root = process.getuid?.() === 0;
  if (root)
    for (const f of ['', 'rsyslog.conf', 'server.key', 'server.pem', 'ca.pem'])
      chownSync(join(dir, f), 65534, 65534);
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const start = async () => {
    const cmd = ['rsyslogd', '-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')];
    proc = Bun.spawn(root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...cmd] : cmd, {
      stdout: 'pipe',
      stderr: 'pipe',
    });
    if (!(await listening(tcpPort, 10_000)) || !(await listening(tlsPort, 10_000))) {
      proc.kill();
      const stderr = await new Response(proc.stderr as ReadableStream).text();
      throw new Error(`rsyslogd did not listen on ${tcpPort}/${tlsPort}: ${stderr}`);
    }
  };
  await start();
  const stop = async () => {
    if (!proc) return;
    proc.kill('SIGTERM');
    await proc.exited;
    proc = undefined;
  };
  const self: Rsyslog = {
    tcpPort,
    tlsPort,
    ca,
    async waitForLines(count, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      let lines = self.lines();
      while (lines.length < count && Date.now() < until) {
        await Bun.sleep(25);
        lines = self.lines();
      }
      return lines;
    },
    lines() {
      let text = '';
      try {
        text = readFileSync(out, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((line) => {
          const [pri, time, hostname, appName, msgid, sd, ...msg] = line.split('|#|');
          return {
            pri: Number(pri),
            time: time ?? '',
            hostname: hostname ?? '',
            appName: appName ?? '',
            msgid: msgid ?? '',
            sd: sd ? (JSON.parse(sd) as SyslogLine['sd']) : {},
            msg: msg.join('|#|').replace(/^\uFEFF/, ''),
          };
        });
    },
    stop,
    restart: start,
    async kill() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
