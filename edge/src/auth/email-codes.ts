import type { AppContext, RateLimit } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import type { CodePurpose, EmailCode } from '../store/store.ts';
import { equalHex, generateCode, hashCode, randomId, randomToken } from './secrets.ts';

/** The pepper for code hashes: generated once per database and shared by every edge instance. */
async function pepper(ctx: AppContext): Promise<string> {
  return ctx.store.setting('code_pepper', () => randomToken(32));
}

async function limit(ctx: AppContext, key: string, rule: RateLimit, what: string): Promise<void> {
  const count = await ctx.store.hitRateLimit(key, rule.windowMs, ctx.now());
  if (count > rule.count)
    throw new EdgeError(
      'RATE_LIMITED',
      `Cannot send another code ${what}: at most ${rule.count} every ${Math.round(rule.windowMs / 60_000)} minutes`,
      { retryAfterSeconds: Math.ceil(rule.windowMs / 1000) },
    );
}

export interface SendCodeInput {
  purpose: CodePurpose;
  /** What the code unlocks: an enrollment id, or `<org id>:<email>` for admin sign-in. */
  subject: string;
  email: string;
  ip: string;
  subjectLine: string;
  intro: string;
}

/** Mails a fresh six-digit code (retiring the previous one), rate-limited per address and per IP. */
export async function sendCode(ctx: AppContext, input: SendCodeInput): Promise<{ expiresMs: number }> {
  await limit(ctx, `send:email:${input.email}`, ctx.settings.sendPerEmail, `to "${input.email}"`);
  await limit(ctx, `send:ip:${input.ip}`, ctx.settings.sendPerIp, `from address "${input.ip}"`);
  const now = ctx.now();
  const id = randomId('code');
  const code = generateCode();
  const expiresMs = now + ctx.settings.codeTtlMs;
  await ctx.store.createEmailCode({
    id,
    purpose: input.purpose,
    subject: input.subject,
    email: input.email,
    codeHash: hashCode(await pepper(ctx), id, code),
    createdMs: now,
    expiresMs,
    attempts: 0,
    usedMs: null,
  });
  const minutes = Math.round(ctx.settings.codeTtlMs / 60_000);
  await ctx.mailer.send({
    to: input.email,
    subject: input.subjectLine,
    text: `${input.intro}\n\nYour code: ${code}\n\nIt expires in ${minutes} minutes and works once. If you did not ask for it, ignore this message.\n`,
  });
  return { expiresMs };
}

/**
 * Checks a code typed by a human. A code works once, for 10 minutes, and locks after
 * `maxCodeAttempts` wrong guesses (even the right code is refused after that; ask for a new one,
 * which is itself rate-limited). Throws CODE_INCORRECT / CODE_EXPIRED / CODE_USED / CODE_LOCKED.
 */
export async function verifyCode(
  ctx: AppContext,
  purpose: CodePurpose,
  subject: string,
  typed: string,
): Promise<EmailCode> {
  const code = await ctx.store.latestEmailCode(purpose, subject);
  if (!code)
    throw new EdgeError('CODE_INCORRECT', 'Cannot check the code: none was sent; ask for a code first');
  if (code.usedMs !== null)
    throw new EdgeError('CODE_USED', 'Cannot use this code again: codes work once; ask for a new one');
  if (ctx.now() > code.expiresMs)
    throw new EdgeError('CODE_EXPIRED', 'Cannot use this code: it expired; ask for a new one');
  // Count the attempt before comparing, atomically, so parallel guesses cannot exceed the cap.
  const max = ctx.settings.maxCodeAttempts;
  const attempts = await ctx.store.recordCodeAttempt(code.id);
  const locked = () =>
    new EdgeError('CODE_LOCKED', `Cannot check the code: ${max} wrong attempts locked it; ask for a new one`);
  if (attempts > max) throw locked();
  const normalized = typed.replace(/\s+/g, '');
  if (
    !/^\d{6}$/.test(normalized) ||
    !equalHex(hashCode(await pepper(ctx), code.id, normalized), code.codeHash)
  ) {
    if (attempts >= max) throw locked();
    throw new EdgeError(
      'CODE_INCORRECT',
      `Cannot verify: the code is wrong (${max - attempts} attempts left)`,
      {
        attemptsLeft: max - attempts,
      },
    );
  }
  if (!(await ctx.store.consumeEmailCode(code.id, ctx.now())))
    throw new EdgeError('CODE_USED', 'Cannot use this code again: codes work once; ask for a new one');
  return code;
}
