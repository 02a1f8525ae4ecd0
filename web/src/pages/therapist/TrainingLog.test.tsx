// The therapist's training log and FFMQ-39 profile over time against a stubbed fetch.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MindfulnessOverTime, TrainingLog, facetRows, isCalendarDate, unscoredFacets, validateTraining } from './TrainingLog';
import type { MindfulnessPoint, TrainingRecord } from '../../types';

/** A server with `records` as the log; `refusal`, when given, answers every POST. */
function stub(records: TrainingRecord[], points: MindfulnessPoint[] = [], refusal?: () => Response) {
  const posts: unknown[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    if (refusal && init.method === 'POST') return refusal();
    if (url.endsWith('/training') && init.method === 'POST') {
      const body = JSON.parse(String(init.body));
      posts.push(body);
      const r = { id: records.length + 1, therapist_id: 4, note: '', ...body };
      records.push(r);
      return new Response(JSON.stringify(r), { status: 201 });
    }
    if (url.endsWith('/training')) return new Response(JSON.stringify({ therapist_id: 4, training: records }), { status: 200 });
    if (url.endsWith('/mindfulness')) return new Response(JSON.stringify({ therapist_id: 4, points }), { status: 200 });
    return new Response(JSON.stringify({ title: 'Not found', detail: `no route ${url}` }), { status: 404 });
  }));
  return posts;
}
afterEach(() => vi.unstubAllGlobals());

