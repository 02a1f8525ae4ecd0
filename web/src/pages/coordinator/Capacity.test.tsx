// Capacity lists therapists in natural order: 2 before 10 (as text, 10 came first).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Capacity, capacityRows, naturalCompare } from './Capacity';
import type { Episode } from '../../types';

afterEach(() => vi.unstubAllGlobals());

describe('Capacity', () => {
  it('sorts therapist names naturally', () => {
    expect(['Therapist 10', 'Therapist 2', 'Therapist 1', 'Therapist 20', 'Therapist 11'].sort(naturalCompare))
      .toEqual(['Therapist 1', 'Therapist 2', 'Therapist 10', 'Therapist 11', 'Therapist 20']);
  });
  it('counts a choice waiting for the clinic as a place taken, as the server does', () => {
    const e = (id: number, status: Episode['status']): Episode =>
      ({ id, client_id: id, therapist_id: 1, started_on: '2026-01-01', ended_on: null, status, assigned_by: 'match' });
    const [row] = capacityRows([{ id: 1, display_name: 'T', capacity: 3, accepting: true } as never],
      [e(1, 'active'), e(2, 'waiting'), e(3, 'ended'), e(4, 'declined')]);
    expect(row).toMatchObject({ active: 1, chosen: 1, load: 2, free: 1 });
  });
  it('shows the table and the chart in that order', async () => {
    const therapists = [10, 2, 1, 11].map((n) => ({ id: n, display_name: `Therapist ${n}`, capacity: 5, accepting: true }));
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Capacity />);
    const fig = await screen.findByTestId('capacity');
    fireEvent.click(screen.getByText('Show the numbers'));
    const names = [...fig.querySelectorAll('tbody tr td:first-child')].map((td) => td.textContent);
    expect(names).toEqual(['Therapist 1', 'Therapist 2', 'Therapist 10', 'Therapist 11']);
    // The chart is drawn after the plotting library loads, which takes longer on a busy machine.
    await waitFor(() => {
      const ticks = [...fig.querySelectorAll('svg text')].map((t) => t.textContent).filter((t) => t?.startsWith('Therapist'));
      expect(ticks).toEqual(['Therapist 1', 'Therapist 2', 'Therapist 10', 'Therapist 11']);
    });
  });
});
