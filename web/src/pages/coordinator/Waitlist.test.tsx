// The waitlist is the batch plan's: clients with no active or ended episode. A client whose
// therapy ended is not waiting; one who chose a therapist waits for the clinic's confirmation.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PAGE, Waitlist, waiting } from './Waitlist';
import type { Client, Episode } from '../../types';

const client = (id: number): Client => ({ id, pseudonym: `Client ${id}`, concerns: ['stress'], goals: [], preferences: {}, constraints: [] });
const episode = (id: number, client_id: number, status: Episode['status']): Episode =>
  ({ id, client_id, therapist_id: 4, started_on: '2026-01-01', ended_on: status === 'ended' ? '2026-05-01' : null, status, assigned_by: 'match' });

afterEach(() => vi.unstubAllGlobals());

describe('waitlist', () => {
  it('leaves out clients in therapy or whose therapy ended, and lists choices apart', () => {
    const w = waiting([client(1), client(2), client(3), client(4)],
      [episode(10, 1, 'active'), episode(11, 2, 'ended'), episode(12, 3, 'waiting')]);
    expect(w.waiting.map((c) => c.id)).toEqual([4]);
    expect(w.chose.map((c) => [c.client.id, c.episode.id])).toEqual([[3, 12]]);
  });

  it('lists a waiting choice of a client whose earlier therapy ended', () => {
    const w = waiting([client(1), client(2)], [episode(10, 1, 'ended'), { ...episode(11, 1, 'waiting'), assigned_by: 'client_choice' }]);
    expect(w.waiting.map((c) => c.id)).toEqual([2]);
    expect(w.chose.map((c) => [c.client.id, c.episode.id])).toEqual([[1, 11]]);
  });

  it('reloads after a decline: the count includes the client again, and the row keeps what was done', async () => {
    let declined = false;
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        declined = true;
        return new Response(JSON.stringify({ ...episode(20, 1, 'declined'), ended_on: '2026-11-27' }), { status: 200 });
      }
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [client(1), client(2)] }), { status: 200 });
      if (url.endsWith('/episodes')) {
        const first = declined ? { ...episode(20, 1, 'declined'), ended_on: '2026-11-27' } : episode(20, 1, 'waiting');
        return new Response(JSON.stringify({ episodes: [first] }), { status: 200 });
      }
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [{ id: 4, display_name: 'T. Oak' }] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Waitlist />);
    const [row] = await screen.findAllByTestId('choice');
    expect(screen.getByTestId('waitlist-count').textContent).toMatch(/^1 client is waiting/);
    await user.click(within(row).getByRole('button', { name: /^Decline…/ }));
    expect(document.activeElement).toBe(within(row).getByLabelText(/Why is the choice declined/));  // the button is gone
    await user.type(within(row).getByLabelText(/Why is the choice declined/), 'asked to wait');
    await user.click(within(row).getByRole('button', { name: 'Decline choice of T. Oak by Client 1' }));
    await vi.waitFor(() => expect(screen.getByTestId('waitlist-count').textContent).toMatch(/^2 clients are waiting/));
    const status = within(screen.getByTestId('choice')).getByRole('status');
    expect(status.textContent).toMatch(/back on the waitlist/);
    expect(document.activeElement).toBe(status);
  });

  it('writes each client\'s constraints in words: languages and therapists by name', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [
        { ...client(1), constraints: ['language:en', 'language:xx', 'modality:in_person', 'location:North Town', 'exclude:4', 'exclude:9', 'risk:high', 'odd:thing'] },
        { ...client(2), constraints: ['modality:video'] }] }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [] }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [{ id: 4, display_name: 'T. Oak' }] }), { status: 200 });
      if (url.endsWith('/languages')) return new Response(JSON.stringify({ languages: [{ code: 'en', name: 'English' }] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Waitlist />);
    const rows = within(await screen.findByTestId('waitlist')).getAllByRole('listitem');
    expect(rows[0].querySelector('.meta')?.textContent).toBe(
      'stress; in English, in xx, in person, at North Town, not with T. Oak, not with Therapist 9, high risk, odd:thing');
    expect(rows[1].querySelector('.meta')?.textContent).toBe('stress; by video');
  });

  it('puts a client whose choice was declined back on the waitlist', () => {
    const declined = { ...episode(13, 1, 'declined'), ended_on: '2026-01-02', note: 'asked to wait' };
    expect(waiting([client(1)], [declined]).waiting.map((c) => c.id)).toEqual([1]);
  });

  it('confirms a choice, or declines it with a reason', async () => {
    const calls: { url: string; body: unknown }[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        const body = JSON.parse(String(init.body ?? '{}'));
        calls.push({ url, body });
        const status = url.endsWith('/confirm') ? 'active' : 'declined';
        return new Response(JSON.stringify({ ...episode(Number(url.split('/').at(-2)), 1, status), started_on: '2026-11-27' }), { status: 200 });
      }
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [client(1), client(2)] }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [episode(20, 1, 'waiting'), episode(21, 2, 'waiting')] }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [{ id: 4, display_name: 'T. Oak' }] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Waitlist />);
    const rows = await screen.findAllByTestId('choice');
    expect(rows[0].textContent).toMatch(/Chose T\. Oak on Jan 1, 2026\./);
    await user.click(within(rows[0]).getByRole('button', { name: 'Confirm choice of T. Oak by Client 1' }));
    const confirmed = await within(rows[0]).findByRole('status');
    expect(confirmed.textContent).toBe('Confirmed: Client 1 is in therapy with T. Oak from Nov 27, 2026.');
    expect(document.activeElement).toBe(confirmed);
    // "Keep the choice" closes the form and gives focus back to the button that opened it
    await user.click(within(rows[1]).getByRole('button', { name: "Decline… Client 2's choice of T. Oak" }));
    await user.click(within(rows[1]).getByRole('button', { name: 'Keep the choice' }));
    expect(document.activeElement).toBe(within(rows[1]).getByRole('button', { name: "Decline… Client 2's choice of T. Oak" }));
    await user.click(within(rows[1]).getByRole('button', { name: "Decline… Client 2's choice of T. Oak" }));
    const send = within(rows[1]).getByRole('button', { name: 'Decline choice of T. Oak by Client 2' });
    // without a reason the button stays focusable; pressed, it says so at the field, which takes focus
    expect((send as HTMLButtonElement).disabled).toBe(false);
    await user.click(send);
    const reason = within(rows[1]).getByLabelText(/Why is the choice declined/);
    expect(within(rows[1]).getByRole('alert').textContent).toMatch(/^Give a reason/);
    expect(reason.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(reason);
    await user.type(within(rows[1]).getByLabelText(/Why is the choice declined/), 'the client asked to wait');
    await user.click(send);
    expect((await within(rows[1]).findByRole('status')).textContent).toMatch(/back on the waitlist/);
    expect(calls.map((c) => [c.url.replace(/^.*\/api\/v1/, ''), c.body])).toEqual([
      ['/episodes/20/confirm', {}], ['/episodes/21/decline', { note: 'the client asked to wait' }]]);
  });

  // 45 clients, two of whose therapy ended: 43 wait (clients 3..45), shown 20 at a time
  function stubLongList() {
    const clients = Array.from({ length: 45 }, (_, i) => client(i + 1));
    const episodes = [episode(1, 1, 'ended'), episode(2, 2, 'ended')];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
  }

  it('pages a long list', async () => {
    stubLongList();
    render(<Waitlist />);
    const list = await screen.findByTestId('waitlist');
    expect(screen.getByTestId('waitlist-count').textContent).toMatch(/43 clients are waiting; showing the first 20/);
    expect(within(list).getAllByRole('heading')).toHaveLength(PAGE);
    expect(within(list).queryByText('Client 1')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Show 20 more' }));
    fireEvent.click(screen.getByRole('button', { name: 'Show 3 more' }));
    expect(within(screen.getByTestId('waitlist')).getAllByRole('heading')).toHaveLength(43);
  });

  it('"Show more" moves focus to the first row it added, each time (the last one goes with its rows)', async () => {
    stubLongList();
    const user = userEvent.setup();
    render(<Waitlist />);
    const rowOf = (name: string) => within(screen.getByTestId('waitlist')).getByRole('heading', { name }).closest('li');
    (await screen.findByRole('button', { name: 'Show 20 more' })).focus();
    await user.keyboard('{Enter}');
    // rows 21..40 are clients 23..42: focus on the first of them, not left on the button
    expect(document.activeElement).toBe(rowOf('Client 23'));
    await user.click(screen.getByRole('button', { name: 'Show 3 more' }));
    expect(screen.queryByRole('button', { name: /^Show \d+ more$/ })).toBeNull();
    expect(document.activeElement).toBe(rowOf('Client 43'));
  });

  it('"Show recommendations" moves focus to the ranking it shows (the button is gone)', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [client(1)] }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [] }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [] }), { status: 200 });
      if (url.includes('/clients/1/recommendations')) return new Response(JSON.stringify({ recommendations: [],
        unmatched: 'none of the 30 therapists fits every need (language: 28, way of meeting: 2)' }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    const user = userEvent.setup();
    render(<Waitlist />);
    await user.click(await screen.findByRole('button', { name: /^Show recommendations/ }));
    const heading = await screen.findByRole('heading', { name: /^Recommended therapists for Client 1/ });
    expect(document.activeElement).toBe(heading);
    // an empty ranking says why, in the server's words
    expect(screen.getByTestId('unmatched').textContent).toBe("No therapist with room meets this client's constraints: "
      + 'none of the 30 therapists fits every need (language: 28, way of meeting: 2).');
  });

  it('names each client\'s "Show recommendations" button by the client (one name per button)', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/clients')) return new Response(JSON.stringify({ clients: [client(1), client(2), { ...client(3), pseudonym: '' }] }), { status: 200 });
      if (url.endsWith('/episodes')) return new Response(JSON.stringify({ episodes: [] }), { status: 200 });
      if (url.endsWith('/therapists')) return new Response(JSON.stringify({ therapists: [] }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Waitlist />);
    await screen.findByTestId('waitlist');
    const buttons = screen.getAllByRole('button', { name: /^Show recommendations/ });
    expect(buttons).toHaveLength(3);
    // getByRole finds exactly one button per name; the visible words start the name
    for (const n of [1, 2, 3]) expect(buttons).toContain(screen.getByRole('button', { name: `Show recommendations for Client ${n}` }));
  });
});
