// The export page must not promise more than the server does: pseudonyms link rows within one
// export and differ between exports with different salts; "unlinkable" overstated it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
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
