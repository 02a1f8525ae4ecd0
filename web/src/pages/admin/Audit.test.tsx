// The audit page says what it holds: the newest entries the server sent, not the whole chain.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Audit, auditCaption } from './Audit';

afterEach(() => vi.unstubAllGlobals());

describe('Audit', () => {
  it('captions what was loaded and shown, and Verify gives the chain length beside it', async () => {
    expect(auditCaption(500, 1000, 1000, false)).toMatch(/^The newest 500 of the 1000 loaded \(the server sends its newest entries only/);
    const entries = Array.from({ length: 1000 }, (_, i) => ({ seq: 999 + i, at: '2026-11-27T10:00:00Z', actor: 'a', action: 'client.read', entity: 'client', entity_id: '1', detail: '', hash: 'h' }));
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/audit/verify')) return new Response(JSON.stringify({ ok: true, entries: 1998, first_bad_seq: 0, problem: '' }), { status: 200 });
      if (url.endsWith('/audit')) return new Response(JSON.stringify({ entries }), { status: 200 });
      return new Response('{}', { status: 404 });
    }));
    render(<Audit />);
    const table = await screen.findByTestId('audit');
    // the time as the app writes it, in the reader's time zone, machine-readable in <time>
    const when = table.querySelector('tbody time')!;
    expect(when.getAttribute('dateTime')).toBe('2026-11-27T10:00:00Z');
    expect(when.textContent).toBe(new Date('2026-11-27T10:00:00Z').toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit' }));
    expect(when.textContent).toMatch(/^Nov 27, 2026/);
    expect(table.querySelector('caption')!.textContent).not.toMatch(/of 1000 entries$/);
    // the verdict goes into a polite live region already in the page, so it is announced
    const status = screen.getByRole('status');
    expect(status.textContent).toBe('');
    fireEvent.click(screen.getByRole('button', { name: 'Verify the chain' }));
    await waitFor(() => expect(status.textContent).toBe('The chain is intact: 1998 entries in all; this page loaded the newest 1000.'));
  });
});
