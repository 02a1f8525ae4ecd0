// The Alerts page (therapist and coordinator): the heading over the list to work through counts
// open and acknowledged alerts apart, since the list holds both.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import { Alerts } from './Alerts';
import type { Alert } from '../../types';

const alert = (id: number, acknowledged: boolean, resolved = false): Alert => ({
  id, episode_id: 1, response_id: id, kind: 'rupture', severity: 'warning', detail: '', raised_at: '2026-11-01T10:00:00Z',
  acknowledged_at: acknowledged || resolved ? '2026-11-02T10:00:00Z' : null, resolved_at: resolved ? '2026-11-03T10:00:00Z' : null,
});

afterEach(() => vi.unstubAllGlobals());

describe('Alerts page', () => {
  it('counts open and acknowledged alerts apart in the heading, resolved ones under the fold', async () => {
    const alerts = [alert(1, false), alert(2, false), alert(3, false), alert(4, true), alert(5, false, true)];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/alerts')) return new Response(JSON.stringify({ alerts }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [] }), { status: 200 });
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Alerts />);
    expect((await screen.findByRole('heading', { level: 2 })).textContent).toBe('Open (3) and acknowledged (1)');
    expect(screen.getByText('Resolved alerts (1)')).toBeTruthy();
  });
});
