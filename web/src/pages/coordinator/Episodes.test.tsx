// The coordinator ends therapy (POST /episodes/{id}/end): the last day is checked in the form
// first (a date, not in the future, not before therapy started), then sent with the note.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Episodes, endDateProblem, inTherapy } from './Episodes';
import type { Episode } from '../../types';

afterEach(() => vi.unstubAllGlobals());

const episode = (id: number, client_id: number, status: Episode['status']): Episode =>
  ({ id, client_id, therapist_id: 4, started_on: '2026-09-01', ended_on: null, status, assigned_by: 'match' });

describe('ending therapy', () => {
  it('checks the last day against the calendar, today and the start', () => {
    expect(endDateProblem('2026-11-27', '2026-09-01', '2026-11-27')).toBe('');
    expect(endDateProblem('27/11/2026', '2026-09-01', '2026-11-27')).toBe('Enter the date as YYYY-MM-DD.');
    expect(endDateProblem('2026-02-30', '2026-01-01', '2026-11-27')).toMatch(/not a date on the calendar/);
    expect(endDateProblem('2030-01-07', '2026-09-01', '2026-11-27')).toMatch(/in the future/);
    expect(endDateProblem('2026-08-31', '2026-09-01', '2026-11-27')).toBe('2026-08-31 is before therapy started (2026-09-01).');
  });

  it('lists only clients in therapy, by the names people know', () => {
    const rows = inTherapy([episode(2, 2, 'active'), episode(1, 1, 'waiting'), episode(3, 3, 'ended')],
      [{ id: 2, pseudonym: 'Client B', concerns: [], goals: [], preferences: {}, constraints: [] }],
      [{ id: 4, display_name: 'T. Oak' } as never]);
    expect(rows.map((r) => [r.episode.id, r.client, r.therapist])).toEqual([[2, 'Client B', 'T. Oak']]);
  });

  it('ends therapy with its last day and why, and says so', async () => {
    const sent: unknown[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        sent.push([url.replace(/^.*\/api\/v1/, ''), JSON.parse(String(init.body))]);
        return new Response(JSON.stringify({ ...episode(7, 1, 'ended'), ended_on: '2026-11-20' }), { status: 200 });
      }
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [episode(7, 1, 'active')] }), { status: 200 });
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [{ id: 1, pseudonym: 'Client A', concerns: [], goals: [], preferences: {}, constraints: [] }] }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [{ id: 4, display_name: 'T. Oak' }] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Episodes />);
    const row = (await screen.findAllByTestId('episode'))[0];
    await user.click(within(row).getByRole('button', { name: 'End therapy… for Client A with T. Oak' }));
    const date = within(row).getByLabelText(/Last day of therapy/);
    expect(document.activeElement).toBe(date);  // the button that had focus is gone
    await user.clear(date);
    await user.type(date, '2026-08-01');
    await user.click(within(row).getByRole('button', { name: 'End therapy' }));
    expect(within(row).getByText('2026-08-01 is before therapy started (2026-09-01).')).toBeTruthy();
    expect(document.activeElement).toBe(date);
    expect(sent).toEqual([]);
    await user.clear(date);
    await user.type(date, '2026-11-20');
    await user.type(within(row).getByLabelText(/Why it ended/), 'goals met');
    await user.click(within(row).getByRole('button', { name: 'End therapy' }));
    const status = await within(row).findByRole('status');
    expect(status.textContent).toBe("Ended: Client A's therapy with T. Oak ended on Nov 20, 2026.");
    expect(sent).toEqual([['/episodes/7/end', { ended_on: '2026-11-20', note: 'goals met' }]]);
  });
});

describe('cancelling the end of therapy', () => {
  it('"Keep it open" returns focus to the "End therapy…" button that opened the form', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [episode(7, 1, 'active')] }), { status: 200 });
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [] }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Episodes />);
    const row = (await screen.findAllByTestId('episode'))[0];
    await user.click(within(row).getByRole('button', { name: /^End therapy…/ }));
    await user.click(within(row).getByRole('button', { name: 'Keep it open' }));
    expect(document.activeElement).toBe(within(row).getByRole('button', { name: /^End therapy…/ }));
  });
});
