// Adding a therapist or client user needs the record they sign in as (the server refuses
// "a therapist user needs therapist_id"): the form asks for it and checks it before sending.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Users, refusalWords } from './Users';
import { ApiError } from '../../api';

afterEach(() => vi.unstubAllGlobals());

function stub(users: unknown[] = [], refusal?: [number, unknown]) {
  const posted: unknown[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (url.endsWith('/users') && init?.method === 'POST' && refusal) return new Response(JSON.stringify(refusal[1]), { status: refusal[0] });
    if (url.endsWith('/users') && init?.method === 'POST') { posted.push(JSON.parse(String(init.body))); return new Response('{"id":9}', { status: 201 }); }
    if (url.endsWith('/users')) return new Response(JSON.stringify({ users }), { status: 200 });
    if (url.endsWith('/organisation')) return new Response(JSON.stringify({ id: 1, name: 'C', created_at: '', client_choice: true, clients_may_choose: true }), { status: 200 });
    return new Response('{}', { status: 404 });
  }));
  return posted;
}

function fill(role: string) {
  fireEvent.change(screen.getByLabelText('User name'), { target: { value: 'newt' } });
  fireEvent.change(screen.getByLabelText('Role'), { target: { value: role } });
  fireEvent.change(screen.getByLabelText('Initial password'), { target: { value: 'long-enough-1' } });
}

describe('Users: add a user', () => {
  it('asks a therapist user for a therapist id, refuses a bad one before sending, then sends it', async () => {
    const posted = stub();
    render(<Users />);
    await screen.findByTestId('users');
    expect(screen.queryByLabelText(/Therapist id/)).toBeNull();
    fill('therapist');
    const id = screen.getByLabelText(/Therapist id/) as HTMLInputElement;
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    expect(id.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(id.getAttribute('aria-describedby')!)!.textContent).toMatch(/Therapist id is empty/);
    fireEvent.change(id, { target: { value: '1.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    expect(await screen.findAllByText(/Therapist id is "1.5"; expected a positive whole number/)).toHaveLength(2);
    expect(posted).toHaveLength(0);
    fireEvent.change(id, { target: { value: '30' } });
    // the confirmation goes into a polite live region already in the form, so it is announced
    const status = within(screen.getByRole('button', { name: 'Add user' }).closest('form')!).getByRole('status');
    expect(status.textContent).toBe('');
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    await waitFor(() => expect(status.textContent).toBe('Added newt.'));
    expect(posted).toEqual([{ handle: 'newt', role: 'therapist', password: 'long-enough-1', therapist_id: 30 }]);
  });

  it('moves focus to the first field to correct', async () => {
    stub();
    render(<Users />);
    await screen.findByTestId('users');
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    const handle = screen.getByLabelText('User name');
    expect(document.activeElement).toBe(handle);
    expect(handle.getAttribute('aria-invalid')).toBe('true');
    fill('therapist');
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    expect(document.activeElement).toBe(screen.getByLabelText(/Therapist id/));
    expect(handle.getAttribute('aria-invalid')).toBeNull();
  });

  // Before: a refusal naming client_id was shown only in a box after the form, focus left on the button.
  it('shows a server refusal naming a field at that field, which takes focus', async () => {
    stub();
    const refuse = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/users') && init?.method === 'POST') return new Response(JSON.stringify({ title: 'Invalid request', status: 400,
        detail: 'client 12 already has a user', field: 'client_id' }), { status: 400, headers: { 'Content-Type': 'application/problem+json' } });
      if (url.endsWith('/users')) return new Response(JSON.stringify({ users: [] }), { status: 200 });
      return new Response(JSON.stringify({ id: 1, name: 'C', created_at: '', client_choice: true, clients_may_choose: true }), { status: 200 });
    });
    vi.stubGlobal('fetch', refuse);
    render(<Users />);
    await screen.findByTestId('users');
    fill('client');
    const id = screen.getByLabelText(/Client id/);
    fireEvent.change(id, { target: { value: '12' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    await waitFor(() => expect(document.activeElement).toBe(id));
    expect(id.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(id.getAttribute('aria-describedby')!)!.textContent).toBe('Client 12 already has a user.');
  });

  it('sends a client id for a client user and nothing extra for a coordinator', async () => {
    const posted = stub();
    render(<Users />);
    await screen.findByTestId('users');
    fill('client');
    fireEvent.change(screen.getByLabelText(/Client id/), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    expect(posted).toHaveLength(0);
    fireEvent.change(screen.getByLabelText(/Client id/), { target: { value: '12' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    await screen.findByText('Added newt.');
    fill('coordinator');
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    await vi.waitFor(() => expect(posted).toHaveLength(2));
    expect(posted).toEqual([{ handle: 'newt', role: 'client', password: 'long-enough-1', client_id: 12 },
      { handle: 'newt', role: 'coordinator', password: 'long-enough-1' }]);
  });

  it("says the organisation's new client-choice setting in a live region that was in the page before it", async () => {
    stub();
    render(<Users />);
    const box = await screen.findByTestId('client-choice');
    const status = screen.getAllByRole('status').at(-1)!;  // after the add-user form's
    expect(status.textContent).toBe('');
    fireEvent.click(box);
    await waitFor(() => expect(status.textContent).toBe('The clinic now assigns therapists; clients see suggestions only.'));
  });
});

describe('Users: the table', () => {
  it('names each user\'s linked record as the app names records, under a clear heading', async () => {
    stub([{ id: 1, handle: 'demo-therapist', role: 'therapist', therapist_id: 3, client_id: null },
      { id: 2, handle: 'demo-client', role: 'client', therapist_id: null, client_id: 1 }]);
    render(<Users />);
    const table = await screen.findByTestId('users');
    expect(within(table).getByRole('columnheader', { name: 'Linked record' })).toBeTruthy();
    expect(within(table).getAllByRole('row').slice(1).map((r) => r.lastElementChild!.textContent)).toEqual(['Therapist 3', 'Client 1']);
  });
});

describe('Users: refusals in plain words', () => {
  it('says a taken user name and an unknown record plainly, not in the server\'s words', () => {
    expect(refusalWords(new ApiError(409, 'Conflict', 'handle "demo-admin" is already taken; expected a handle no other user of the organisation has', 'handle'),
      'handle', null, '')).toBe('That user name is taken.');
    expect(refusalWords(new ApiError(404, 'Not found', 'therapist 9999 not found in organisation 1', 'therapist_id'),
      'linked', { key: 'therapist_id' }, '9999')).toBe('There is no therapist 9999 in this clinic.');
  });

  it('shows a taken user name at the field', async () => {
    stub([], [409, { title: 'Conflict', detail: 'handle "newt" is already taken; expected a handle no other user of the organisation has', field: 'handle' }]);
    render(<Users />);
    await screen.findByTestId('users');
    fill('coordinator');
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    const handle = screen.getByLabelText('User name');
    await waitFor(() => expect(document.activeElement).toBe(handle));
    expect(document.getElementById(handle.getAttribute('aria-describedby')!)!.textContent).toBe('That user name is taken.');
  });
});
