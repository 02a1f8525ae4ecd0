// The client's suggestions: the choice of a therapist is offered only where the organisation
// (and the server) allow it; otherwise the page says the clinic assigns.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import { MeContext } from '../../auth';
import { Fit } from './Fit';
import type { Me } from '../../types';

const me: Me = { user_id: 7, org_id: 1, handle: 'client1', role: 'client', client_id: 3 };
const recommendations = [{
  therapist: { id: 2, display_name: 'Therapist Two', approaches: ['cbt'], modality: 'video', languages: ['en'] },
  score: 0.12, uncertainty: 0.19, reasons: ['offers video'],
}];

function stub(mayChoose: boolean) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.includes('/clients/3/recommendations')) return new Response(JSON.stringify({ client_id: 3, recommendations }), { status: 200 });
    if (url.endsWith('/organisation')) {
      return new Response(JSON.stringify({ id: 1, name: 'Clinic', created_at: '2026-01-05', client_choice: mayChoose, clients_may_choose: mayChoose }), { status: 200 });
    }
    return new Response('{}', { status: 404 });
  }));
}
afterEach(() => vi.unstubAllGlobals());

describe('Fit', () => {
  it('offers the choice of each suggested therapist where the clinic allows it', async () => {
    stub(true);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    expect(await screen.findByRole('button', { name: 'Choose Therapist Two' })).toBeTruthy();
    expect(screen.queryByTestId('clinic-assigns')).toBeNull();
  });

  it('words the fit against the clinic average (score in SD units) and shows how sure', async () => {
    stub(true);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    const card = await screen.findByTestId('recommendation');
    // 0.12 ± 1.96 × 0.19 overlaps the average: not "a weaker fit", and said so
    expect(card.textContent).toMatch(/an average fit/);
    expect(card.textContent).not.toMatch(/weaker/);
    expect(screen.getByTestId('certainty').textContent).toMatch(/too uncertain to tell apart from the average/);
  });

  it('says the clinic assigns, and offers no choice, where it does not', async () => {
    stub(false);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    expect((await screen.findByTestId('clinic-assigns')).textContent).toMatch(/matches clients with therapists itself/);
    expect(await screen.findByTestId('recommendation')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Choose / })).toBeNull();
  });
});
