// The client record's charts show one episode, with sessions numbered as the monitor numbers
// them, so that an alert's "session N" is marked at N.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { MeContext } from '../../auth';
import { ClientDetail, RUPTURE_LABEL, alertsBySession, inEpisode, oneMarkPerSession, placeSessions, shownEpisode } from './ClientDetail';
import type { Episode, Me, TrajectoryPoint } from '../../types';

const episode = (id: number, status: string, started_on: string) =>
  ({ id, client_id: 3, therapist_id: 1, status, started_on }) as Episode;
const point = (response_id: number, episode_id: number | null, session_id: number | null = null): TrajectoryPoint =>
  ({ response_id, answered_at: `2026-01-0${response_id}T10:00:00Z`, value: 10, band: '', session_id, episode_id });

describe('the client record charts', () => {
  it('show the active episode, else the latest', () => {
    expect(shownEpisode([episode(1, 'ended', '2026-01-01'), episode(2, 'active', '2025-01-01')])?.id).toBe(2);
    expect(shownEpisode([episode(1, 'ended', '2026-01-01'), episode(2, 'ended', '2026-03-01')])?.id).toBe(2);
    expect(shownEpisode([])).toBeUndefined();
  });

  it('keep the shown episode\'s answers only', () => {
    const pts = [point(1, 1, 11), point(2, 1, 12), point(3, 2), point(4, 2)];
    expect(inEpisode(pts, episode(2, 'active', '2026-02-01')).map((p) => p.response_id)).toEqual([3, 4]);
    expect(inEpisode(pts, undefined)).toHaveLength(4);
  });

  it('number answers by their session, else by position in the episode, as the monitor does', () => {
    const numbers = new Map([[11, 1], [12, 2]]);
    expect(placeSessions([point(1, 1, 11), point(2, 1, 12)], numbers)).toEqual([1, 2]);
    // a new episode's answers without sessions: 1, 2, 3, 4 (not after the earlier episode's)
    expect(placeSessions([point(3, 2), point(4, 2), point(5, 2), point(6, 2)], numbers)).toEqual([1, 2, 3, 4]);
  });

  it('draw one mark per session, its labels joined', () => {
    const marks = oneMarkPerSession([
      { session: 4, label: 'rupture' }, { session: 4, label: 'rupture' }, { session: 4, label: 'risk item' },
      { session: 5, label: 'not on track' },
    ]);
    expect(marks).toEqual([{ session: 4, label: 'rupture · risk item' }, { session: 5, label: 'not on track' }]);
  });

  it('label a rupture within the plot, beside its line (it ran through the top of the plot)', () => {
    expect(RUPTURE_LABEL.dy).toBeGreaterThanOrEqual(0);
    expect(RUPTURE_LABEL.dx).toBeLessThan(0);
    expect(RUPTURE_LABEL.textAnchor).toBe('end');
  });

  it('list the outcome alerts by kind and session under the chart (labels on the chart overlapped)', () => {
    const marks = oneMarkPerSession([{ session: 3, label: 'risk item' }, { session: 4, label: 'risk item' },
      { session: 6, label: 'not on track' }, { session: 6, label: 'risk item' }]);
    expect(alertsBySession(marks)).toBe('risk item at sessions 3, 4 and 6; not on track at session 6');
  });
});

describe('a client page the reader may not open', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('says so plainly on a 403, not in the server\'s words', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(
      JSON.stringify({ title: 'Forbidden', detail: 'therapist may not read this client' }),
      { status: 403, headers: { 'Content-Type': 'application/problem+json' } })));
    const me: Me = { user_id: 5, org_id: 1, handle: 'therapist', role: 'therapist', therapist_id: 1 };
    render(<MeContext.Provider value={me}><ClientDetail id={2} /></MeContext.Provider>);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe("You do not have access to this client's record.");
  });
});

describe('a client page\'s alerts', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('lists open and acknowledged alerts, with the resolved ones folded away', async () => {
    const alert = (id: number, kind: string, ack: string | null, res: string | null) => ({ id, episode_id: 7, client_id: 2, kind,
      severity: 'warning', detail: `${kind} ${id}`, raised_at: `2026-11-0${id}T10:00:00Z`, acknowledged_at: ack, resolved_at: res });
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });
      if (url.endsWith('/clients/2')) return ok({ id: 2, pseudonym: 'Client B', concerns: [], goals: [], preferences: {}, constraints: [] });
      if (url.endsWith('/episodes')) return ok({ episodes: [{ id: 7, client_id: 2, therapist_id: 1, started_on: '2026-09-01', ended_on: null, status: 'active', assigned_by: 'match' }] });
      if (url.endsWith('/alerts')) return ok({ alerts: [alert(1, 'rupture', '2026-11-02', '2026-11-03'), alert(2, 'not_on_track', null, null),
        alert(3, 'rupture', '2026-11-04', null), alert(4, 'risk_item', '2026-11-05', '2026-11-06')] });
      if (url.includes('/trajectory')) return ok({ points: [] });
      if (url.endsWith('/sessions')) return ok({ sessions: [] });
      return new Response('{}', { status: 404 });
    }));
    const me: Me = { user_id: 5, org_id: 1, handle: 'therapist', role: 'therapist', therapist_id: 1 };
    render(<MeContext.Provider value={me}><ClientDetail id={2} /></MeContext.Provider>);
    const folded = await screen.findByTestId('resolved-alerts');
    expect(folded.querySelector('summary')!.textContent).toBe('Resolved alerts (2)');
    expect(within(folded).getAllByRole('listitem')).toHaveLength(2);
    const current = screen.getAllByRole('list').find((l) => !folded.contains(l) && l.classList.contains('alerts'))!;
    expect(within(current).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringMatching(/not_on_track 2/), expect.stringMatching(/rupture 3/)]);
  });
});
