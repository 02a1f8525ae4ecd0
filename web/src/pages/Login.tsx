import { useState } from 'react';
import { api, ApiError } from '../api';
import { useFocusWhen } from '../components/common';
import type { Me } from '../types';

/** `signedOut`: shown after "Sign out", whose button is gone: focus goes to the heading. */
export function Login({ onSignedIn, signedOut }: { onSignedIn: (me: Me) => void; signedOut?: boolean }) {
  const headRef = useFocusWhen<HTMLHeadingElement>(signedOut);
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    const missing = [!handle && 'your user name', !password && 'your password'].filter(Boolean);
    if (missing.length) { setError(`Enter ${missing.join(' and ')}.`); return; }
    setBusy(true);
    setError('');
    try {
      onSignedIn(await api.login(handle.trim(), password));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401
        ? 'That user name and password do not match an account.'
        : err instanceof ApiError ? `${err.title}: ${err.detail}` : `Could not reach Attune: ${String(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login">
      <h1 tabIndex={-1} ref={headRef}>Sign in to Attune</h1>
      <p>Attune helps you and your clinic find the therapist you are most likely to work well with,
        and keeps an eye on how therapy is going, session by session.</p>
      <form onSubmit={submit} noValidate aria-describedby={error ? 'login-error' : undefined}>
        {error && <p id="login-error" className="error-box" role="alert">{error}</p>}
        <label htmlFor="handle">User name</label>
        <input id="handle" name="handle" autoComplete="username" value={handle}
          aria-invalid={error && !handle ? true : undefined} onChange={(e) => setHandle(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" value={password}
          aria-invalid={error && !password ? true : undefined} onChange={(e) => setPassword(e.target.value)} />
        {/* aria-disabled, not disabled: a disabled button drops focus to the page, where it stayed after a refusal */}
        <button type="submit" aria-disabled={busy} aria-busy={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
