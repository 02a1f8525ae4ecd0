// The client's questionnaire list: what the server says is due, then the others; the fallback
// when the server has no due list.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import phq9 from '../../fixtures/phq9.json';
import { MeContext } from '../../auth';
import { QuestionnaireList, QuestionnairePage, loadDue, subjectOf } from './Questionnaires';
import type { Me } from '../../types';

const me: Me = { user_id: 7, org_id: 1, handle: 'client1', role: 'client', client_id: 3 };
const instruments = [
  { id: 'phq9', title: 'Patient Health Questionnaire-9', respondent: 'client', administrable: true, item_count: 10 },
  { id: 'gad7', title: 'Generalised Anxiety Disorder-7', respondent: 'client', administrable: true, item_count: 7 },
  { id: 'wai_sr', title: 'Working Alliance Inventory', respondent: 'client', administrable: true, item_count: 12 },
  { id: 'cnip', title: 'Preferences', respondent: 'client', administrable: true, item_count: 18 },
  { id: 'wai_srt', title: 'WAI therapist', respondent: 'therapist', administrable: true, item_count: 12 },
];

function stub(due: [number, unknown]) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.endsWith('/instruments')) return new Response(JSON.stringify({ instruments }), { status: 200 });
    if (url.endsWith('/clients/3/due')) return new Response(JSON.stringify(due[1]), { status: due[0] });
    return new Response('{}', { status: 404 });
  }));
}
afterEach(() => vi.unstubAllGlobals());

describe('QuestionnaireList', () => {
  it('shows what is due with its reason, then the other client questionnaires', async () => {
    stub([200, { client_id: 3, due: [{ instrument_id: 'phq9', reason: 'before session 4', episode_id: 2, session_id: null }] }]);
    render(<MeContext.Provider value={me}><QuestionnaireList /></MeContext.Provider>);
    const due = await screen.findByTestId('due');
    const link = within(due).getByRole('link', { name: 'Patient Health Questionnaire-9' });
    expect(link.getAttribute('href')).toBe('#/questionnaires/phq9?episode=2');
    expect(due.textContent).toMatch(/before session 4/);
    const others = screen.getByTestId('others');
    expect(within(others).getAllByRole('link').map((a) => a.textContent)).toEqual(['Generalised Anxiety Disorder-7']);
  });

  it('says nothing is due when the list is empty', async () => {
    stub([200, { client_id: 3, due: [] }]);
    render(<MeContext.Provider value={me}><QuestionnaireList /></MeContext.Provider>);
    expect((await screen.findByTestId('due')).textContent).toMatch(/Nothing is due/);
  });

  it('falls back to every administrable client questionnaire when the server has no due route', async () => {
    stub([404, { title: 'Not found', detail: 'no route GET /api/v1/clients/3/due' }]);
    const r = await loadDue(3);
    expect(r.fromServer).toBe(false);
    expect(r.due.map((d) => d.instrument_id)).toEqual(['phq9', 'gad7', 'wai_sr']);
  });

  it('reports other errors instead of hiding them', async () => {
    stub([403, { title: 'Forbidden', detail: 'client may not read this client' }]);
    await expect(loadDue(3)).rejects.toThrow(/may not/);
  });
});

