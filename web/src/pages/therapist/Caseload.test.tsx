// The caseload puts a client with an urgent open alert (a risk item) above clients with more,
// less urgent ones: one rupture raises four alerts (goal, task, bond, total).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { Caseload, caseloadOrder } from './Caseload';
import { shortDate } from '../../plain';

afterEach(() => vi.unstubAllGlobals());
import type { Alert, Episode } from '../../types';

const alert = (id: number, severity: Alert['severity']): Alert => ({
  id, episode_id: 1, response_id: 1, kind: severity === 'urgent' ? 'risk_item' : 'rupture', severity, detail: '',
  raised_at: '2026-11-01T10:00:00Z', acknowledged_at: null, resolved_at: null,
});

describe('caseload order', () => {
  it('puts urgent first, then more open alerts first', () => {
    const rows = [
      { name: 'rupture', open: [alert(1, 'warning'), alert(2, 'warning'), alert(3, 'warning'), alert(4, 'warning')] },
      { name: 'risk', open: [alert(5, 'urgent')] },
      { name: 'none', open: [] as Alert[] },
      { name: 'one', open: [alert(6, 'warning')] },
    ];
    expect(rows.sort(caseloadOrder).map((r) => r.name)).toEqual(['risk', 'rupture', 'one', 'none']);
  });
});

