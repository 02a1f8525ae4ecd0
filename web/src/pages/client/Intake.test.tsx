// The intake's preference sliders speak one C-NIP item's strength (-3..+3); what is saved is the
// scale's score (items x strength), the metric the matching model and the server's range check use.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { MeContext } from '../../auth';
import { Intake, storedOf, strengthOf } from './Intake';
import type { Me } from '../../types';
import cnip from '../../fixtures/cnip.json';

const me: Me = { user_id: 7, org_id: 1, handle: 'client1', role: 'client', client_id: 3 };
const client = {
  id: 3, pseudonym: 'Client C', external_id: 'c3', concerns: ['stress'], goals: ['sleep'],
  preferences: { emotional_intensity: 12 }, constraints: ['language:en'],
};

afterEach(() => vi.unstubAllGlobals());

describe('preference strength', () => {
  it('is the scale score per item, rounded and kept within -3..+3', () => {
    expect(strengthOf(12, 5)).toBe(2);
    expect(strengthOf(-9, 3)).toBe(-3);
    expect(strengthOf(undefined, 5)).toBe(0);
    expect(strengthOf(40, 5)).toBe(3);
  });
  it('is saved as the scale score, within the scale range', () => {
    expect(storedOf(3, 5, [-15, 15])).toBe(15);
    expect(storedOf(-2, 3, [-9, 9])).toBe(-6);
    expect(storedOf(3, 6, [-15, 15])).toBe(15);
  });
});

describe('Intake', () => {
  it('shows stored preferences as strengths and saves a moved slider as the scale score', async () => {
    let saved: Record<string, unknown> | null = null;
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/clients/3/intake') && init?.method === 'PUT') {
        saved = JSON.parse(String(init.body));
        return new Response(JSON.stringify({ ...client, ...saved }), { status: 200 });
      }
      if (url.endsWith('/clients/3')) return new Response(JSON.stringify(client), { status: 200 });
      if (url.endsWith('/instruments/cnip')) return new Response(JSON.stringify(cnip), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<MeContext.Provider value={me}><Intake /></MeContext.Provider>);
    const intensity = (await screen.findByLabelText(/emotional/i)) as HTMLInputElement;
    expect(intensity.value).toBe('2');
    const support = screen.getByLabelText(/warm/i) as HTMLInputElement;
    fireEvent.change(support, { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText(/Saved\./);
    expect(saved).not.toBeNull();
    expect((saved as unknown as { preferences: Record<string, number> }).preferences)
      .toEqual({ emotional_intensity: 12, warm_support: 15 });
  });
});