// A risk answer from a client without an active episode goes to the clinic's coordinators
// (docs/api.md "Submitting responses"), so the page must not promise a therapist.
describe('QuestionnairePage risk wording', () => {
  function stubPage(episodes: unknown[], alertEpisode: number | null) {
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/instruments/phq9')) return new Response(JSON.stringify(phq9), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes }), { status: 200 });
      if (url.endsWith('/responses') && init?.method === 'POST') {
        return new Response(JSON.stringify({ response_id: 5, scores: [], alerts: [{ id: 1, episode_id: alertEpisode, client_id: 3,
          kind: 'risk_item', severity: 'urgent', detail: '', raised_at: '2026-11-27T10:00:00Z', acknowledged_at: null, resolved_at: null }] }), { status: 201 });
      }
      return new Response('{}', { status: 404 });
    }));
  }
  async function answerAll() {
    const user = userEvent.setup();
    const groups = await screen.findAllByRole('radiogroup');
    for (const g of groups.slice(0, 9)) await user.click(within(g).getAllByRole('radio')[1]);
    return user;
  }

  it('without a therapist, says the clinic team sees it, before and after saving, with the crisis help', async () => {
    window.location.hash = '#/questionnaires/phq9';
    stubPage([{ id: 9, client_id: 3, therapist_id: 4, started_on: '2025-01-01', ended_on: '2025-06-01', status: 'ended', assigned_by: 'match' }], null);
    render(<MeContext.Provider value={me}><QuestionnairePage id="phq9" /></MeContext.Provider>);
    const user = await answerAll();
    const note = screen.getByText(/You told us about/);
    expect(note.textContent).toMatch(/The clinic's team will\s+see this/);
    expect(note.textContent).not.toMatch(/therapist will/i);
    // true for this client, whose episode ended, as for one who never had a therapist here
    expect(note.textContent).toMatch(/\(you have no current therapist here\)/);
    expect(note.textContent).not.toMatch(/yet/);
    expect(note.textContent).toMatch(/emergency/);
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    const done = await screen.findByTestId('submitted');
    expect(done.textContent).not.toMatch(/Your therapist/);
    expect(done.textContent).toMatch(/clinic's team/);
    expect(screen.getByTestId('risk-followup').textContent).toMatch(/emergency/);
  });

  it('with an active episode, says the therapist sees it', async () => {
    window.location.hash = '#/questionnaires/phq9';
    stubPage([{ id: 2, client_id: 3, therapist_id: 4, started_on: '2026-09-01', ended_on: null, status: 'active', assigned_by: 'match' }], 2);
    render(<MeContext.Provider value={me}><QuestionnairePage id="phq9" /></MeContext.Provider>);
    const user = await answerAll();
    expect(screen.getByText(/You told us about/).textContent).toMatch(/Your therapist will\s+see this/);
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    expect((await screen.findByTestId('submitted')).textContent).toMatch(/Your therapist will look at them before your next session/);
    expect(screen.getByTestId('risk-followup').textContent).toMatch(/Your therapist has been alerted/);
  });

  it('the page\'s one h1 is the questionnaire\'s title, which names the form and takes focus on arrival', async () => {
    window.location.hash = '#/questionnaires/phq9';
    stubPage([{ id: 2, client_id: 3, therapist_id: 4, started_on: '2026-09-01', ended_on: null, status: 'active', assigned_by: 'match' }], 2);
    render(<MeContext.Provider value={me}><QuestionnairePage id="phq9" /></MeContext.Provider>);
    screen.getByRole('heading', { level: 1 }).focus();
    const form = await screen.findByRole('form');
    const h1 = screen.getByRole('heading', { level: 1 });
    expect(h1.textContent).not.toBe('Questionnaire');
    expect(screen.getAllByRole('heading', { level: 1 })).toHaveLength(1);
    expect(screen.queryByRole('heading', { level: 2, name: h1.textContent! })).toBeNull();
    expect(form.getAttribute('aria-labelledby')).toBe(h1.id);
    expect(document.activeElement).toBe(h1);
  });

  it('after saving, focus moves to the confirmation (the form that had it is gone)', async () => {
    window.location.hash = '#/questionnaires/phq9';
    stubPage([{ id: 2, client_id: 3, therapist_id: 4, started_on: '2026-09-01', ended_on: null, status: 'active', assigned_by: 'match' }], 2);
    render(<MeContext.Provider value={me}><QuestionnairePage id="phq9" /></MeContext.Provider>);
    const user = await answerAll();
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    const done = await screen.findByTestId('submitted');
    expect(done.getAttribute('role')).toBe('status');
    expect(document.activeElement).toBe(done);
  });
});

// Alliance forms need their episode (the server refuses a client's without one: 400 episode_id),
// so they are answered from the due list only; a page without its subject says what it needs.
describe('QuestionnairePage subject and availability', () => {
  it('does not offer alliance questionnaires among the others', async () => {
    stub([200, { client_id: 3, due: [] }]);
    const r = await loadDue(3);
    expect(r.others.map((d) => d.instrument_id)).toEqual(['phq9', 'gad7']);
  });

  it('a therapist without ?client= is told to open it from a client page, and no form is shown', () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(phq9), { status: 200 })));
    window.location.hash = '#/questionnaires/phq9';
    const therapist: Me = { user_id: 8, org_id: 1, handle: 'therapist1', role: 'therapist', therapist_id: 4 };
    render(<MeContext.Provider value={therapist}><QuestionnairePage id="phq9" /></MeContext.Provider>);
    expect(screen.getByTestId('needs-client').textContent).toMatch(/Open this questionnaire from a client's page/);
    expect(screen.queryByRole('button', { name: 'Submit answers' })).toBeNull();
    expect(subjectOf(therapist, 'ffmq39', null)).toBe(4);
    expect(subjectOf(therapist, 'wai_srt', '3')).toBe(3);
  });

  it('an unknown questionnaire is "not available", without the server\'s list of ids', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => (url.endsWith('/episodes')
      ? new Response(JSON.stringify({ episodes: [] }), { status: 200 })
      : new Response(JSON.stringify({ title: 'Not found', detail: 'no instrument nope; known: phq9, wai_srt, ffmq39' }), { status: 404 }))));
    window.location.hash = '#/questionnaires/nope';
    render(<MeContext.Provider value={me}><QuestionnairePage id="nope" /></MeContext.Provider>);
    const box = await screen.findByRole('alert');
    expect(box.textContent).toBe('This questionnaire is not available.');
  });

  it('a client without an episode is not given an alliance form to save', async () => {
    const wai = { ...phq9, id: 'wai_sr', title: 'Working Alliance Inventory' };
    vi.stubGlobal('fetch', vi.fn(async (url: string) => (url.endsWith('/episodes')
      ? new Response(JSON.stringify({ episodes: [] }), { status: 200 })
      : new Response(JSON.stringify(wai), { status: 200 }))));
    window.location.hash = '#/questionnaires/wai_sr';
    render(<MeContext.Provider value={me}><QuestionnairePage id="wai_sr" /></MeContext.Provider>);
    expect((await screen.findByTestId('needs-episode')).textContent).toMatch(/Due for your next session/);
    expect(screen.queryByRole('button', { name: 'Submit answers' })).toBeNull();
  });
});
