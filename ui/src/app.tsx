import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, type SessionResponse } from './api.ts';
import { PageHeader, Shell } from './components/shell.tsx';
import { ErrorState, Loading } from './components/states.tsx';
import { Console, type ConsoleContext } from './hooks.ts';
import { ActivityPage } from './pages/activity.tsx';
import { ConversationsPage } from './pages/conversations.tsx';
import { DashboardPage } from './pages/dashboard.tsx';
import { DevicePage } from './pages/device.tsx';
import { DevicesPage } from './pages/devices.tsx';
import { McpServersPage } from './pages/mcp-servers.tsx';
import { PoliciesPage } from './pages/policies.tsx';
import { SessionPage } from './pages/session.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { ToolsPage } from './pages/tools.tsx';
import { Link, type Location, matchPath, navigate, useLocation } from './router.tsx';

type Auth =
  | { kind: 'checking' }
  | { kind: 'failed'; error: Error }
  | { kind: 'signed-out' }
  | { kind: 'signed-in'; session: SessionResponse };

function route(location: Location): ComponentChildren {
  const { path } = location;
  if (path === '/' || path === '/sign-in') return <DashboardPage />;
  if (path === '/conversations') return <ConversationsPage location={location} />;
  let params = matchPath('/conversations/:device/:session', path);
  if (params)
    return (
      <SessionPage deviceId={params.device ?? ''} sessionId={params.session ?? ''} location={location} />
    );
  if (path === '/tools') return <ToolsPage location={location} />;
  if (path === '/mcp') return <McpServersPage />;
  if (path === '/policies') return <PoliciesPage policyId={undefined} />;
  params = matchPath('/policies/:id', path);
  if (params) return <PoliciesPage policyId={params.id} />;
  if (path === '/devices') return <DevicesPage location={location} />;
  params = matchPath('/devices/:id', path);
  if (params) return <DevicePage deviceId={params.id ?? ''} />;
  if (path === '/activity') return <ActivityPage location={location} />;
  if (path === '/settings') return <SettingsPage />;
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is nothing at <code>{path}</code>. <Link href="/">Go to the dashboard</Link>.
      </p>
    </>
  );
}

export function App({
  api,
  initialSession,
  setUnauthenticated,
}: {
  api: Api;
  /** The session request main.tsx started before the first render. */
  initialSession?: Promise<SessionResponse>;
  setUnauthenticated: (fn: () => void) => void;
}) {
  const location = useLocation();
  const [auth, setAuth] = useState<Auth>({ kind: 'checking' });
  const [toast, setToast] = useState<{ message: string; tone: 'ok' | 'error'; id: number } | null>(null);
  const firstPath = useRef(location.path);

  const check = (pending?: Promise<SessionResponse>) => {
    setAuth({ kind: 'checking' });
    (pending ?? api.session()).then(
      (session) => setAuth({ kind: 'signed-in', session }),
      (error: Error) =>
        setAuth(
          error instanceof ApiError && error.code === 'UNAUTHENTICATED'
            ? { kind: 'signed-out' }
            : { kind: 'failed', error },
        ),
    );
  };

  useEffect(() => {
    setUnauthenticated(() => setAuth({ kind: 'signed-out' }));
    check(initialSession);
  }, []);

  // After a client-side navigation, move focus to the page so screen readers announce it.
  useEffect(() => {
    if (location.path === firstPath.current) return;
    firstPath.current = location.path;
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [location.path]);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 5000);
    return () => clearTimeout(timer);
  }, [toast]);

  const context = useMemo<ConsoleContext | null>(() => {
    if (auth.kind !== 'signed-in') return null;
    return {
      api,
      session: auth.session,
      canWrite: auth.session.role === 'admin',
      signOut: () => {
        api.logout().finally(() => {
          setAuth({ kind: 'signed-out' });
          navigate('/');
        });
      },
      notify: (message, tone = 'ok') => setToast({ message, tone, id: Date.now() }),
    };
  }, [auth, api]);

  if (auth.kind === 'checking') return <Loading label="Opening the console…" />;
  if (auth.kind === 'failed')
    return (
      <div class="signin">
        <ErrorState error={auth.error} retry={() => check()} />
      </div>
    );
  if (auth.kind === 'signed-out' || !context)
    return (
      <SignIn
        api={api}
        onSignedIn={(session) => {
          setAuth({ kind: 'signed-in', session });
          if (location.path === '/sign-in') navigate('/', { replace: true });
        }}
      />
    );

  return (
    <Console.Provider value={context}>
      <Shell path={location.path}>
        {route(location)}
        <div class="toast-region" role="status" aria-live="polite">
          {toast ? (
            <div class={`toast toast-${toast.tone}`} key={toast.id}>
              {toast.message}
            </div>
          ) : null}
        </div>
      </Shell>
    </Console.Provider>
  );
}