describe('caseload', () => {
  const client = (id: number) => ({ id, pseudonym: `Client ${id}`, concerns: ['anxiety'], goals: [], preferences: {}, constraints: [] });
  const pt = (value: number) => ({ response_id: value, answered_at: '2026-10-01T10:00:00Z', value, band: 'mild' });
  it('separates ended episodes from current ones and shows the outcome measure the client has (GAD-7)', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [client(1), client(2)] }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [
        { id: 10, client_id: 1, therapist_id: 4, started_on: '2026-09-01', ended_on: null, status: 'active', assigned_by: 'match' },
        { id: 11, client_id: 2, therapist_id: 4, started_on: '2026-01-01', ended_on: '2026-04-01', status: 'ended', assigned_by: 'match' }] }), { status: 200 });
      if (url.endsWith('/alerts')) return new Response(JSON.stringify({ alerts: [] }), { status: 200 });
      if (url.includes('/clients/1/trajectory?instrument=gad7')) return new Response(JSON.stringify({ points: [pt(12), pt(9.333333)] }), { status: 200 });
      if (url.includes('/clients/2/trajectory?instrument=phq9')) return new Response(JSON.stringify({ points: [pt(8)] }), { status: 200 });
      if (url.includes('/trajectory')) return new Response(JSON.stringify({ points: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Caseload />);
    const current = await screen.findByTestId('caseload');
    expect(within(current).getByText('Client 1')).toBeTruthy();
    expect(within(current).queryByText('Client 2')).toBeNull();
    expect(within(current).getByText(/^GAD-7 9\.3 \(mild\), .*2026$/)).toBeTruthy();
    const ended = screen.getByTestId('caseload-ended');
    expect(within(ended).getByText('Client 2')).toBeTruthy();
    expect(within(ended).getByText(/^PHQ-9 8 \(mild\), .*2026$/)).toBeTruthy();
  });

  const episode = (id: number, client_id: number, status: Episode['status'], started_on: string): Episode => ({ id, client_id, therapist_id: 4,
    started_on, ended_on: status === 'ended' ? '2026-04-01' : null, status, assigned_by: status === 'waiting' ? 'client_choice' : 'match' });
  /** A server listing `clients` and `episodes`, with no alerts and no answers; returns the URLs asked for. */
  function serve(clients: ReturnType<typeof client>[], episodes: Episode[], alerts: Alert[] = []): string[] {
    const requested: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      requested.push(url);
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes }), { status: 200 });
      if (url.endsWith('/alerts')) return new Response(JSON.stringify({ alerts }), { status: 200 });
      if (url.includes('/trajectory')) return new Response(JSON.stringify({ points: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    return requested;
  }

  // Before: every alert not resolved was counted open, acknowledged ones too (the Alerts page
  // counts them apart), and an acknowledged risk alert still marked the client urgent.
  it('counts only open alerts, and marks urgent only for an open risk alert', async () => {
    serve([client(1)], [episode(10, 1, 'active', '2026-09-01')], [
      { ...alert(1, 'warning'), episode_id: 10 },
      { ...alert(2, 'urgent'), episode_id: 10, acknowledged_at: '2026-11-02T10:00:00Z', status: 'acknowledged' },
      { ...alert(3, 'warning'), episode_id: 10, acknowledged_at: '2026-11-02T10:00:00Z', resolved_at: '2026-11-03T10:00:00Z', status: 'resolved' }]);
    render(<Caseload />);
    const current = await screen.findByTestId('caseload');
    expect(within(current).getByText('1 open')).toBeTruthy();
    expect(within(current).queryByText('urgent')).toBeNull();
  });

  // Before: every episode that was not active was listed under "Ended", so a client who had just
  // chose this therapist (waiting for the clinic) showed as one whose therapy had ended.
  it('lists a client who chose this therapist apart, not as ended', async () => {
    serve([client(1), client(2), client(3)], [episode(10, 1, 'active', '2026-09-01'), episode(11, 2, 'ended', '2026-01-01'), episode(12, 3, 'waiting', '2026-11-20')]);
    render(<Caseload />);
    const chose = await screen.findByTestId('caseload-chose');
    expect(within(chose).getByText('Client 3')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Chose you' })).toBeTruthy();
    expect(within(chose).getByRole('columnheader', { name: 'Chose you on' })).toBeTruthy();
    const ended = screen.getByTestId('caseload-ended');
    expect(within(ended).queryByText('Client 3')).toBeNull();
    expect(within(ended).getByText('Client 2')).toBeTruthy();
    expect(within(screen.getByTestId('caseload')).queryByText('Client 3')).toBeNull();
  });

  // The server lists to the therapist only clients with an active or ended episode with them; a
  // choice waiting for the clinic gives the episode alone (docs/api.md, Authorisation).
  it('lists a client who chose this therapist by the episode when the server does not list the client', async () => {
    const requested = serve([client(1)], [episode(10, 1, 'active', '2026-09-01'), episode(12, 3, 'waiting', '2026-11-20')]);
    render(<Caseload />);
    const chose = await screen.findByTestId('caseload-chose');
    const row = within(chose).getByRole('rowheader', { name: 'Client 3' }).closest('tr') as HTMLElement;
    expect(within(row).queryByRole('link')).toBeNull();  // the client's page is refused
    expect(within(row).getByText(shortDate('2026-11-20'))).toBeTruthy();
    expect(requested.some((u) => u.includes('/clients/3/'))).toBe(false);
    expect(within(screen.getByTestId('caseload')).queryByText('Client 3')).toBeNull();
  });

  it('dates the score shown and says when a later answer could not be scored', async () => {
    const at = (value: number | null, day: string) => ({ response_id: 1, answered_at: `2026-10-${day}T10:00:00Z`, value, band: value === null ? '' : 'mild' });
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [client(1)] }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [
        { id: 10, client_id: 1, therapist_id: 4, started_on: '2026-09-01', ended_on: null, status: 'active', assigned_by: 'match' }] }), { status: 200 });
      if (url.endsWith('/alerts')) return new Response(JSON.stringify({ alerts: [] }), { status: 200 });
      if (url.includes('instrument=phq9')) return new Response(JSON.stringify({ points: [at(14, '01'), at(11, '08'), at(null, '15')] }), { status: 200 });
      if (url.includes('/trajectory')) return new Response(JSON.stringify({ points: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Caseload />);
    const row = within(await screen.findByTestId('caseload')).getAllByRole('row')[1];
    const cell = within(row).getAllByRole('cell')[3];
    expect(cell.textContent).toContain(`PHQ-9 11 (mild), ${shortDate('2026-10-08T10:00:00Z')}`);
    expect(within(cell).getByTestId('outcome-unscored').textContent).toBe(`; a later answer (${shortDate('2026-10-15T10:00:00Z')}) could not be scored`);
  });

  it('dates the latest alliance (WAI-SR total) as it dates the outcome, and says a later unscorable one', async () => {
    const at = (value: number | null, day: string) => ({ response_id: 1, answered_at: `2026-10-${day}T10:00:00Z`, value, band: '' });
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [client(1), client(2)] }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [
        { id: 10, client_id: 1, therapist_id: 4, started_on: '2026-09-01', ended_on: null, status: 'active', assigned_by: 'match' },
        { id: 11, client_id: 2, therapist_id: 4, started_on: '2026-09-02', ended_on: null, status: 'active', assigned_by: 'match' }] }), { status: 200 });
      if (url.endsWith('/alerts')) return new Response(JSON.stringify({ alerts: [] }), { status: 200 });
      if (url.includes('/clients/1/trajectory?instrument=wai_sr')) return new Response(JSON.stringify({ points: [at(48, '01'), at(36.25, '08'), at(null, '15')] }), { status: 200 });
      if (url.includes('/clients/2/trajectory?instrument=wai_sr')) return new Response(JSON.stringify({ points: [at(50, '02')] }), { status: 200 });
      if (url.includes('/trajectory')) return new Response(JSON.stringify({ points: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Caseload />);
    const table = await screen.findByTestId('caseload');
    const alliance = (name: string) => within(within(table).getByText(name).closest('tr') as HTMLElement).getAllByRole('cell')[2];
    expect(alliance('Client 2').textContent).toBe(`50, ${shortDate('2026-10-02T10:00:00Z')}`);
    const cell = alliance('Client 1');
    expect(cell.textContent).toContain(`36.3, ${shortDate('2026-10-08T10:00:00Z')}`);
    expect(within(cell).getByTestId('alliance-unscored').textContent).toBe(`; a later answer (${shortDate('2026-10-15T10:00:00Z')}) could not be scored`);
    expect(within(table).getByText(/each with the date it was answered/)).toBeTruthy();
  });
});