describe('TrainingLog', () => {
  it('refuses an entry with messages naming the field', () => {
    expect(validateTraining({ kind: 'daily_practice', minutes: '20', completed_on: '2026-11-26' })).toEqual({});
    const p = validateTraining({ kind: '', minutes: '0', completed_on: '26/11/2026' });
    expect(Object.keys(p).sort()).toEqual(['completed_on', 'kind', 'minutes']);
    expect(p.minutes).toMatch(/1 to 1440/);
    expect(validateTraining({ kind: 'x', minutes: '2.5', completed_on: '2026-11-26' }).minutes).toBeDefined();
  });

  it('takes minutes only as digits: not 1e3 (1000), hex, signs or spaces', () => {
    const day = { kind: 'daily_practice', completed_on: '2026-11-26' };
    for (const bad of ['1e3', '0x10', '+20', '-5', ' 20', '20 ', '20.0', '']) {
      expect(validateTraining({ ...day, minutes: bad }, '2026-11-27').minutes, bad).toMatch(/whole number from 1 to 1440, in digits/);
    }
    expect(validateTraining({ ...day, minutes: '1440' }, '2026-11-27')).toEqual({});
    expect(validateTraining({ ...day, minutes: '1441' }, '2026-11-27').minutes).toBeDefined();
  });

  it('after a refused entry, focus is on the first field with a problem', async () => {
    const posts = stub([]);
    const user = userEvent.setup();
    render(<TrainingLog therapistId={4} />);
    await screen.findByText('Nothing logged yet.');
    const minutes = screen.getByLabelText('Minutes');
    const date = screen.getByLabelText('Date (YYYY-MM-DD)');
    await user.clear(minutes);
    await user.clear(date);
    await user.type(date, '2999-01-01');
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    expect(document.activeElement).toBe(minutes);
    expect(minutes.getAttribute('aria-describedby')).toBe('training-minutes-error');
    await user.type(minutes, '20');
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    expect(document.activeElement).toBe(date);
    expect(posts).toHaveLength(0);
  });

  it('refuses a day not on the calendar and a day in the future', () => {
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2026-13-01')).toBe(false);
    const ok = { kind: 'daily_practice', minutes: '20' };
    expect(validateTraining({ ...ok, completed_on: '2026-02-30' }, '2026-11-27').completed_on).toMatch(/not a date on the calendar/);
    expect(validateTraining({ ...ok, completed_on: '2030-01-01' }, '2026-11-27').completed_on).toMatch(/in the future/);
    expect(validateTraining({ ...ok, completed_on: '2026-11-27' }, '2026-11-27')).toEqual({});
  });

  it('says "1 entry", not "1 entries", and refuses a future date on the form before sending', async () => {
    const posts = stub([{ id: 1, therapist_id: 4, kind: 'mbsr_session', minutes: 150, completed_on: '2026-11-20', note: '' }]);
    const user = userEvent.setup();
    render(<TrainingLog therapistId={4} />);
    expect(await screen.findByText(/^1 entry, 150 minutes in all/)).toBeTruthy();
    const date = screen.getByLabelText('Date (YYYY-MM-DD)');
    await user.clear(date);
    await user.type(date, '2999-01-01');
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    expect(date.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/in the future/)).toBeTruthy();
    expect(posts).toHaveLength(0);
  });

  it('lists the log, refuses bad minutes on the form, and logs a practice', async () => {
    const posts = stub([{ id: 1, therapist_id: 4, kind: 'mbsr_session', minutes: 150, completed_on: '2026-11-20', note: 'week 3' }]);
    const user = userEvent.setup();
    render(<TrainingLog therapistId={4} />);
    expect((await screen.findByTestId('training-log')).textContent).toMatch(/Mbsr session|mbsr/i);
    const minutes = screen.getByLabelText('Minutes');
    await user.clear(minutes);
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    expect(minutes.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/whole number from 1 to 1440/)).toBeTruthy();
    expect(posts).toHaveLength(0);
    await user.type(minutes, '30');
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    expect(await screen.findByText(/^Logged 30 minutes/)).toBeTruthy();
    expect(posts).toEqual([expect.objectContaining({ kind: 'daily_practice', minutes: 30 })]);
    expect(await screen.findByText(/2 entries, 180 minutes in all/)).toBeTruthy();
    // the form is emptied (the kind kept), so a second press logs nothing twice
    expect((minutes as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Date (YYYY-MM-DD)') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Note (optional)') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Practice') as HTMLSelectElement).value).toBe('daily_practice');
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    expect(posts).toHaveLength(1);
  });

  it('lists the log newest first by the day practised, not in the order logged', async () => {
    stub([
      { id: 1, therapist_id: 4, kind: 'mbsr_session', minutes: 150, completed_on: '2026-11-20', note: '' },
      { id: 2, therapist_id: 4, kind: 'daily_practice', minutes: 20, completed_on: '2026-10-02', note: '' },
      { id: 3, therapist_id: 4, kind: 'retreat_day', minutes: 300, completed_on: '2026-11-25', note: '' },
    ]);
    render(<TrainingLog therapistId={4} />);
    const table = await screen.findByTestId('training-log');
    expect([...table.querySelectorAll('tbody tr td:first-child')].map((td) => td.textContent)).toEqual(['Nov 25, 2026', 'Nov 20, 2026', 'Oct 2, 2026']);
  });

  it('says "Logged" in a polite live region that was in the page before it (so it is announced)', async () => {
    stub([]);
    const user = userEvent.setup();
    render(<TrainingLog therapistId={4} />);
    await screen.findByTestId('training-log');
    const status = within(screen.getByRole('form', { name: 'Log practice' })).getByRole('status');
    expect(status.getAttribute('aria-live')).toBe('polite');
    expect(status.textContent).toBe('');
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    await waitFor(() => expect(status.textContent).toBe('Logged 20 minutes of daily practice.'));
  });

  it("shows the server's refusal as an alert, and no confirmation", async () => {
    stub([], [], () => new Response(JSON.stringify({ title: 'Invalid argument', status: 400, field: 'kind',
      detail: 'kind is "yoga"; expected one of mbsr_session, mbct_session, daily_practice, retreat_day, supervision' }), { status: 400 }));
    const user = userEvent.setup();
    render(<TrainingLog therapistId={4} />);
    await screen.findByTestId('training-log');
    await user.click(screen.getByRole('button', { name: 'Log practice' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/kind is "yoga"/);
    expect(within(screen.getByRole('form', { name: 'Log practice' })).getByRole('status').textContent).toBe('');
  });
});

describe('MindfulnessOverTime', () => {
  const points: MindfulnessPoint[] = [
    { response_id: 1, answered_at: '2026-06-01T09:00:00Z', scores: [{ scale_id: 'nonjudge', value: 24, band: '' }, { scale_id: 'total', value: 130, band: '' }] },
    { response_id: 2, answered_at: '2026-09-01T09:00:00Z', scores: [{ scale_id: 'nonjudge', value: 29, band: '' }, { scale_id: 'observe', value: null, band: '' }] },
  ];
  it('keeps the five facets (not the total, not unscorable ones) in date order', () => {
    const rows = facetRows(points);
    expect(rows.map((r) => [r.when, r.facet, r.value])).toEqual([['Jun 1, 2026', 'non-judging', 24], ['Sep 1, 2026', 'non-judging', 29]]);
  });
  it('draws the chart with its numbers, or says why there is none', async () => {
    stub([], points);
    render(<MindfulnessOverTime therapistId={4} />);
    const fig = await screen.findByTestId('mindfulness');
    expect(fig.querySelector('svg')).not.toBeNull();
    expect(fig.textContent).toMatch(/2 inventories/);
    vi.unstubAllGlobals();
  });
  it('draws a facet left unscored without a Plot warning (its text ends in words, not a glyph)', async () => {
    const warn = vi.spyOn(console, 'warn');
    const five = ['observe', 'describe', 'act_aware', 'nonjudge', 'nonreact'].map((f, i) => ({ scale_id: f, value: 20 + i, band: '' }));
    stub([], [{ response_id: 1, answered_at: '2026-06-01T09:00:00Z', scores: five }, points[1]]);
    render(<MindfulnessOverTime therapistId={4} />);
    const fig = await screen.findByTestId('mindfulness');
    expect(fig.textContent).not.toMatch(/\u26a0/);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
  it('says which facet an inventory could not score instead of dropping it silently', async () => {
    expect(unscoredFacets(points)).toContain('observing on Sep 1, 2026');
    stub([], points);
    render(<MindfulnessOverTime therapistId={4} />);
    expect((await screen.findByTestId('mindfulness-unscored')).textContent).toMatch(/could not\s+be\s+scored.*observing on Sep 1, 2026/s);
  });
  it('says so when there is no inventory yet', async () => {
    stub([], []);
    render(<MindfulnessOverTime therapistId={4} />);
    expect((await screen.findByTestId('mindfulness')).textContent).toMatch(/No FFMQ-39 yet/);
  });
});
