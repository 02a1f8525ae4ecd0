// The client's suggestions: the choice of a therapist is offered only where the organisation
// (and the server) allow it; otherwise the page says the clinic assigns.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { MeContext } from '../../auth';
import { Fit } from './Fit';
import type { Me } from '../../types';

const me: Me = { user_id: 7, org_id: 1, handle: 'client1', role: 'client', client_id: 3 };
const recommendations = [{
  therapist: { id: 2, display_name: 'Therapist Two', approaches: ['cbt'], modality: 'video', languages: ['en'] },
  score: 0.12, uncertainty: 0.19, reasons: ['offers video'],
}];

function stub(mayChoose: boolean, episodes: unknown[] = [], choice: [number, unknown] = [201, { id: 40 }]) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.includes('/clients/3/recommendations')) return new Response(JSON.stringify({ client_id: 3, recommendations }), { status: 200 });
    if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [{ id: 7, display_name: 'Therapist 7' }] }), { status: 200 });
    if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes }), { status: 200 });
    if (url.endsWith('/clients/3/choice')) return new Response(JSON.stringify(choice[1]), { status: choice[0] });
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

  it('shows a choice already made after a reload, and offers no second choice', async () => {
    stub(true, [{ id: 438, client_id: 3, therapist_id: 2, started_on: '2026-11-20', ended_on: null, status: 'waiting', assigned_by: 'client_choice' }]);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    expect((await screen.findByTestId('current-choice')).textContent).toMatch(/You chose Therapist Two\. The clinic will confirm/);
    await screen.findByTestId('recommendation');
    expect(screen.queryByRole('button', { name: /^Choose / })).toBeNull();
  });

  it('says a declined choice with the clinic\'s reason, and offers the choice again', async () => {
    stub(true, [{ id: 438, client_id: 3, therapist_id: 2, started_on: '2026-11-20', ended_on: '2026-11-22', status: 'declined',
      assigned_by: 'client_choice', note: 'Therapist Two is away until March' }]);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    expect((await screen.findByTestId('declined-choice')).textContent)
      .toBe('The clinic did not confirm your choice of Therapist Two: Therapist Two is away until March. You may choose again.');
    expect(screen.queryByTestId('current-choice')).toBeNull();
    expect(await screen.findByRole('button', { name: 'Choose Therapist Two' })).toBeTruthy();
  });

  it('explains a therapist the client\'s constraints rule out in plain words, without the filter\'s name', async () => {
    stub(true, [], [400, { title: 'Invalid argument', status: 400, field: 'therapist_id',
      detail: 'therapist_id 2 does not pass the excluded filter for client 3 (constraints: exclude:2)' }]);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    fireEvent.click(await screen.findByRole('button', { name: 'Choose Therapist Two' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/does not meet what you or your clinic asked for/);
    expect(alert.textContent).not.toMatch(/excluded/);
  });

  it('explains a refused second choice in plain words', async () => {
    stub(true, [], [409, { title: 'Conflict', status: 409, detail: 'client 3 already chose therapist 30 (episode 438 is waiting for the clinic)' }]);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    fireEvent.click(await screen.findByRole('button', { name: 'Choose Therapist Two' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/already chosen a therapist/);
    expect(alert.textContent).not.toMatch(/episode 438/);
  });

  it('after choosing, says so and removes the other choices', async () => {
    stub(true);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    fireEvent.click(await screen.findByRole('button', { name: 'Choose Therapist Two' }));
    const said = await screen.findByTestId('current-choice');
    expect(said.textContent).toMatch(/You chose Therapist Two/);
    expect(screen.queryByRole('button', { name: /^Choose / })).toBeNull();
    // focus goes to the status that says so (the button that had it is gone), not to the page
    expect(document.activeElement).toBe(said.closest('[role="status"]'));
  });

  it('names a current therapist who is not among the suggestions from GET /therapists, as elsewhere', async () => {
    stub(true, [{ id: 9, client_id: 3, therapist_id: 7, status: 'active', started_on: '2026-09-01', ended_on: null, assigned_by: 'match' }]);
    render(<MeContext.Provider value={me}><Fit /></MeContext.Provider>);
    const current = await screen.findByTestId('current-choice');
    await vi.waitFor(() => expect(current.textContent).toMatch(/^You are seeing Therapist 7\./));
  });
});
