// What clients may see of a therapist's profile: saved with PATCH /therapists/{id} (a stubbed fetch
// answering as the server does: the therapist after the change, or problem details).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Visibility } from './Profile';
import type { Therapist } from '../../types';

const therapist: Therapist = {
  id: 4, display_name: 'Therapist 4', approaches: ['cbt'], languages: ['en'], modality: 'both',
  location: 'Synthetic Town', capacity: 10, accepting: true, client_visible: ['approaches'],
};

function stub(answer: (body: Record<string, unknown>) => Response) {
  const calls: { url: string; method?: string; body: Record<string, unknown> }[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    const body = JSON.parse(String(init.body ?? '{}'));
    calls.push({ url, method: init.method, body });
    return answer(body);
  }));
  return calls;
}
afterEach(() => vi.unstubAllGlobals());

describe('Visibility', () => {
  it('sends only client_visible with PATCH and says it was saved', async () => {
    const calls = stub((body) => new Response(JSON.stringify({ ...therapist, ...body }), { status: 200 }));
    const user = userEvent.setup();
    render(<Visibility t={therapist} />);
    await user.click(screen.getByRole('checkbox', { name: 'location' }));
    await user.click(screen.getByRole('button', { name: 'Save visibility' }));
    expect(await screen.findByText('Saved.')).toBeTruthy();
    expect(calls).toHaveLength(1);
    expect(calls[0].method).toBe('PATCH');
    expect(calls[0].url).toMatch(/\/therapists\/4$/);
    expect(calls[0].body).toEqual({ client_visible: ['approaches', 'location'] });
  });

  it('says "Saved." in a polite live region that was in the page before it (so it is announced)', async () => {
    stub((body) => new Response(JSON.stringify({ ...therapist, ...body }), { status: 200 }));
    const user = userEvent.setup();
    render(<Visibility t={therapist} />);
    const status = screen.getByRole('status');
    expect(status.getAttribute('aria-live')).toBe('polite');
    expect(status.textContent).toBe('');
    await user.click(screen.getByRole('button', { name: 'Save visibility' }));
    await waitFor(() => expect(status.textContent).toBe('Saved.'));
  });

  it("shows the server's refusal naming the field", async () => {
    stub(() => new Response(JSON.stringify({
      title: 'Invalid argument', status: 400, field: 'client_visible',
      detail: 'client_visible is "email"; expected each at most once of approaches, style, languages, modality, location',
    }), { status: 400 }));
    const user = userEvent.setup();
    render(<Visibility t={therapist} />);
    await user.click(screen.getByRole('button', { name: 'Save visibility' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/client_visible is "email"/);
    expect(screen.queryByText('Saved.')).toBeNull();
    expect(screen.getByRole('status').textContent).toBe('');
  });
});
