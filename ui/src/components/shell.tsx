import type { ComponentChildren } from 'preact';
import { useConsole } from '../hooks.ts';
import { Link } from '../router.tsx';

export const NAV = [
  { href: '/', label: 'Dashboard', match: (p: string) => p === '/' },
  { href: '/conversations', label: 'Conversations', match: (p: string) => p.startsWith('/conversations') },
  { href: '/tools', label: 'Tools', match: (p: string) => p.startsWith('/tools') },
  { href: '/mcp', label: 'MCP servers', match: (p: string) => p.startsWith('/mcp') },
  { href: '/policies', label: 'Policies', match: (p: string) => p.startsWith('/policies') },
  { href: '/devices', label: 'Devices', match: (p: string) => p.startsWith('/devices') },
  { href: '/activity', label: 'Activity log', match: (p: string) => p.startsWith('/activity') },
  { href: '/settings', label: 'Settings', match: (p: string) => p.startsWith('/settings') },
] as const;

function Logo() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" class="logo">
      <path
        d="M12 2 3.5 5.5v6.1c0 5 3.6 9.4 8.5 10.4 4.9-1 8.5-5.4 8.5-10.4V5.5L12 2Z"
        fill="currentColor"
        opacity=".18"
      />
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
  );
}

export function Shell({ path, children }: { path: string; children: ComponentChildren }) {
  const { session, signOut } = useConsole();
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav class="sidebar" aria-label="Console">
        <div class="sidebar-inner">
          <div class="brand">
            <Logo />
            <span>ceros</span>
          </div>
          <div class="org" title={session.org.slug}>
            {session.org.name}
          </div>
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} class="nav-link" aria-current={item.match(path) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
          <div class="whoami">
            <div class="whoami-email" title={session.email}>
              {session.email}
            </div>
            <div class="whoami-role">{session.role === 'admin' ? 'Admin' : 'Auditor · read only'}</div>
            <button type="button" class="btn btn-ghost btn-small" onClick={signOut}>
              Sign out
            </button>
          </div>
        </div>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

export function PageHeader({
  title,
  subtitle,
  actions,
  back,
}: {
  title: ComponentChildren;
  subtitle?: ComponentChildren;
  actions?: ComponentChildren;
  back?: { href: string; label: string };
}) {
  return (
    <header class="page-header">
      <div>
        {back ? (
          <Link href={back.href} class="back">
            ← {back.label}
          </Link>
        ) : null}
        <h1>{title}</h1>
        {subtitle ? <p class="subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div class="page-actions">{actions}</div> : null}
    </header>
  );
}
