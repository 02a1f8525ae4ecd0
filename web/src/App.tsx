import { useEffect, useState } from 'react';
import { api, clearSession, ApiError } from './api';
import { MeContext } from './auth';
import { allowed, NAV } from './nav';
import { match, navigate, useHashPath } from './router';
import type { Me } from './types';
import { Login } from './pages/Login';
import { Home } from './pages/Home';
import { Intake } from './pages/client/Intake';
import { Fit } from './pages/client/Fit';
import { QuestionnaireList, QuestionnairePage } from './pages/client/Questionnaires';
import { Progress } from './pages/client/Progress';
import { Caseload } from './pages/therapist/Caseload';
import { ClientDetail } from './pages/therapist/ClientDetail';
import { Alerts } from './pages/therapist/Alerts';
import { Profile } from './pages/therapist/Profile';
import { Waitlist } from './pages/coordinator/Waitlist';
import { Assign } from './pages/coordinator/Assign';
import { Capacity } from './pages/coordinator/Capacity';
import { Episodes } from './pages/coordinator/Episodes';
import { Analyses } from './pages/researcher/Analyses';
import { Exports } from './pages/researcher/Exports';
import { Users } from './pages/admin/Users';
import { Instruments } from './pages/admin/Instruments';
import { Audit } from './pages/admin/Audit';
import { Outcomes } from './pages/Outcomes';
import { AlertSettings } from './pages/coordinator/AlertSettings';

/** A link whose id is not an id (#/clients/abc): not found, rather than a request for NaN. */
function NotFound({ what }: { what: string }) {
  return (
    <section>
      <h1 tabIndex={-1}>Not found</h1>
      <p role="alert">There is no {what}. Check the link, or go back to the list.</p>
    </section>
  );
}

function route(path: string): React.ReactNode {
  const clean = path.split('?')[0];
  const table: [string, (p: Record<string, string>) => React.ReactNode][] = [
    ['/', () => <Home />],
    ['/intake', () => <Intake />],
    ['/therapists', () => <Fit />],
    ['/questionnaires', () => <QuestionnaireList />],
    ['/questionnaires/:id', (p) => <QuestionnairePage key={path} id={p.id} />],
    ['/progress', () => <Progress />],
    ['/caseload', () => <Caseload />],
    ['/clients/:id', (p) => (/^[1-9]\d{0,17}$/.test(p.id) ? <ClientDetail key={p.id} id={Number(p.id)} /> : <NotFound what={`client "${p.id}"`} />)],
    ['/alerts', () => <Alerts />],
    ['/profile', () => <Profile />],
    ['/outcomes', () => <Outcomes />],
    ['/alert-settings', () => <AlertSettings />],
    ['/waitlist', () => <Waitlist />],
    ['/assign', () => <Assign />],
    ['/capacity', () => <Capacity />],
    ['/in-therapy', () => <Episodes />],
    ['/analyses', () => <Analyses />],
    ['/exports', () => <Exports />],
    ['/users', () => <Users />],
    ['/instruments', () => <Instruments />],
    ['/audit', () => <Audit />],
  ];
  for (const [pattern, render] of table) {
    const m = match(pattern, clean);
    if (m) return render(m);
  }
  return <p>There is no page at {clean}. <a href="#/">Go home</a>.</p>;
}

export function App() {
  const path = useHashPath();
  const [me, setMe] = useState<Me | null>(null);
  const [signedOut, setSignedOut] = useState(false);
  const [checked, setChecked] = useState(false);
  const [signOutError, setSignOutError] = useState('');

  useEffect(() => {
    api.me().then(setMe).catch((e) => {
      if (!(e instanceof ApiError) || e.status !== 401) console.warn(e);
      clearSession();
    }).finally(() => setChecked(true));
  }, []);

  // move focus to the new page's heading for screen-reader and keyboard users
  useEffect(() => {
    const h = document.querySelector<HTMLElement>('main h1');
    h?.focus();
  }, [path, me]);

  if (!checked) return <p className="loading" role="status">Loading…</p>;
  if (!me) return <Login signedOut={signedOut} onSignedIn={(m) => { setSignedOut(false); setMe(m); navigate('/'); }} />;

  const nav = NAV[me.role] ?? [];
  const ok = allowed(me.role, path);
  return (
    <MeContext.Provider value={me}>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header className="top">
        <span className="brand">Attune</span>
        <nav aria-label="Main">
          <ul>
            {nav.map((n) => {
              const current = n.path === '/' ? path === '/' : path.startsWith(n.path);
              return (
                <li key={n.path}>
                  <a href={`#${n.path}`} aria-current={current ? 'page' : undefined}>{n.label}</a>
                </li>
              );
            })}
          </ul>
        </nav>
        <span className="who" data-testid="who">{me.handle} · {me.role}</span>
        <button type="button" className="link" onClick={async () => {
          try {
            await api.logout();
          } catch (e) {
            // Not signed out: say so rather than show the sign-in page over a live session.
            setSignOutError(`Sign-out failed, you are still signed in: ${e instanceof ApiError ? e.detail || e.title : String(e)}`);
            return;
          }
          setSignOutError('');
          setSignedOut(true);
          setMe(null);
          navigate('/');
        }}>
          Sign out
        </button>
        {signOutError ? <p className="sign-out-error" role="alert">{signOutError}</p> : null}
      </header>
      <main id="main" tabIndex={-1}>
        {ok ? route(path) : (
          <section>
            <h1 tabIndex={-1}>Not available</h1>
            <p role="alert">This page is not part of what {/^[aeiou]/.test(me.role) ? 'an' : 'a'} {me.role} can open.</p>
          </section>
        )}
      </main>
    </MeContext.Provider>
  );
}
