import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on a loopback port that keeps every message it receives (tests only). */
export interface SmtpSink {
  url: string;
  messages: { to: string[]; raw: string }[];
  /** Resolves with the six-digit code of the next (or latest unread) message to `to`. */
  codeFor(to: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: { user?: string; pass?: string } = {}): Promise<SmtpSink> {
  const messages: { to: string[]; raw: string }[] = [];
  const read = new Set<number>();
  const server = new SMTPServer({
    disabledCommands: options.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.user,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.pass)
        callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const auth = options.user
    ? `${encodeURIComponent(options.user)}:${encodeURIComponent(options.pass ?? '')}@`
    : '';
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    messages,
    async codeFor(to, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (let i = messages.length - 1; i >= 0; i--) {
          const message = messages[i];
          if (!message || read.has(i) || !message.to.includes(to)) continue;
          const code = /Your code: (\d{6})/.exec(message.raw)?.[1];
          if (code) {
            read.add(i);
            return code;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`No code reached the SMTP sink for ${to}`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
