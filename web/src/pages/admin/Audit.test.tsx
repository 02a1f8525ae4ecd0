// The audit page says what it holds: the newest entries the server sent, not the whole chain.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Audit, actorParts, auditCaption, detailWords } from './Audit';

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

describe('Audit entries in words', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('says who by name and role, the address apart, and known details in words', () => {
    expect(actorParts('demo-coordinator#2 coordinator@127.0.0.1')).toEqual({ who: 'demo-coordinator (coordinator)', address: '127.0.0.1' });
    expect(actorParts('system')).toEqual({ who: 'system', address: '' });
    expect(detailWords('{"rupture_z":1.5}')).toBe('Drop needed on the total (z) set to 1.5');
    expect(detailWords('{"not_on_track_z":null}')).toBe('Not-on-track band (z) back to the default');
    expect(detailWords('{"client_choice":false,"ended_on":"2026-11-27"}')).toBe('client choice: false; ended on: 2026-11-27');
    expect(detailWords('moved to therapist 3')).toBe('moved to therapist 3');
  });

  it('keeps the raw detail and actor reachable', async () => {
    const entries = [{ seq: 1, at: '2026-11-27T10:00:00Z', actor: 'demo-coordinator#2 coordinator@127.0.0.1', action: 'monitoring.update',
      entity: 'organisation', entity_id: '1', detail: '{"rupture_z":1.5}', hash: 'h' }];
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ entries }), { status: 200 })));
    render(<Audit />);
    const row = (await screen.findByTestId('audit')).querySelector('tbody tr')!;
    const cells = row.querySelectorAll('td');
    expect(cells[2].textContent).toBe('demo-coordinator (coordinator)from 127.0.0.1');
    expect(cells[2].getAttribute('title')).toBe('demo-coordinator#2 coordinator@127.0.0.1');
    expect(cells[5].querySelector('summary')!.textContent).toBe('As recorded');
    expect(cells[5].querySelector('code')!.textContent).toBe('{"rupture_z":1.5}');
    expect(cells[5].textContent).toMatch(/^Drop needed on the total \(z\) set to 1.5/);
  });
});
