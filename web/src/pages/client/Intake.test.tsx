// The intake's preference sliders speak one C-NIP item's strength (-3..+3); what is saved is the
// scale's score (items x strength), the metric the matching model and the server's range check use.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MeContext } from '../../auth';
import { Intake, constraintsAfter, languageChoices, languagesOf, polesOf, preferenceWords, storedOf, strengthOf } from './Intake';
import type { Me } from '../../types';
import cnip from '../../fixtures/cnip.json';

const me: Me = { user_id: 7, org_id: 1, handle: 'client1', role: 'client', client_id: 3 };
const client = {
  id: 3, pseudonym: 'Client C', external_id: 'c3', concerns: ['stress'], goals: ['sleep'],
  preferences: { emotional_intensity: 12, therapist_directiveness: -2 }, constraints: ['language:en'],
};

// As `GET /languages` answers: ordered by code.
const languages = [
  { code: 'de', name: 'German' }, { code: 'en', name: 'English' }, { code: 'es', name: 'Spanish' }, { code: 'pl', name: 'Polish' },
];

afterEach(() => vi.unstubAllGlobals());

/** A server with `row` as client 3 and the C-NIP; `saved` is the last intake PUT. */
function serve(row: typeof client) {
  const api: { saved: Record<string, unknown> | null } = { saved: null };
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (url.endsWith('/clients/3/intake') && init?.method === 'PUT') {
      api.saved = JSON.parse(String(init.body));
      return new Response(JSON.stringify({ ...row, ...api.saved }), { status: 200 });
    }
    if (url.endsWith('/clients/3')) return new Response(JSON.stringify(row), { status: 200 });
    if (url.endsWith('/instruments/cnip')) return new Response(JSON.stringify(cnip), { status: 200 });
    if (url.endsWith('/languages')) return new Response(JSON.stringify({ languages }), { status: 200 });
    return new Response('{}', { status: 404 });
  }));
  return api;
}

describe('preference strength', () => {
  it('is the scale score per item, rounded and kept within -3..+3', () => {
    expect(strengthOf(12, 5)).toBe(2);
    expect(strengthOf(-9, 3)).toBe(-3);
    expect(strengthOf(undefined, 5)).toBe(0);
    expect(strengthOf(40, 5)).toBe(3);
  });
  it('never shows a stored lean as no preference (the matching reasons read it as one)', () => {
    expect(strengthOf(-2, 5)).toBe(-1);
    expect(strengthOf(1, 3)).toBe(1);
    expect(strengthOf(0, 5)).toBe(0);
  });
  it('names both ends from the scale title, the first-named pole being the positive one', () => {
    expect(polesOf('Therapist directiveness vs client directiveness', 'therapist_directiveness'))
      .toEqual(['client directiveness', 'therapist directiveness']);
    expect(preferenceWords(-1, ['client directiveness', 'therapist directiveness'])).toBe('a slight preference for client directiveness');
    expect(preferenceWords(3, ['reserve', 'intensity'])).toBe('a strong preference for intensity');
    expect(preferenceWords(0, ['a', 'b'])).toBe('no preference');
  });
  it('is saved as the scale score, within the scale range', () => {
    expect(storedOf(3, 5, [-15, 15])).toBe(15);
    expect(storedOf(-2, 3, [-9, 9])).toBe(-6);
    expect(storedOf(3, 6, [-15, 15])).toBe(15);
  });
});

describe('Intake', () => {
  it('shows stored preferences as strengths and saves a moved slider as the scale score', async () => {
    const api = serve(client);
    render(<MeContext.Provider value={me}><Intake /></MeContext.Provider>);
    const intensity = (await screen.findByLabelText(/emotional/i)) as HTMLInputElement;
    expect(intensity.value).toBe('2');
    // a stored -2 on the five-item directiveness scale leans to the client-directed end
    const directive = screen.getByLabelText(/directiveness/i) as HTMLInputElement;
    expect(directive.value).toBe('-1');
    expect(screen.getByTestId('pref-therapist_directiveness-said').textContent).toBe('a slight preference for client directiveness');
    // both ends are labelled for sighted users
    const track = directive.parentElement!;
    expect(track.textContent).toContain('client directiveness');
    expect(track.textContent).toContain('therapist directiveness');
    // the server's languages by name, the stored one ticked
    const boxes = screen.getAllByRole('checkbox', { name: /^(English|German|Polish|Spanish)$/ }) as HTMLInputElement[];
    expect(boxes.map((b) => b.value)).toEqual(['en', 'de', 'pl', 'es']);
    expect(boxes.filter((b) => b.checked).map((b) => b.value)).toEqual(['en']);
    fireEvent.click(screen.getByLabelText('English'));
    fireEvent.click(screen.getByLabelText('German'));
    const support = screen.getByLabelText(/warm/i) as HTMLInputElement;
    fireEvent.change(support, { target: { value: '3' } });
    // the confirmation goes into a polite live region already in the page, so it is announced
    // (each slider's <output> is a status too)
    const [status] = screen.getAllByRole('status').filter((el) => el.tagName !== 'OUTPUT');
    expect(status.textContent).toBe('');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(status.textContent).toBe('Saved. Your suggested therapists are updated.'));
    expect(api.saved).not.toBeNull();
    expect((api.saved as unknown as { preferences: Record<string, number> }).preferences)
      .toEqual({ emotional_intensity: 12, therapist_directiveness: -2, warm_support: 15 });
    expect((api.saved as unknown as { constraints: string[] }).constraints).toEqual(['language:de']);
  });
});

