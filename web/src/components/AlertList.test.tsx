import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AlertList, alertState } from './AlertList';
import type { Alert } from '../types';

const open: Alert = { id: 5, episode_id: 1, response_id: 9, kind: 'rupture', severity: 'warning', detail: 'bond fell',
  raised_at: '2026-11-01T10:00:00Z', acknowledged_at: null, resolved_at: null };

function stub() {
  const calls: { url: string; body: unknown }[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    calls.push({ url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    return new Response(JSON.stringify({ ...open, acknowledged_at: '2026-11-02T10:00:00Z' }), { status: 200 });
  }));
  return calls;
}
afterEach(() => vi.unstubAllGlobals());

describe('AlertList', () => {
  it('states follow the timestamps (null or empty = not yet)', () => {
    expect(alertState(open)).toBe('open');
    expect(alertState({ ...open, acknowledged_at: '' })).toBe('open');
    expect(alertState({ ...open, acknowledged_at: '2026-11-02T10:00:00Z' })).toBe('acknowledged');
    expect(alertState({ ...open, acknowledged_at: 'x', resolved_at: 'y' })).toBe('resolved');
  });

  it('acknowledges with the note and reloads', async () => {
    const calls = stub();
    const onChange = vi.fn();
    const user = userEvent.setup();
    render(<AlertList alerts={[open]} onChange={onChange} />);
    await user.type(screen.getByLabelText(/^Note: what you will do/), 'talked it through');
    await user.click(screen.getByRole('button', { name: 'Acknowledge' }));
    expect(calls).toEqual([{ url: '/api/v1/alerts/5/acknowledge', body: { note: 'talked it through' } }]);
    expect(onChange).toHaveBeenCalled();
  });

  it('an open alert is acknowledged first: no Resolve until then', () => {
    render(<AlertList alerts={[open]} onChange={() => {}} />);
    expect(screen.getByRole('button', { name: 'Acknowledge' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Resolve' })).toBeNull();
  });

  it('refuses to acknowledge or resolve without a note, naming what is needed', async () => {
    const calls = stub();
    const user = userEvent.setup();
    render(<AlertList alerts={[open, { ...open, id: 6, acknowledged_at: '2026-11-02T10:00:00Z' }]} onChange={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Acknowledge' }));
    expect(screen.getByRole('alert').textContent).toBe('Write a note saying what you will do about this alert.');
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    expect(screen.getAllByRole('alert')[1].textContent).toBe('Write a note saying how this alert was resolved.');
    expect(screen.getByLabelText(/^Note: how it was resolved/).getAttribute('aria-invalid')).toBe('true');
    expect(calls).toHaveLength(0);
  });

  it('a resolved alert offers no actions', () => {
    render(<AlertList alerts={[{ ...open, acknowledged_at: 'a', resolved_at: 'b' }]} onChange={() => {}} />);
    const item = screen.getByTestId('alert');
    expect(within(item).queryByRole('button')).toBeNull();
    expect(within(item).getByTestId('alert-state').textContent).toBe('resolved');
  });
});
