// The analyses' renderers with results shaped like the server's (docs/api.md "Care, assignment
// plans and analyses"), and the runner posting to the route.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Analyses, Mediation, Replication, TherapistEffects } from './Analyses';

const facets = ['observe', 'describe', 'act_aware', 'nonjudge', 'nonreact'];
const replication = {
  source: 'organisation', n: 8, therapists: 8, alliance: 'mean WAI-SR total',
  correlations: facets.map((f, i) => ({ x: f, y: 'alliance', n: 8, r: 0.1 * (i + 1), p: 0.5 - 0.1 * i, ci95: [-0.5, 0.8] })),
  regression: { r2: 0.412, adj_r2: 0.1, f: 1.2, df1: 5, df2: 2, f_p: 0.5,
    std_betas: facets.map((f, i) => ({ facet: f, std_beta: 0.1 * i, t: 1, p: i === 3 ? 0.01 : 0.4, significant: i === 3 })), significant: ['nonjudge'] },
  published: { study: 'Razzaque, Okoro & Wood (2015)', n: 76, r2: 0.324 },
  caution: 'These data are cross-sectional: they show association, not that mindfulness causes a stronger alliance.',
};
const mediation = { x: 'mindfulness_nonjudge', m: 'alliance', y: 'improvement', n: 52,
  a: { estimate: 0.3, se: 0.1, p: 0.004 }, b: { estimate: 0.5, se: 0.1, p: 0.0001 }, c: { estimate: 0.2, se: 0.1, p: 0.05 },
  c_prime: { estimate: 0.05, se: 0.1, p: 0.6 }, ab: 0.15, ab_ci: [0.04, 0.3], level: 0.95, resamples: 1000, failed_resamples: 0,
  seed: 1, cluster: 'therapist', clusters: 8 };

afterEach(() => vi.unstubAllGlobals());

describe('analyses', () => {
  it('replication: R² beside the published figure, a row per facet, and the caution', () => {
    render(<Replication r={replication} />);
    expect(screen.getByText(/R² = 0.412/).textContent).toMatch(/Published: n = 76, R² = 0.324/);
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(5);
    // the facets by the names people know, not their codes
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual(['observing', 'describing', 'acting with awareness', 'non-judging', 'non-reactivity']);
    expect(screen.getByText(/R² = 0.412/).textContent).toMatch(/, p = 0\.500\./);
    expect(within(rows[3]).getAllByRole('cell').map((c) => c.textContent)).toEqual(['0.400', '0.200', '0.300', '0.010', 'yes']);
    expect(screen.getByRole('note').textContent).toMatch(/cross-sectional/);
  });

  it('mediation: the indirect effect, whether its interval excludes zero, and the four paths', () => {
    render(<Mediation r={mediation} />);
    expect(screen.getByText(/Indirect effect/).textContent).toMatch(/0.150.*\[0.040, 0.300\].*1000 resamples of 8 therapist clusters.*excludes zero/s);
    expect(screen.getAllByRole('row')).toHaveLength(5);
  });

  it('therapist effects: the caterpillar plot with its numbers', () => {
    render(<TherapistEffects r={{ nobs: 60, icc_therapist: 0.08, converged: true, singular: false,
      effects: [{ therapist: 'therapist 2', effect: -0.3, se: 0.1, ci95: [-0.5, -0.1] }, { therapist: 'therapist 1', effect: 0.3, se: 0.1, ci95: [0.1, 0.5] }] }} />);
    const fig = screen.getByTestId('caterpillar');
    expect(fig.querySelector('svg')).not.toBeNull();
    expect(fig.textContent).toMatch(/Therapist 2-0.3-0.5-0.1/);
    // the axis names the therapists, the unit and which way is better
    const svg = fig.querySelector('svg')!;
    expect([...svg.querySelectorAll('text')].map((t) => t.textContent)).toEqual(expect.arrayContaining(['Therapist 2', 'Therapist 1']));
    expect(svg.textContent).toMatch(/Effect on improvement \(SD of intake scores; higher is better\)/);
    expect(svg.textContent).toMatch(/Therapist \(sorted by effect\)/);
  });

  // Before: past 20 therapists the axis named every other one (20 of 40).
  it('therapist effects: the caterpillar plot names each of 40 therapists on its axis', () => {
    const effects = Array.from({ length: 40 }, (_, i) => ({ therapist: `Therapist ${i + 1}`, effect: i / 40 - 0.5, se: 0.1 }));
    render(<TherapistEffects r={{ nobs: 400, icc_therapist: 0.08, converged: true, singular: false, effects }} />);
    const svg = screen.getByTestId('caterpillar').querySelector('svg')!;
    const labels = [...svg.querySelectorAll('text')].map((t) => t.textContent);
    expect(effects.filter((e) => !labels.includes(e.therapist))).toEqual([]);
  });

  it('the runner posts to the analysis route and shows the server refusal in words', async () => {
    const urls: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
      urls.push(`${init.method} ${url}`);
      if (url.endsWith('/mediation')) return new Response(JSON.stringify(mediation), { status: 200 });
      return new Response(JSON.stringify({ title: 'Failed precondition', status: 422,
        detail: 'therapists with an FFMQ-39 and client-rated alliance: 3 in this organisation; the analysis needs at least 8' }), { status: 422 });
    }));
    const user = userEvent.setup();
    render(<Analyses />);
    await user.click(within(screen.getByTestId('analysis-replication')).getByRole('button', { name: 'Run the replication' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/needs at least 8/);
    await user.click(within(screen.getByTestId('analysis-mediation')).getByRole('button', { name: 'Run the mediation analysis' }));
    expect(await within(screen.getByTestId('analysis-mediation')).findByTestId('analysis-result')).toBeTruthy();
    expect(urls).toEqual(['POST /api/v1/analyses/replication', 'POST /api/v1/analyses/mediation']);
  });

  it('after a run, focus goes to the result heading; after a refusal, back to the button', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/mediation')) return new Response(JSON.stringify(mediation), { status: 200 });
      return new Response(JSON.stringify({ title: 'Failed precondition', status: 422, detail: 'needs at least 8' }), { status: 422 });
    }));
    const user = userEvent.setup();
    render(<Analyses />);
    const med = screen.getByTestId('analysis-mediation');
    await user.click(within(med).getAllByRole('button')[0]);
    const heading = await within(med).findByRole('heading', { level: 3, name: 'Result of the mediation analysis' });
    expect(within(med).getByRole('button', { name: 'Run the mediation analysis again' })).toBeTruthy();
    expect(document.activeElement).toBe(heading);
    const rep = screen.getByTestId('analysis-replication');
    const run = within(rep).getAllByRole('button')[0];
    await user.click(run);
    await within(rep).findByRole('alert');
    expect(document.activeElement).toBe(run);
  });

  it('names each button by its analysis, so the three can be told apart', () => {
    render(<Analyses />);
    expect(screen.getAllByRole('button').map((b) => b.textContent))
      .toEqual(['Run the replication', 'Run therapist effects', 'Run the mediation analysis']);
  });
});
