// The export page must not promise more than the server does: pseudonyms link rows within one
// export and differ between exports with different salts; "unlinkable" overstated it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { sizeWords } from '../../plain';
import { Exports } from './Exports';

afterEach(() => vi.unstubAllGlobals());

describe('Exports', () => {
  it('words the pseudonyms as the server makes them', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ instruments: [] }), { status: 200 })));
    render(<Exports />);
    const p = await screen.findByTestId('export-privacy');
    expect(p.textContent).not.toMatch(/unlinkable/);
    expect(p.textContent).toMatch(/within one export only/);
    expect(p.textContent).toMatch(/different salts give the same person different pseudonyms/);
  });
});

describe('downloading an export', () => {
  it('keeps the button focusable while it downloads and says the size readably in a live region already present', async () => {
    let send: (r: Response) => void = () => {};
    vi.stubGlobal('fetch', vi.fn((url: string) => (url.endsWith('/instruments')
      ? Promise.resolve(new Response(JSON.stringify({ instruments: [{ id: 'phq9', title: 'PHQ-9' }] }), { status: 200 }))
      : new Promise<Response>((r) => { send = r; }))));
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: () => 'blob:x', revokeObjectURL: () => {} }));
    render(<Exports />);
    const button = await screen.findByRole('button', { name: 'Download item responses' });
    const status = screen.getByRole('status');
    expect(status.textContent).toBe('');
    button.focus();
    fireEvent.click(button);
    expect((button as HTMLButtonElement).disabled).toBe(false);
    expect(button.getAttribute('aria-disabled')).toBe('true');
    send(new Response('x'.repeat(94719), { status: 200 }));
    await waitFor(() => expect(status.textContent).toBe('Downloaded phq9-responses.csv (92.5 KB).'));
    expect(document.activeElement).toBe(button);
    expect(sizeWords(512)).toBe('512 bytes');
  });
});
