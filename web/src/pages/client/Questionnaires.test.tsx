// The client's questionnaire list: what the server says is due, then the others; the fallback
// when the server has no due list.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { MeContext } from '../../auth';
import { QuestionnaireList, loadDue } from './Questionnaires';
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
    expect(within(others).getAllByRole('link').map((a) => a.textContent)).toEqual(['Generalised Anxiety Disorder-7', 'Working Alliance Inventory']);
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
