import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AlertList, alertOrder, alertState } from './AlertList';
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

  // Before: "...session 6 Repaired in session 4", the two notes run together.
  it('shows a resolved alert\'s acknowledge and resolve notes on lines of their own', () => {
    render(<AlertList alerts={[{ ...open, acknowledged_at: '2026-11-02T10:00:00Z', resolved_at: '2026-11-03T10:00:00Z',
      note: 'Discuss in session 6\nRepaired in session 4' }]} onChange={() => {}} />);
    const note = screen.getByTestId('alert-note');
    expect(note.innerHTML).toBe('Discuss in session 6<br>Repaired in session 4');
  });

  it('acknowledges with the note and reloads', async () => {
    const calls = stub();
    const onChange = vi.fn();
    const user = userEvent.setup();
    render(<AlertList alerts={[open]} onChange={onChange} />);
    await user.type(screen.getByLabelText(/^Note: what you will do/), 'talked it through');
    await user.click(screen.getByRole('button', { name: /^Acknowledge/ }));
    expect(calls).toEqual([{ url: '/api/v1/alerts/5/acknowledge', body: { note: 'talked it through' } }]);
    expect(onChange).toHaveBeenCalled();
  });

  it('after acknowledging or resolving, focus moves to a status saying what was done', async () => {
    stub();
    const user = userEvent.setup();
    const { rerender } = render(<AlertList alerts={[open]} onChange={() => {}} clientName={() => 'Client 3'} />);
    await user.type(screen.getByLabelText(/^Note: what you will do/), 'talked it through');
    await user.click(screen.getByRole('button', { name: /^Acknowledge/ }));
    const status = screen.getByRole('status');
    expect(status.textContent).toMatch(/^Acknowledged the rupture alert raised .*2026 for Client 3, with your note\.$/);
    expect(document.activeElement).toBe(status);
    // resolved on the Alerts page, the alert leaves the open list: the status stays and takes focus
    const acked = { ...open, acknowledged_at: '2026-11-02T10:00:00Z' };
    rerender(<AlertList alerts={[acked]} onChange={() => {}} clientName={() => 'Client 3'} />);
    await user.type(screen.getByLabelText(/^Note: how it was resolved/), 'repaired');
    await user.click(screen.getByRole('button', { name: /^Resolve/ }));
    rerender(<AlertList alerts={[]} onChange={() => {}} clientName={() => 'Client 3'} />);
    expect(screen.getByRole('status').textContent).toMatch(/^Resolved the rupture alert/);
    expect(document.activeElement).toBe(screen.getByRole('status'));
  });

  it('an open alert is acknowledged first: no Resolve until then', () => {
    render(<AlertList alerts={[open]} onChange={() => {}} />);
    expect(screen.getByRole('button', { name: /^Acknowledge/ })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Resolve/ })).toBeNull();
  });

  it('refuses to acknowledge or resolve without a note, naming what is needed, with focus on the note', async () => {
    const calls = stub();
    const user = userEvent.setup();
    render(<AlertList alerts={[open, { ...open, id: 6, acknowledged_at: '2026-11-02T10:00:00Z' }]} onChange={() => {}} />);
    await user.click(screen.getByRole('button', { name: /^Acknowledge/ }));
    expect(screen.getByRole('alert').textContent).toBe('Write a note saying what you will do about this alert.');
    expect(document.activeElement).toBe(screen.getByLabelText(/^Note: what you will do/));
    await user.click(screen.getByRole('button', { name: /^Resolve/ }));
    expect(screen.getAllByRole('alert')[1].textContent).toBe('Write a note saying how this alert was resolved.');
    expect(screen.getByLabelText(/^Note: how it was resolved/).getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByLabelText(/^Note: how it was resolved/));
    expect(calls).toHaveLength(0);
  });

  it('offers to handle the other alerts the same answers raised (one rupture, four scales) with the same note', async () => {
    const calls = stub();
    const user = userEvent.setup();
    const goal = { ...open, id: 6, detail: 'goal fell' };
    const total = { ...open, id: 7, detail: 'total fell' };
    const elsewhere = { ...open, id: 8, response_id: 10 };
    const risk = { ...open, id: 9, kind: 'risk_item' };
    render(<AlertList alerts={[open, goal, total, elsewhere, risk]} onChange={() => {}} />);
    const first = screen.getAllByTestId('alert')[0];
    const also = within(first).getByTestId('alert-siblings') as HTMLInputElement;
    expect(also.checked).toBe(true);
    expect(within(first).getByText(/Also acknowledge the 2 other rupture alerts raised by the same answers/)).toBeTruthy();
    await user.type(within(first).getByLabelText(/^Note: what you will do/), 'talked it through');
    await user.click(within(first).getByRole('button', { name: /^Acknowledge/ }));
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/alerts/5/acknowledge', '/api/v1/alerts/6/acknowledge', '/api/v1/alerts/7/acknowledge']);
    expect(calls.every((c) => (c.body as { note: string }).note === 'talked it through')).toBe(true);
    // unticked: only this one
    calls.length = 0;
    const second = screen.getAllByTestId('alert')[1];
    await user.click(within(second).getByTestId('alert-siblings'));
    await user.type(within(second).getByLabelText(/^Note: what you will do/), 'only goal');
    await user.click(within(second).getByRole('button', { name: /^Acknowledge/ }));
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/alerts/6/acknowledge']);
    expect(within(screen.getAllByTestId('alert')[3]).queryByTestId('alert-siblings')).toBeNull();
  });

  it('are worked through urgent first, then open before acknowledged, then newest first', () => {
    const a = (id: number, severity: Alert['severity'], raised_at: string, acknowledged_at: string | null = null) =>
      ({ ...open, id, severity, raised_at, acknowledged_at });
    const sorted = [
      a(1, 'warning', '2026-11-05T10:00:00Z'), a(2, 'urgent', '2026-11-01T10:00:00Z'),
      a(3, 'warning', '2026-11-06T10:00:00Z', '2026-11-06T11:00:00Z'), a(4, 'info', '2026-11-07T10:00:00Z'),
      a(5, 'warning', '2026-11-04T10:00:00Z'),
    ].sort(alertOrder).map((x) => x.id);
    expect(sorted).toEqual([2, 1, 5, 3, 4]);
  });

  it('a resolved alert offers no actions', () => {
    render(<AlertList alerts={[{ ...open, acknowledged_at: 'a', resolved_at: 'b' }]} onChange={() => {}} />);
    const item = screen.getByTestId('alert');
    expect(within(item).queryByRole('button')).toBeNull();
    expect(within(item).getByTestId('alert-state').textContent).toBe('resolved');
  });

  it('names each note box by its alert (kind, date, client) and describes it by the alert\'s detail', () => {
    const goal = { ...open, id: 6, detail: 'goal fell', raised_at: '2026-11-03T10:00:00Z' };
    render(<AlertList alerts={[open, goal]} onChange={() => {}} clientName={() => 'Client 3'} />);
    // getByRole computes the accessible name, and finds exactly one box per name
    const first = screen.getByRole('textbox', { name: /^Note: what you will do about the rupture alert raised .*2026 for Client 3$/, description: /bond fell/ });
    const second = screen.getByRole('textbox', { name: /^Note: what you will do about the rupture alert raised .*2026 for Client 3$/, description: /goal fell/ });
    expect(first).not.toBe(second);
    expect(screen.getByRole('textbox', { description: /^warning rupture — Client 3: goal fell/ })).toBe(second);
  });

  it('names each control by its alert\'s scale, so the alerts one set of answers raised (goal, task, bond, total) differ', async () => {
    const calls = stub();
    const user = userEvent.setup();
    // the server's detail starts with the scale; where evidence is sent, its scale is read first
    const bond = { ...open, detail: 'wai_sr.bond fell to 8 at session 5 from the pair\'s earlier level of 19.5: a drop of 11.5 points, beyond the 6.2 this pair\'s usual movement allows' };
    const total = { ...open, id: 6, detail: 'wai_sr.total fell to 40 at session 5, below the cutoff 42' };
    const goal = { ...open, id: 7, detail: 'goal fell', evidence: { rule: 'reliable_drop', scale: 'wai_sr.goal', session: 5 } };
    render(<AlertList alerts={[bond, total, goal]} onChange={() => {}} clientName={() => 'Client 3'} />);
    const about = (scale: string) => `the rupture alert on the WAI-SR ${scale} scale raised .*2026 for Client 3`;
    for (const scale of ['bond', 'total', 'goal']) {
      // getByRole finds exactly one control per name: siblings no longer share one
      expect(screen.getByRole('textbox', { name: new RegExp(`^Note: what you will do about ${about(scale)}$`) })).toBeTruthy();
      expect(screen.getByRole('button', { name: new RegExp(`^Acknowledge ${about(scale)}$`) })).toBeTruthy();
    }
    // the box that takes the siblings along names them, so it differs between siblings too
    expect(screen.getByRole('checkbox', { name: /^Also acknowledge the 2 other rupture alerts \(on the WAI-SR total and goal scales\) raised by the same answers, with this note$/ })).toBeTruthy();
    expect(screen.getByRole('checkbox', { name: /^Also acknowledge the 2 other rupture alerts \(on the WAI-SR bond and goal scales\) raised by the same answers, with this note$/ })).toBeTruthy();
    await user.type(screen.getByRole('textbox', { name: new RegExp(`about ${about('total')}$`) }), 'talked it through');
    await user.click(screen.getByRole('checkbox', { name: /WAI-SR bond and goal scales/ }));
    await user.click(screen.getByRole('button', { name: new RegExp(`^Acknowledge ${about('total')}$`) }));
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/alerts/6/acknowledge']);
    expect(screen.getByRole('status').textContent).toMatch(new RegExp(`^Acknowledged ${about('total')}, with your note\\.$`));
  });
});
