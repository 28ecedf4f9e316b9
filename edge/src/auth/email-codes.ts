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

/** How long the next guess at an address's codes waits after `guesses` unresolved ones. */
export function guessBackoffMs(ctx: AppContext, guesses: number): number {
  if (guesses <= 0) return 0;
  return Math.min(ctx.settings.guessBackoffMs * 2 ** (guesses - 1), ctx.settings.guessesPerEmail.windowMs);
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The guess budget of the code's email address, across every code mailed to it: at most
 * `guessesPerEmail.count` guesses per window, each after a back-off that doubles with every wrong
 * one. Without it, 5 guesses per code and 5 codes per 15 minutes gave an attacker 25 guesses a
 * window. Returns the guesses counted so far, this one included; throws RATE_LIMITED when the
 * budget is spent or the back-off has not passed.
 */
async function spendGuess(ctx: AppContext, email: string): Promise<number> {
  const budget = ctx.settings.guessesPerEmail;
  const now = ctx.now();
  const spent = (windowStartMs: number | null) => {
    const retry = (windowStartMs ?? now) + budget.windowMs - now;
    return new EdgeError(
      'RATE_LIMITED',
      `Cannot check a code for "${email}" now: ${budget.count} codes were tried in ${Math.round(budget.windowMs / 60_000)} minutes; try again in ${Math.ceil(retry / 60_000)} minutes`,
      { retryAfterSeconds: seconds(retry), limit: 'guesses' },
    );
  };
  const state = await ctx.store.codeGuesses(email, budget.windowMs, now);
  if (state.guesses >= budget.count) throw spent(state.windowStartMs);
  const wait = guessBackoffMs(ctx, state.guesses) - (now - (state.lastMs ?? now));
  if (state.guesses > 0 && wait > 0)
    throw new EdgeError(
      'RATE_LIMITED',
      `Cannot check a code for "${email}" yet: wait ${seconds(wait)} s after a wrong code`,
      { retryAfterSeconds: seconds(wait), limit: 'backoff' },
    );
  // Counted before the comparison, atomically, so parallel guesses cannot exceed the budget.
  const guesses = await ctx.store.recordCodeGuess(email, budget.windowMs, now);
  if (guesses > budget.count) throw spent(state.windowStartMs);
  return guesses;
}

/**
 * Checks a code typed by a human. A code works once, for 10 minutes, and locks after
 * `maxCodeAttempts` wrong guesses (even the right code is refused after that; ask for a new one,
 * which is itself rate-limited); and every guess spends the address's budget (spendGuess). Throws
 * CODE_INCORRECT / CODE_EXPIRED / CODE_USED / CODE_LOCKED / RATE_LIMITED.
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
  const max = ctx.settings.maxCodeAttempts;
  const locked = () =>
    new EdgeError('CODE_LOCKED', `Cannot check the code: ${max} wrong attempts locked it; ask for a new one`);
  // A locked code spends none of the address's budget.
  if (code.attempts >= max) throw locked();
  const guesses = await spendGuess(ctx, code.email);
  // Count the attempt before comparing, atomically, so parallel guesses cannot exceed the cap.
  const attempts = await ctx.store.recordCodeAttempt(code.id);
  if (attempts > max) throw locked();
  const normalized = typed.replace(/\s+/g, '');
  if (
    !/^\d{6}$/.test(normalized) ||
    !equalHex(hashCode(await pepper(ctx), code.id, normalized), code.codeHash)
  ) {
    if (attempts >= max) throw locked();
    const left = Math.min(max - attempts, ctx.settings.guessesPerEmail.count - guesses);
    const wait = seconds(guessBackoffMs(ctx, guesses));
    throw new EdgeError(
      'CODE_INCORRECT',
      `Cannot verify: the code is wrong (${left} ${left === 1 ? 'attempt' : 'attempts'} left; the next one after ${wait} s)`,
      { attemptsLeft: left, retryAfterSeconds: wait },
    );
  }
  if (!(await ctx.store.consumeEmailCode(code.id, ctx.now())))
    throw new EdgeError('CODE_USED', 'Cannot use this code again: codes work once; ask for a new one');
  await ctx.store.clearCodeGuesses(code.email);
  return code;
}