describe('language choices', () => {
  it('are the server\'s languages by name, keeping a stored code the list does not name', () => {
    expect(languageChoices(languages, ['en']).map((l) => l.code)).toEqual(['en', 'de', 'pl', 'es']);
    expect(languageChoices(languages, ['xx', 'en']).map((l) => l.name)).toEqual(['English', 'German', 'Polish', 'Spanish', 'xx']);
  });
});

describe('Intake constraints', () => {
  it('keeps the clinic\'s constraints and invents no language (the probe: a save left only language:en)', () => {
    expect(constraintsAfter(['exclude:5', 'risk:high', 'location:North Town'], [], 'either'))
      .toEqual(['exclude:5', 'risk:high', 'location:North Town']);
    expect(constraintsAfter(['language:en', 'exclude:5', 'modality:video'], ['es', 'pl'], 'in_person'))
      .toEqual(['exclude:5', 'language:es', 'language:pl', 'modality:in_person']);
    expect(languagesOf(['language:es', 'risk:high', 'language:pl'])).toEqual(['es', 'pl']);
  });

  it('saves the clinic\'s constraints untouched and the languages ticked', async () => {
    const api = serve({ ...client, constraints: ['exclude:5', 'risk:high', 'location:North Town'] });
    render(<MeContext.Provider value={me}><Intake /></MeContext.Provider>);
    const spanish = (await screen.findByLabelText('Spanish')) as HTMLInputElement;
    expect(spanish.checked).toBe(false);
    expect((screen.getByLabelText('English') as HTMLInputElement).checked).toBe(false);
    const save = screen.getByRole('button', { name: 'Save' });
    save.focus();
    fireEvent.click(save);
    await screen.findByText(/Saved\./);
    expect(document.activeElement).toBe(save);  // not lost to the page while saving
    expect((api.saved as unknown as { constraints: string[] }).constraints).toEqual(['exclude:5', 'risk:high', 'location:North Town']);
    fireEvent.click(spanish);
    fireEvent.click(screen.getByLabelText('Polish'));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect((api.saved as unknown as { constraints: string[] }).constraints)
      .toEqual(['exclude:5', 'risk:high', 'location:North Town', 'language:es', 'language:pl']));
  });

  it('says a refused save once, in its alert (a hidden copy of it was read twice)', async () => {
    serve(client);
    const answer = vi.mocked(fetch).getMockImplementation()!;
    vi.mocked(fetch).mockImplementation(async (url, init) => {
      if (String(url).endsWith('/clients/3/intake') && init?.method === 'PUT') {
        return new Response(JSON.stringify({ title: 'Invalid argument', detail: 'goals[0] is blank', field: 'goals[0]' }),
          { status: 400 });
      }
      return answer(url, init);
    });
    render(<MeContext.Provider value={me}><Intake /></MeContext.Provider>);
    await screen.findByLabelText('English');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByText('Invalid argument: goals[0] is blank');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(screen.getAllByText(/goals\[0\] is blank/)).toHaveLength(1);
  });
});

// A sign-in not linked to a record the server has: a plain sentence the client can act on, not
// the server's "Not available: no client 3".
describe('Intake without a record', () => {
  it('asks the client to have the clinic check the account', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => (url.endsWith('/clients/3')
      ? new Response(JSON.stringify({ title: 'Not found', detail: 'no client 3' }), { status: 404 })
      : new Response(JSON.stringify({ languages: [] }), { status: 200 }))));
    render(<MeContext.Provider value={me}><Intake /></MeContext.Provider>);
    expect((await screen.findByRole('alert')).textContent).toBe('Your record could not be found. Please ask the clinic to check your account.');
  });
});
