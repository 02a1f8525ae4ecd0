// The shell against a stubbed fetch: sign-in, the role's navigation, and refusal of pages
// outside the role.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from './App';

type Handler = (method: string, path: string, body: unknown) => [number, unknown];

function stubFetch(handler: Handler) {
  const calls: { method: string; path: string; headers: Record<string, string> }[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const path = url.replace(/^\/api\/v1/, '');
    calls.push({ method, path, headers: (init.headers ?? {}) as Record<string, string> });
    const [status, body] = handler(method, path, init.body ? JSON.parse(String(init.body)) : undefined);
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
  }));
  return calls;
}

const client = { user_id: 7, org_id: 1, handle: 'client1', role: 'client', client_id: 3 };

beforeEach(() => { sessionStorage.clear(); window.location.hash = '#/'; });
afterEach(() => vi.unstubAllGlobals());

describe('App', () => {
  it('signs in, shows the role\'s navigation, and sends the CSRF token on writes', async () => {
    let signedIn = false;
    const calls = stubFetch((m, p) => {
      if (p === '/auth/me') return signedIn ? [200, client] : [401, { title: 'Unauthenticated', status: 401 }];
      if (m === 'POST' && p === '/auth/login') { signedIn = true; return [200, { token: 't0k', csrf_token: 'c5rf', user: client }]; }
      if (m === 'POST' && p === '/auth/logout') return [204, undefined];
      return [404, { title: 'Not found' }];
    });
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(screen.getByRole('alert').textContent).toBe('Enter your user name and your password.');
    await user.type(screen.getByLabelText('User name'), 'client1');
    await user.type(screen.getByLabelText('Password'), 'secret-pass');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const labels = Array.from(nav.querySelectorAll('a')).map((a) => a.textContent);
    expect(labels).toEqual(['Home', 'About you', 'Therapists who fit', 'Questionnaires', 'My progress']);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Welcome, client1');
    expect(screen.queryByText(/demo organisation/)).toBeNull();  // it cannot tell the demo from a real clinic
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    const logout = calls.find((c) => c.path === '/auth/logout')!;
    expect(logout.headers['X-CSRF-Token']).toBe('c5rf');
    expect(logout.headers.Authorization).toBe('Bearer t0k');
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Sign in to Attune' }));  // not the page
  });

  it('a tab restored from the cookie takes the CSRF token from /auth/me, and a refused sign-out says so', async () => {
    let refuse = true;
    const calls = stubFetch((m, p) => {
      if (p === '/auth/me') return [200, { ...client, csrf_token: 'fr0m-me' }];
      if (m === 'POST' && p === '/auth/logout') {
        return refuse ? [403, { title: 'Not permitted', detail: 'X-CSRF-Token header is missing or wrong' }] : [204, undefined];
      }
      return [404, { title: 'Not found' }];
    });
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(calls.find((c) => c.path === '/auth/logout')!.headers['X-CSRF-Token']).toBe('fr0m-me');
    // Refused: still signed in, and told so (not shown the sign-in page over a live session).
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Sign-out failed, you are still signed in: X-CSRF-Token/);
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();
    refuse = false;
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('a wrong password gets one message that does not say which part was wrong', async () => {
    stubFetch((_m, p) => p === '/auth/me' ? [401, { title: 'Unauthenticated' }] : [401, { title: 'Unauthenticated', detail: 'sign-in failed' }]);
    const user = userEvent.setup();
    render(<App />);
    await user.type(await screen.findByLabelText('User name'), 'x');
    await user.type(screen.getByLabelText('Password'), 'yyyyyyyy');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('That user name and password do not match an account.');
  });

  it('Sign in stays focusable while signing in, and focus stays on it after a refusal', async () => {
    let answer: (v: Response) => void = () => {};
    vi.stubGlobal('fetch', vi.fn((url: string) => (url.endsWith('/auth/me')
      ? Promise.resolve(new Response(JSON.stringify({ title: 'Unauthenticated' }), { status: 401 }))
      : new Promise<Response>((r) => { answer = r; }))));
    const user = userEvent.setup();
    render(<App />);
    await user.type(await screen.findByLabelText('User name'), 'x');
    await user.type(screen.getByLabelText('Password'), 'yyyyyyyy');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const busy = screen.getByRole('button', { name: 'Signing in…' }) as HTMLButtonElement;
    expect(busy.disabled).toBe(false);
    expect(busy.getAttribute('aria-disabled')).toBe('true');
    expect(document.activeElement).toBe(busy);
    answer(new Response(JSON.stringify({ title: 'Unauthenticated' }), { status: 401 }));
    await screen.findByRole('alert');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Sign in' }));
  });

  it('a client cannot open a staff page or another client\'s record', async () => {
    stubFetch((_m, p) => p === '/auth/me' ? [200, client] : [404, { title: 'Not found' }]);
    window.location.hash = '#/clients/4';
    render(<App />);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Not available');
    expect(screen.getByRole('alert').textContent).toMatch(/not part of what a client can open/);
  });

  it('treats #/clients/abc as not found, without asking the server for client NaN', async () => {
    const therapist = { user_id: 4, org_id: 1, handle: 'therapist1', role: 'therapist', therapist_id: 1 };
    const calls = stubFetch((_m, p) => (p === '/auth/me' ? [200, therapist] : [404, { title: 'Not found' }]));
    window.location.hash = '#/clients/abc';
    render(<App />);
    expect((await screen.findByRole('heading', { level: 1, name: 'Not found' }))).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toMatch(/There is no client "abc"/);
    expect(calls.some((c) => /NaN|abc/.test(c.path))).toBe(false);
  });

  it('says "an admin" for a page outside the admin\'s role', async () => {
    const admin = { user_id: 1, org_id: 1, handle: 'admin', role: 'admin' };
    stubFetch((_m, p) => (p === '/auth/me' ? [200, admin] : [404, { title: 'Not found' }]));
    window.location.hash = '#/caseload';
    render(<App />);
    expect((await screen.findByRole('alert')).textContent).toBe('This page is not part of what an admin can open.');
  });
});
