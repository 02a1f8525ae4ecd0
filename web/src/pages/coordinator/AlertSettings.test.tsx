// The alert settings page: values in force beside the defaults, a save sends only the changed
// fields, a refusal is shown with the server's words, and "Use default" sends null.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { AlertSettings } from './AlertSettings';

const defaults = { rupture_cutoff: 36, rupture_z: 1.4, rupture_subscale_z: 2.3, rupture_size: 2.5,
  repair_window: 3, repair_margin: 0, not_on_track_z: 1.2816 };

afterEach(() => vi.unstubAllGlobals());

describe('AlertSettings', () => {
  it('sends the changed thresholds and shows what the server answers', async () => {
    const sent: unknown[] = [];
    let state = { settings: {} as Record<string, number>, effective: { ...defaults }, defaults };
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init?: RequestInit) => {
      if (init?.method === 'PATCH') {
        const patch = JSON.parse(String(init.body));
        sent.push(patch);
        if (patch.rupture_cutoff === 5) {
          return new Response(JSON.stringify({ title: 'Invalid argument', field: 'rupture_cutoff',
            detail: 'monitoring settings: rupture_cutoff = 5 is not accepted; expected 0 (no cutoff rule) or a WAI-SR total from 12 to 60' }),
          { status: 400 });
        }
        const settings = { ...state.settings };
        for (const [k, v] of Object.entries(patch)) {
          if (v === null) delete settings[k]; else settings[k] = v as number;
        }
        state = { settings, effective: { ...defaults, ...settings }, defaults };
      }
      return new Response(JSON.stringify(state), { status: 200 });
    }));
    render(<AlertSettings />);
    expect((await screen.findByTestId('effective-rupture_z')).textContent).toBe('1.4');
    fireEvent.change(screen.getByLabelText('Rupture cutoff (WAI-SR total)'), { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('alert')).textContent).toContain('rupture_cutoff = 5 is not accepted');
    fireEvent.change(screen.getByLabelText('Rupture cutoff (WAI-SR total)'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Drop needed on the total (z)'), { target: { value: '1.6' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('status')).textContent).toContain('Saved');
    expect(sent[1]).toEqual({ rupture_z: 1.6 });
    expect(screen.getByTestId('effective-rupture_z').textContent).toBe('1.6 (changed)');
    fireEvent.click(screen.getByRole('button', { name: 'Use the default: Drop needed on the total (z)' }));
    expect((await screen.findByText(/back to the default/)).textContent).toContain('Drop needed on the total');
    expect(sent[2]).toEqual({ rupture_z: null });
    expect(screen.getByTestId('effective-rupture_z').textContent).toBe('1.4');
  });
});
