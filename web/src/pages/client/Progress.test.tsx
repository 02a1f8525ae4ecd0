// My progress: scores as a client reads them (one decimal), dated, and an axis that says
// "score" once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MeContext } from '../../auth';
import { Progress, spreadTicks } from './Progress';
import { shortDate } from '../../plain';
import type { Me } from '../../types';

const me: Me = { user_id: 7, org_id: 1, handle: 'client1', role: 'client', client_id: 3 };
const core10 = { id: 'core10', title: 'CORE-10', respondent: 'client', administrable: true, items: [],
  scales: [{ id: 'total', title: 'Clinical score', items: [], method: 'mean_x10', range: [0, 40], higher_is: 'worse', bands: [], caseness: null }] };
const points = [
  { response_id: 1, answered_at: '2026-09-01T10:00:00Z', value: 20, band: 'moderate' },
  { response_id: 2, answered_at: '2026-10-06T10:00:00Z', value: 15.555555556, band: 'mild' },
];

afterEach(() => vi.unstubAllGlobals());

describe('Progress', () => {
  it('rounds scores to one decimal, dates them, and labels the axis once', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/instruments')) return new Response(JSON.stringify({ instruments: [core10] }), { status: 200 });
      if (url.endsWith('/instruments/core10')) return new Response(JSON.stringify(core10), { status: 200 });
      if (url.includes('/clients/3/trajectory')) return new Response(JSON.stringify({ points }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const { container } = render(<MeContext.Provider value={me}><Progress /></MeContext.Provider>);
    await screen.findByRole('heading', { name: 'CORE-10' });
    expect(container.textContent).not.toMatch(/15\.55/);
    expect(screen.getByText('15.6', { selector: 'strong' })).toBeTruthy();
    fireEvent.click(screen.getByText('Show the numbers'));
    expect(screen.getByRole('cell', { name: '15.6' })).toBeTruthy();
    // the chart is drawn in an effect, which may run after the heading is found (a loaded machine)
    const svg = await waitFor(() => { const el = container.querySelector('svg'); if (!el) throw new Error('no chart yet'); return el; });
    expect(svg.textContent).not.toMatch(/score score/);
    expect(svg.textContent).toMatch(/Date answered/);
  });

  // Before: with one answer the only tick was the raw timestamp ("2026-11-27T23:15:14Z").
  it('dates the x ticks as the table does, with a single answer too', async () => {
    const one = [{ response_id: 1, answered_at: '2026-11-27T23:15:14Z', value: 12, band: 'mild' }];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/instruments')) return new Response(JSON.stringify({ instruments: [core10] }), { status: 200 });
      if (url.endsWith('/instruments/core10')) return new Response(JSON.stringify(core10), { status: 200 });
      if (url.includes('/clients/3/trajectory')) return new Response(JSON.stringify({ points: one }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const { container } = render(<MeContext.Provider value={me}><Progress /></MeContext.Provider>);
    await screen.findByRole('heading', { name: 'CORE-10' });
    const ticks = [...container.querySelectorAll('[aria-label="x-axis tick label"] text')].map((t) => t.textContent);
    expect(ticks).toEqual([shortDate(one[0].answered_at)]);
  });
});

describe('Progress date ticks', () => {
  it('tick as many answer days as fit the width, first and last kept', () => {
    const days = [1, 8, 15, 22, 29].map((d) => new Date(Date.UTC(2026, 8, d)));
    expect(spreadTicks(days, 253)).toEqual([days[0], days[4]]);
    expect(spreadTicks(days, 600)).toEqual(days);
    expect(spreadTicks(days, 320)).toEqual([days[0], days[2], days[4]]);
  });
});
