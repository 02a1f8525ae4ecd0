// Batch assignment: committing removes the plan and the button that had focus, so focus goes to
// the status saying what was committed (as after the other actions of the app).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Assign } from './Assign';

afterEach(() => vi.unstubAllGlobals());

describe('batch assignment', () => {
  it('after committing, focus is on the status saying how many clients were assigned', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      calls.push(url);
      if (url.endsWith('/assignments/plan')) return new Response(JSON.stringify({
        plan: [{ client_id: 3, therapist_id: 2, score: 0.64, reasons: ['style fits'] }, { client_id: 4, therapist_id: 1, score: 0.55, reasons: [] }],
        as_usual: [{ client_id: 3, therapist_id: 1, score: 0.48 }, { client_id: 4, therapist_id: 2, score: 0.5 }],
        summary: { plan_mean: 0.6, as_usual_mean: 0.49, unassigned: 0 } }), { status: 200 });
      if (url.endsWith('/assignments/commit')) return new Response(JSON.stringify({ created: 2 }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Assign />);
    await user.click(screen.getByRole('button', { name: 'Preview a plan' }));
    // the button was disabled while computing: focus goes to the plan, not to the page
    expect(document.activeElement).toBe(await screen.findByRole('heading', { name: 'Plan versus assignment as usual' }));
    await user.click(await screen.findByRole('button', { name: 'Commit 2 assignments' }));
    const status = await screen.findByTestId('committed');
    expect(calls.some((u) => u.endsWith('/assignments/commit'))).toBe(true);
    expect(status.textContent).toBe('Committed: 2 clients assigned.');
    // the plan and its Commit button are gone: focus is not left on the page
    expect(screen.queryByRole('button', { name: /^Commit/ })).toBeNull();
    expect(document.activeElement).toBe(status);
  });

  it('compares the plan with assignment as usual for the same clients when rows are unticked', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/assignments/plan')) return new Response(JSON.stringify({
        plan: [{ client_id: 3, therapist_id: 2, score: 0.6, reasons: [] }, { client_id: 4, therapist_id: 1, score: 0.8, reasons: [] }],
        as_usual: [{ client_id: 3, therapist_id: 1, score: 0.5 }, { client_id: 4, therapist_id: 2, score: 0.1 }],
        summary: { plan_mean: 0.7, as_usual_mean: 0.3, unassigned: 0 } }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Assign />);
    await user.click(screen.getByRole('button', { name: 'Preview a plan' }));
    const summary = await screen.findByTestId('plan-summary');
    expect(summary.textContent).toMatch(/for the 2 kept clients: 0\.700 with the plan, 0\.300 as usual for the same clients/);
    await user.click(screen.getByRole('checkbox', { name: 'Keep Client 4 with Therapist 1' }));
    // client 3 alone: 0.6 against 0.5, not against the mean of both as usual (0.3)
    expect(summary.textContent).toMatch(/for the 1 kept client: 0\.600 with the plan, 0\.500 as usual for the same clients/);
    // one kept row: the button says so in the singular
    expect(screen.getByRole('button', { name: 'Commit 1 assignment' })).toBeTruthy();
  });

  it('names therapists as the app does, and says in words how many could not be placed', async () => {
    let unassigned = 1;
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/assignments/plan')) return new Response(JSON.stringify({
        plan: [{ client_id: 3, therapist_id: 20, score: 0.64, reasons: [] }, { client_id: 4, therapist_id: 7, score: 0.55, reasons: [] }],
        as_usual: [{ client_id: 3, therapist_id: 3, score: 0.56 }, { client_id: 4, therapist_id: 20, score: 0.5 }],
        summary: { plan_mean: 0.6, as_usual_mean: 0.53, unassigned, waitlist: 1 + unassigned } }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [{ id: 20, display_name: 'T. Oak' }] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Assign />);
    await user.click(screen.getByRole('button', { name: 'Preview a plan' }));
    const summary = await screen.findByTestId('plan-summary');
    expect(summary.textContent).toMatch(/; 1 client could not be placed\.$/);
    expect(screen.getByText(/^2 clients waiting/)).toBeTruthy();
    const rows = within(screen.getByTestId('plan')).getAllByRole('row').slice(1).map((tr) => [...tr.querySelectorAll('td')].slice(1, 5).map((td) => td.textContent));
    // a therapist the list lacks (7, 3) is "Therapist N", a client "Client N", never a bare number
    expect(rows).toEqual([['Client 3', 'T. Oak', '0.64', 'Therapist 3 (0.56)'], ['Client 4', 'Therapist 7', '0.55', 'T. Oak (0.50)']]);
    expect(screen.getByRole('checkbox', { name: 'Keep Client 3 with T. Oak' })).toBeTruthy();
    unassigned = 2;
    await user.click(screen.getByRole('button', { name: 'Preview a plan' }));
    await vi.waitFor(() => expect(screen.getByTestId('plan-summary').textContent).toMatch(/; 2 clients could not be placed\.$/));
  });
});
