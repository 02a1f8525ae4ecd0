// The outcome rates page: a row for the organisation and one per therapist, each rate with its
// interval and, for therapists, the case-mix adjusted rate.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { MeContext } from '../auth';
import { Outcomes, percent } from './Outcomes';
import type { Me } from '../types';

const me: Me = { user_id: 2, org_id: 1, handle: 'coord', role: 'coordinator' };
const rate = (events: number, n: number, adjusted?: number) =>
  ({ events, n, rate: events / n, ci_low: 0.25, ci_high: 0.5, ...(adjusted === undefined ? {} : { adjusted }) });
const group = (name: string, id?: number) => ({
  group: name, ...(id ? { therapist_id: id } : {}), episodes: 12, with_outcome: 10,
  reliable_improvement: rate(4, 10, id ? 0.37 : undefined), recovery: rate(3, 8), reliable_recovery: rate(2, 8),
  deterioration: rate(0, 10), mean_alliance: id ? 45.25 : null, ruptures_per_episode: 0.5, repair: rate(0, 0),
});

afterEach(() => vi.unstubAllGlobals());

describe('Outcomes', () => {
  it('shows the organisation, then each therapist by name, with intervals and adjusted rates', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/reports/outcomes')) {
        return new Response(JSON.stringify({ organisation: group('organisation'), therapists: [group('therapist 7', 7)], adjustment: 'by intake' }), { status: 200 });
      }
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [{ id: 7, display_name: 'Dr Seven' }] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<MeContext.Provider value={me}><Outcomes /></MeContext.Provider>);
    const rows = within(await screen.findByTestId('outcomes')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toMatch(/^Whole organisation12/);
    expect(rows[0].textContent).toContain('40% (25–50%) of 10');
    expect(rows[0].textContent).toContain('—');  // no alliance scores; no ruptures to repair
    expect(rows[1].textContent).toMatch(/^Dr Seven/);
    expect(rows[1].textContent).toContain('40% (25–50%) of 10; adjusted 37%');
    expect(rows[1].textContent).toContain('45.3');
    expect(rows[1].textContent).not.toContain('clamped');
  });

  it('shows the value before the clamp beside a clamped adjusted rate', () => {
    const r = { events: 0, n: 9, rate: 0, ci_low: 0, ci_high: 0.3 };
    expect(percent({ ...r, adjusted: 0, adjusted_unclamped: -0.01449, adjusted_clamped: true })).toBe('0% (0–30%) of 9; adjusted 0% (clamped from −1.4%)');
    expect(percent({ ...r, adjusted: 1, adjusted_unclamped: 1.123, adjusted_clamped: true })).toBe('0% (0–30%) of 9; adjusted 100% (clamped from 112.3%)');
    expect(percent({ ...r, adjusted: 0.02, adjusted_unclamped: 0.02, adjusted_clamped: false })).toBe('0% (0–30%) of 9; adjusted 2%');
  });
});
