// The alert settings page: values in force beside the defaults, a save sends only the changed
// fields, a refusal is shown with the server's words, and "Use default" sends null.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
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
        if (patch.rupture_cutoff === 40) {
          return new Response(JSON.stringify({ title: 'Invalid argument', field: 'rupture_cutoff',
            detail: 'monitoring settings: rupture_cutoff = 40 is not accepted; expected a WAI-SR total from 12 to 39 (a test refusal)' }),
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
    // the table has a name (its caption), as the other data tables do
    expect(screen.getByRole('table', { name: /^Monitoring thresholds/ })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Rupture cutoff (WAI-SR total)'), { target: { value: '40' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    // the refusal is at its input, in the form's words (the label, not the internal name)
    const refused = await screen.findByTestId('error-rupture_cutoff');
    expect(refused.textContent).toBe('Not saved: Rupture cutoff (WAI-SR total) = 40 is not accepted; expected a WAI-SR total from 12 to 39 (a test refusal)');
    expect(screen.getByLabelText('Rupture cutoff (WAI-SR total)').getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(screen.getByLabelText('Rupture cutoff (WAI-SR total)'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Drop needed on the total (z)'), { target: { value: '1.6' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('status')).textContent).toContain('Saved');
    expect(sent[1]).toEqual({ rupture_z: 1.6 });
    expect(screen.getByTestId('effective-rupture_z').textContent).toBe('1.6 (changed)');
    fireEvent.click(screen.getByRole('button', { name: 'Use default for Drop needed on the total (z)' }));
    expect((await screen.findByText(/back to the default/)).textContent).toContain('Drop needed on the total');
    expect(sent[2]).toEqual({ rupture_z: null });
    expect(screen.getByTestId('effective-rupture_z').textContent).toBe('1.4');
  });

  it('checks each value in the form, marks the field and says why, before sending', async () => {
    const sent: unknown[] = [];
    const state = { settings: {}, effective: { ...defaults }, defaults };
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init?: RequestInit) => {
      if (init?.method === 'PATCH') sent.push(JSON.parse(String(init.body)));
      return new Response(JSON.stringify(state), { status: 200 });
    }));
    render(<AlertSettings />);
    await screen.findByTestId('effective-rupture_z');
    const z = screen.getByLabelText('Drop needed on the total (z)');
    fireEvent.change(z, { target: { value: 'abc' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByTestId('error-rupture_z').textContent).toMatch(/"abc" is not a number/);
    expect(z.getAttribute('aria-invalid')).toBe('true');
    expect(z.getAttribute('aria-describedby')).toContain('e-rupture_z');
    expect(screen.queryByText(/Nothing to save/)).toBeNull();
    fireEvent.change(z, { target: { value: '9' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByTestId('error-rupture_z').textContent).toBe('9 is out of range; expected from 0.5 to 5.');
    fireEvent.change(screen.getByLabelText('Sessions to repair'), { target: { value: '2.5' } });
    fireEvent.change(z, { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByTestId('error-repair_window').textContent).toMatch(/not a whole number/);
    expect(sent).toHaveLength(0);
    // a decimal comma is a decimal point, not a digit to drop ("1,5" became 15)
    fireEvent.change(screen.getByLabelText('Sessions to repair'), { target: { value: '' } });
    fireEvent.change(z, { target: { value: '1,5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText(/^Saved/);
    expect(sent).toEqual([{ rupture_z: 1.5 }]);
  });

  it('moves focus to what a save did: the status, or the field the server refused ("Use default" goes once used)', async () => {
    let state = { settings: {} as Record<string, number>, effective: { ...defaults }, defaults };
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init?: RequestInit) => {
      if (init?.method === 'PATCH') {
        const patch = JSON.parse(String(init.body));
        if (patch.repair_margin === 2) {
          return new Response(JSON.stringify({ title: 'Invalid argument', field: 'repair_margin',
            detail: 'monitoring settings: repair_margin = 2 is not accepted (a test refusal)' }), { status: 400 });
        }
        const settings = { ...state.settings };
        for (const [k, v] of Object.entries(patch)) {
          if (v === null) delete settings[k]; else settings[k] = v as number;
        }
        state = { settings, effective: { ...defaults, ...settings }, defaults };
      }
      return new Response(JSON.stringify(state), { status: 200 });
    }));
    const user = userEvent.setup();
    render(<AlertSettings />);
    await screen.findByTestId('effective-rupture_z');
    // refused by the server: focus on the field, which its message describes
    await user.type(screen.getByLabelText('Repair margin (SDs)'), '2');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByTestId('error-repair_margin');
    expect(document.activeElement).toBe(screen.getByLabelText('Repair margin (SDs)'));
    await user.clear(screen.getByLabelText('Repair margin (SDs)'));
    await user.type(screen.getByLabelText('Drop needed on the total (z)'), '1.6');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const saved = await screen.findByRole('status');
    expect(saved.textContent).toMatch(/^Saved/);
    expect(document.activeElement).toBe(saved);
    // the button goes with the change it undoes: focus is on the status, not lost to the page
    await user.click(screen.getByRole('button', { name: 'Use default for Drop needed on the total (z)' }));
    await screen.findByText(/back to the default/);
    expect(screen.queryByRole('button', { name: /^Use default/ })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('status'));
    expect(screen.getByRole('status').textContent).toBe('Drop needed on the total (z): back to the default.');
  });
});
