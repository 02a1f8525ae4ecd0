// Recording a session (POST /episodes/{id}/sessions), which makes the WAI-SR due.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ApiError } from '../../api';
import { RecordSession, localDateTime, nextNumber, refusalAtField, validateSession } from './RecordSession';
import type { Episode } from '../../types';

const episode = { id: 7, client_id: 2, therapist_id: 1, status: 'active', started_on: '2026-09-01' } as Episode;
const s1 = { id: 1, episode_id: 7, number: 1, held_at: '2026-09-08T10:00:00Z' };
const s2 = { id: 2, episode_id: 7, number: 2, held_at: '2026-09-15T10:00:00Z' };

describe('recording a session', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('offers the next number and now, and checks the time and number before sending', () => {
    expect(nextNumber([s1, s2])).toBe(3);
    expect(nextNumber([])).toBe(1);
    const now = new Date(2026, 10, 28, 9, 30);
    expect(validateSession({ number: '3', held_at: localDateTime(now) }, episode, [s1, s2], now)).toEqual({});
    expect(validateSession({ number: '3', held_at: '2026-11-29T09:30' }, episode, [s1, s2], now).held_at).toMatch(/in the future/);
    expect(validateSession({ number: '3', held_at: '2026-08-30T09:30' }, episode, [s1, s2], now).held_at).toMatch(/^Therapy began on /);
    expect(validateSession({ number: '3', held_at: '2026-09-10T09:30' }, episode, [s1, s2], now).held_at).toMatch(/^Session 2 was held later/);
    expect(validateSession({ number: '2', held_at: localDateTime(now) }, episode, [s1, s2], now).number).toMatch(/already recorded; the next is 3/);
    expect(validateSession({ number: '1e3', held_at: localDateTime(now) }, episode, [], now).number).toMatch(/whole number/);
  });

  it('says a server refusal in plain words at its field', () => {
    expect(refusalAtField(new ApiError(400, 'Invalid argument', 'held_at is "2027-11-20T10:00:00Z", in the future; expected ...', 'held_at')))
      .toEqual({ held_at: 'That time is in the future; record a session once it has been held.' });
    expect(refusalAtField(new ApiError(409, 'Conflict', 'episode_id 3 is waiting', 'episode_id')).form).toMatch(/has not begun/);
  });

  it('posts the session, says so politely and reloads the list', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ id: 3 }), { status: 201 }));
    vi.stubGlobal('fetch', fetch);
    const reloaded = vi.fn();
    render(<RecordSession episode={episode} sessions={[s1, s2]} onRecorded={reloaded} />);
    expect((screen.getByLabelText('Session number') as HTMLInputElement).value).toBe('3');
    fireEvent.click(screen.getByRole('button', { name: 'Record session' }));
    await waitFor(() => expect(reloaded).toHaveBeenCalled());
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/episodes/7/sessions');
    expect(JSON.parse(String(init.body))).toEqual({ number: 3, held_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(screen.getByRole('status').textContent).toMatch(/^Recorded session 3, held /);
  });

  it('shows a refusal at the field and focuses it, not in the server\'s words', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ title: 'Invalid argument', field: 'held_at',
      detail: 'held_at 2026-09-10T10:00:00Z is before session 2 held 2026-09-15T10:00:00Z' }), { status: 400 })));
    render(<RecordSession episode={episode} sessions={[]} onRecorded={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Record session' }));
    const field = screen.getByLabelText('Date and time held');
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(document.activeElement).toBe(field);
    expect(screen.getByText(/out of order with the other sessions/)).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/held_at/);
  });
});
