import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, type SessionResponse } from '../api.ts';
import { FormError } from '../components/states.tsx';
import { useTitle } from '../hooks.ts';

type Step = { kind: 'email' } | { kind: 'code'; expiresInSeconds: number };

/** Sign in with an email address and the six-digit code the edge mails to it. */
export function SignIn({ api, onSignedIn }: { api: Api; onSignedIn: (session: SessionResponse) => void }) {
  useTitle('Sign in');
  const [step, setStep] = useState<Step>({ kind: 'email' });
  const [email, setEmail] = useState('');
  const [org, setOrg] = useState('');
  const [needsOrg, setNeedsOrg] = useState(false);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (step.kind === 'code') codeInput.current?.focus();
  }, [step.kind]);

  const orgField = needsOrg && org.trim() !== '' ? { org: org.trim() } : {};

  const start = async (event?: Event) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const sent = await api.loginStart({ email: email.trim(), ...orgField });
      setStep({ kind: 'code', expiresInSeconds: sent.expiresInSeconds });
      setCode('');
      if (event === undefined) setNotice('A new code is on its way.');
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'ORG_REQUIRED') {
        setNeedsOrg(true);
        setError('This address administers more than one organization: name the one to sign in to.');
      } else setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const verify = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      onSignedIn(await api.loginVerify({ email: email.trim(), code: code.replace(/\s/g, ''), ...orgField }));
    } catch (caught) {
      const known = caught instanceof ApiError ? caught.code : undefined;
      setError(
        known === 'CODE_INCORRECT'
          ? 'That code is not right. Check the latest email and try again.'
          : known === 'CODE_EXPIRED' || known === 'CODE_USED'
            ? 'That code can no longer be used. Send a new one.'
            : (caught as Error).message,
      );
      setBusy(false);
    }
  };

  return (
    <div class="signin">
      <div class="signin-card">
        <div class="brand brand-dark">
          <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
            <path
              d="M12 2 3.5 5.5v6.1c0 5 3.6 9.4 8.5 10.4 4.9-1 8.5-5.4 8.5-10.4V5.5L12 2Z"
              fill="none"
              stroke="currentColor"
              stroke-width="1.6"
            />
            <path
              d="m8.2 12.2 2.6 2.6 5-5.3"
              fill="none"
              stroke="currentColor"
              stroke-width="1.8"
              stroke-linecap="round"
              stroke-linejoin="round"
            />
          </svg>
          <span>ceros</span>
        </div>
        <h1>Sign in to the console</h1>
        {step.kind === 'email' ? (
          <form onSubmit={start} class="form">
            <p class="muted">We will email you a six-digit code. No password to remember.</p>
            <label for="email">Work email</label>
            <input
              id="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
            {needsOrg ? (
              <>
                <label for="org">Organization</label>
                <input
                  id="org"
                  required
                  placeholder="acme"
                  value={org}
                  onInput={(e) => setOrg(e.currentTarget.value)}
                />
              </>
            ) : null}
            <FormError error={error} />
            <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
              {busy ? 'Sending…' : 'Email me a code'}
            </button>
          </form>
        ) : (
          <form onSubmit={verify} class="form">
            <p class="muted">
              We sent a code to <strong>{email}</strong>. It expires in{' '}
              {Math.round(step.expiresInSeconds / 60)} minutes.
            </p>
            <label for="code">Six-digit code</label>
            <input
              id="code"
              ref={codeInput}
              class="input-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]{6,7}"
              maxLength={7}
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
            <FormError error={error} />
            {notice ? (
              <p class="form-note" role="status">
                {notice}
              </p>
            ) : null}
            <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
              {busy ? 'Checking…' : 'Sign in'}
            </button>
            <div class="form-links">
              <button type="button" class="link" onClick={() => void start()} disabled={busy}>
                Send a new code
              </button>
              <button
                type="button"
                class="link"
                onClick={() => {
                  setStep({ kind: 'email' });
                  setError(null);
                }}
              >
                Use a different email
              </button>
            </div>
          </form>
        )}
      </div>
      <p class="signin-foot muted">
        Every Claude Code session, tool call and policy decision, signed and verifiable.
      </p>
    </div>
  );
}
