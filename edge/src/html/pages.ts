import { html, raw } from 'hono/html';
import type { MailMessage } from '../mail/mailer.ts';
import type { DeviceInfo } from '../store/store.ts';

/**
 * The enrollment pages: plain server-rendered HTML forms, usable without JavaScript. (The Preact
 * console is a separate issue.) Every interpolation goes through hono/html, which escapes it.
 */
type Html = ReturnType<typeof html>;

function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · ceros</title>
<style>
${raw(`body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}label{display:block;margin:1rem 0 .25rem;font-weight:600}
input{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #8c959f;border-radius:6px}
input.code{letter-spacing:.3em;font-family:ui-monospace,monospace;font-size:1.3rem}
button{font:inherit;margin-top:1rem;padding:.5rem 1.2rem;border:0;border-radius:6px;background:#1f6feb;color:#fff}
.error{background:#ffebe9;border:1px solid #ff8182;padding:.6rem;border-radius:6px}
.note{color:#57606a;font-size:.9rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}dt{color:#57606a}`)}
</style>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>`;
}

const errorBox = (error: string | undefined) =>
  error ? html`<p class="error" role="alert">${error}</p>` : '';
const outboxNote = (devOutbox: boolean) =>
  devOutbox
    ? html`<p class="note">Development edge: mail is not sent. Read the code in the edge log or at <a href="/dev/outbox">/dev/outbox</a>.</p>`
    : '';

export function enrollCodePage(input: { csrf: string; error?: string; code?: string }): Html {
  return layout(
    'Enroll this device',
    html`<p>Type the code your terminal shows after <code>ceros enroll</code>.</p>
${errorBox(input.error)}
<form method="get" action="/enroll">
<label for="code">Device code</label>
<input id="code" name="code" class="code" autocomplete="off" required placeholder="ABCD-EFGH" value="${input.code ?? ''}">
<button type="submit">Continue</button>
</form>`,
  );
}

/** What holds the device key, in words a person can check against their machine. */
export function keyDescription(protection: string): string {
  switch (protection) {
    case 'tpm':
      return 'ECDSA P-256, held by the TPM: it cannot be copied off this machine';
    case 'secure-enclave':
      return 'ECDSA P-256, held by the Secure Enclave: it cannot be copied off this Mac';
    case 'platform-crypto':
      return "ECDSA P-256, held by Windows' Platform Crypto Provider (TPM): it cannot be copied off this PC";
    case 'software':
      return 'ECDSA P-256, in a file of this user (software key: it can be copied)';
    default:
      return `ECDSA P-256 (${protection})`;
  }
}

const NOT_SENT = html`<span class="note">not sent by the device</span>`;

export function enrollEmailPage(input: {
  csrf: string;
  userCode: string;
  device: DeviceInfo;
  keyProtection: string;
  orgName: string | null;
  email?: string;
  error?: string;
}): Html {
  const d = input.device;
  return layout(
    'Enroll this device',
    html`<p>A device asks to record its Claude Code sessions${input.orgName ? html` for <strong>${input.orgName}</strong>` : ''}. Check that it is yours:</p>
<dl>
<dt>Code</dt><dd><code>${input.userCode}</code></dd>
<dt>Host name</dt><dd>${d.hostname ?? NOT_SENT}</dd>
<dt>System</dt><dd>${d.os || d.arch ? [d.os, d.arch].filter(Boolean).join(' · ') : NOT_SENT}</dd>
<dt>Device key</dt><dd>${keyDescription(input.keyProtection)}</dd>
<dt>ceros</dt><dd>${d.cerosVersion ?? NOT_SENT}</dd>
</dl>
<p class="note">If this is not the machine in front of you, close this page: whoever started it would record sessions in your name.</p>
${errorBox(input.error)}
<form method="post" action="/enroll/email">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="code" value="${input.userCode}">
<label for="email">Your work email</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${input.email ?? ''}">
<button type="submit">Email me a code</button>
</form>`,
  );
}

export function enrollOtpPage(input: {
  csrf: string;
  userCode: string;
  email: string;
  devOutbox: boolean;
  error?: string;
}): Html {
  return layout(
    'Check your email',
    html`<p>We sent a six-digit code to <strong>${input.email}</strong>. It expires in 10 minutes.</p>
${outboxNote(input.devOutbox)}
${errorBox(input.error)}
<form method="post" action="/enroll/verify">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="code" value="${input.userCode}">
<label for="otp">Code</label>
<input id="otp" name="otp" class="code" inputmode="numeric" pattern="[0-9 ]{6,7}" autocomplete="one-time-code" required>
<button type="submit">Verify</button>
</form>
<form method="post" action="/enroll/email">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="code" value="${input.userCode}">
<input type="hidden" name="email" value="${input.email}">
<button type="submit">Send a new code</button>
</form>`,
  );
}

export function enrollDonePage(input: { email: string; orgName: string; awaitingApproval: boolean }): Html {
  return layout(
    input.awaitingApproval ? 'Waiting for approval' : 'Device enrolled',
    input.awaitingApproval
      ? html`<p>This device is registered to <strong>${input.email}</strong> in ${input.orgName}. An admin must approve it; your terminal continues once they do.</p>`
      : html`<p>This device is now registered to <strong>${input.email}</strong> in ${input.orgName}. You can close this tab and return to your terminal.</p>`,
  );
}

export function enrollErrorPage(message: string): Html {
  return layout(
    'Cannot enroll',
    html`<p class="error" role="alert">${message}</p><p><a href="/enroll">Start again</a></p>`,
  );
}

export function outboxPage(messages: readonly (MailMessage & { sentAt: string })[]): Html {
  const items = [...messages].reverse().map(
    (m) => html`<article><h2 style="font-size:1rem">${m.subject}</h2>
<p class="note">to ${m.to} at ${m.sentAt}</p><pre>${m.text}</pre></article>`,
  );
  return layout(
    'Development outbox',
    html`<p class="note">This edge has no SMTP server configured; these are the messages it would have sent.</p>${items.length ? items : html`<p>Empty.</p>`}`,
  );
}
