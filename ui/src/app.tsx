// Application shell: session gate, navigation, routes.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Loading } from './components/ui';
import { getSession, logout, onSession, refreshRole, type Session } from './lib/api';
import { resolve } from './lib/router';
import { AttackerDetailPage, AttackersPage } from './pages/Attackers';
import { SettingsPage, UsersPage } from './pages/Admin';
import { CredentialsPage } from './pages/Credentials';
import { DeployPage, FleetPage } from './pages/Fleet';
import { ChangePasswordPage, LoginPage } from './pages/Login';
import { LogsPage } from './pages/Logs';
import { OverviewPage } from './pages/Overview';
import { navigate, useLocation } from './router';

type View = (p: Record<string, string>) => ComponentChildren;

const ROUTES: { path: string; view: View }[] = [
  { path: '/', view: () => <OverviewPage /> },
  { path: '/fleet', view: () => <FleetPage /> },
  { path: '/fleet/deploy', view: () => <DeployPage /> },
  { path: '/attackers', view: () => <AttackersPage /> },
  { path: '/attackers/:uuid', view: (p) => <AttackerDetailPage uuid={p.uuid} /> },
  { path: '/credentials', view: () => <CredentialsPage /> },
  { path: '/logs', view: () => <LogsPage /> },
  { path: '/users', view: () => <UsersPage /> },
  { path: '/settings', view: () => <SettingsPage /> },
];

const NAV: { href: string; label: string; admin?: boolean; icon: string }[] = [
  { href: '/', label: 'Overview', icon: 'M3 13h8V3H3zm0 8h8v-6H3zm10 0h8V11h-8zm0-18v6h8V3z' },
  { href: '/fleet', label: 'Fleet', icon: 'M4 5h16v4H4zm0 6h16v4H4zm0 6h16v4H4z' },
  { href: '/attackers', label: 'Attackers', icon: 'M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm0 2c-5 0-9 2.5-9 5v3h18v-3c0-2.5-4-5-9-5z' },
  { href: '/credentials', label: 'Credentials', icon: 'M7 14a5 5 0 1 1 4.9-6H22v4h-2v4h-4v-4h-4.1A5 5 0 0 1 7 14zm0-3a2 2 0 1 0 0-4 2 2 0 0 0 0 4z' },
  { href: '/logs', label: 'Logs', icon: 'M4 4h16v2H4zm0 5h16v2H4zm0 5h10v2H4zm0 5h16v2H4z' },
  { href: '/users', label: 'Users', admin: true, icon: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM9 13c-4 0-7 2-7 4v3h14v-3c0-2-3-4-7-4zm8 0c-.5 0-1 0-1.5.1 1.5 1 2.5 2.3 2.5 3.9v3h5v-3c0-2-2.7-4-6-4z' },
  { href: '/settings', label: 'Settings', icon: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm9 5v-2l-2.2-.5-.7-1.7 1.2-1.9-1.4-1.4-1.9 1.2-1.7-.7L14 3h-2l-.5 2.2-1.7.7-1.9-1.2-1.4 1.4 1.2 1.9-.7 1.7L3 11v2l2.2.5.7 1.7-1.2 1.9 1.4 1.4 1.9-1.2 1.7.7.5 2.2h2l.5-2.2 1.7-.7 1.9 1.2 1.4-1.4-1.2-1.9.7-1.7z' },
];

function useSession(): Session | null {
  const [s, setS] = useState(getSession());
  useEffect(() => onSession(setS), []);
  return s;
}

export function App() {
  const session = useSession();
  const loc = useLocation();

  useEffect(() => {
    if (session && !session.mustChange && session.role === null) refreshRole().catch(() => undefined);
  }, [session?.token, session?.mustChange]);

  const onAuthPage = loc.path === '/login' || loc.path === '/change-password';
  useEffect(() => {
    if (!session && loc.path !== '/login') {
      navigate('/login' + (loc.path !== '/' ? '?next=' + encodeURIComponent(loc.path + location.search) : ''), true);
    } else if (session && !session.mustChange && onAuthPage) {
      const next = loc.search.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
    }
  }, [session === null, session?.mustChange, loc.path]);

  if (!session) return <LoginPage />;
  if (session.mustChange) return <ChangePasswordPage forced />;
  if (onAuthPage) return <Loading />;
  if (session.role === null) return <Loading label="Loading your account…" />;
  const hit = resolve(ROUTES, loc.path);
  return (
    <div class="shell">
      <nav class="side" aria-label="Main">
        <div class="brand">
          <svg viewBox="0 0 32 32" width="24" height="24" aria-hidden="true">
            <path d="M8 22 L16 8 L24 22 Z" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round" />
            <circle cx="16" cy="18" r="2.5" fill="currentColor" />
          </svg>
          <span>decnet</span>
        </div>
        <ul>
          {NAV.filter((n) => !n.admin || session.role === 'admin').map((n) => {
            const active = n.href === '/' ? loc.path === '/' : loc.path === n.href || loc.path.startsWith(n.href + '/');
            return (
              <li key={n.href}>
                <Link href={n.href} class={active ? 'active' : ''}>
                  <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                    <path d={n.icon} fill="currentColor" />
                  </svg>
                  {n.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div class="side-foot">
          <div class="who">
            <strong>{session.username}</strong>
            <span class="muted">{session.role}</span>
          </div>
          <button class="btn sm" onClick={() => void logout()} data-testid="logout">
            Sign out
          </button>
        </div>
      </nav>
      <main class="main">
        {hit ? (
          hit.view(hit.params)
        ) : (
          <div class="page">
            <h1>Page not found</h1>
            <p>
              There is nothing at <code>{loc.path}</code>. <Link href="/">Go to the overview</Link>.
            </p>
          </div>
        )}
      </main>
    </div>
  );
}
