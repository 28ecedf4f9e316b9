/** The edge's one way out to humans: verification codes for enrollment and admin sign-in. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** `outbox` is the development default: nothing leaves the process. */
  readonly kind: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<void>;
}

export interface OutboxMailer extends Mailer {
  readonly kind: 'outbox';
  /** Everything "sent", newest last (bounded to the last 100). */
  readonly messages: readonly (MailMessage & { sentAt: string })[];
}

/**
 * Development mailer: logs every message and keeps the last ones in memory so the edge can show
 * them at /dev/outbox. Never use it where codes must stay secret: anyone who can read the log or
 * reach the page can enroll.
 */
export function createOutboxMailer(
  options: { log?: (line: string) => void; now?: () => Date } = {},
): OutboxMailer {
  const messages: (MailMessage & { sentAt: string })[] = [];
  const now = options.now ?? (() => new Date());
  return {
    kind: 'outbox',
    messages,
    async send(message) {
      messages.push({ ...message, sentAt: now().toISOString() });
      if (messages.length > 100) messages.shift();
      options.log?.(`outbox: to "${message.to}": ${message.subject}\n${message.text}`);
    },
  };
}
