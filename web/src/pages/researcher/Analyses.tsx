// The research analyses, rendered from the JSON shapes of `attune analyze ... --json`
// (docs/cli.md), which the API returns unchanged.
import { useState } from 'react';
import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { ErrorBox, useFocusWhen } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';
import { facetName, recordName } from '../../plain';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Kind = 'replication' | 'therapist-effects' | 'mediation';

const f3 = (v: unknown) => (typeof v === 'number' ? v.toFixed(3) : v == null ? '—' : String(v));
/** A p value: "< .001", else to three decimals; `inText` for a sentence ("p = 0.363", "p < .001"). */
const pv = (v: unknown, inText = false) => (typeof v === 'number' ? (v < 0.001 ? '< .001' : `${inText ? '= ' : ''}${v.toFixed(3)}`) : '—');

export function Analyses() {
  return (
    <section>
      <h1 tabIndex={-1}>Analyses</h1>
      <p>All analyses run on this organisation's de-identified data. Each can take several seconds.</p>
      <Runner kind="replication" what="the replication" title="Replication: mindfulness facets and the alliance"
        blurb="Razzaque, Okoro & Wood (2015): each facet's correlation with therapist alliance and the multiple regression, beside the published figures."
        render={Replication} />
      <Runner kind="therapist-effects" what="therapist effects" title="Therapist effects on outcome"
        blurb="A mixed model with a random intercept per therapist; the caterpillar plot shows each therapist's effect with its 95% interval."
        render={TherapistEffects} />
      <Runner kind="mediation" what="the mediation analysis" title="Mediation: does the alliance carry mindfulness to outcome?"
        blurb="Therapist mindfulness → client-rated alliance → outcome, with a cluster bootstrap over therapists for the indirect effect."
        render={Mediation} />
    </section>
  );
}

/** One analysis: a button named by it ("Run the replication": three buttons called "Run" cannot be told apart), its result. */
function Runner({ kind, what, title, blurb, render: Render }: {
  kind: Kind; what: string; title: string; blurb: string; render: (p: { r: Json }) => JSX.Element;
}) {
  const [result, setResult] = useState<Json | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [started, setStarted] = useState(0);
  // the button is disabled while the analysis runs, which drops focus: it goes to the result's
  // heading when one comes, and back to the button when the server refuses (the refusal is an alert)
  const resultRef = useFocusWhen<HTMLHeadingElement>(result);
  const buttonRef = useFocusWhen<HTMLButtonElement>(error);
  return (
    <article className="card" data-testid={`analysis-${kind}`}>
      <h2>{title}</h2>
      <p>{blurb}</p>
      <button type="button" ref={buttonRef} disabled={busy} aria-busy={busy} onClick={async () => {
        setBusy(true); setError(null); setStarted(Date.now());
        try { setResult(await api.analysis(kind)); } catch (e) { setError(e); } finally { setBusy(false); }
      }}>{busy ? `Running ${what}…` : `Run ${what}${result ? ' again' : ''}`}</button>
      {busy && <p role="status" className="loading"><span className="spinner" aria-hidden="true" /> Running the analysis (started {new Date(started).toLocaleTimeString()})…</p>}
      {error != null && <ErrorBox error={error} />}
      {result && (
        <div className="result" data-testid="analysis-result">
          <h3 tabIndex={-1} ref={resultRef}>Result of {what}</h3>
          <Render r={result} />
        </div>
      )}
    </article>
  );
}

export function Replication({ r }: { r: Json }) {
  const reg = r.regression ?? {};
  const betas: Json[] = reg.std_betas ?? [];
  const cors: Json[] = r.correlations ?? [];
  return (
    <>
      <p>n = {r.n}; R² = {f3(reg.r2)} (adjusted {f3(reg.adj_r2)}), F({reg.df1}, {reg.df2}) = {f3(reg.f)}, p {pv(reg.f_p, true)}.
        {r.published ? ` Published: n = ${r.published.n ?? 76}, R² = ${f3(r.published.r2 ?? 0.324)}.` : ''}</p>
      <div className="table-scroll"><table className="data">
        <caption>Facets: correlation with alliance and standardised regression weights</caption>
        <thead><tr><th scope="col">Facet</th><th scope="col">r</th><th scope="col">p (r)</th><th scope="col">β</th><th scope="col">p (β)</th><th scope="col">Significant</th></tr></thead>
        <tbody>{betas.map((b) => {
          const c = cors.find((x) => x.x === b.facet || x.y === b.facet) ?? {};
          return <tr key={b.facet}><th scope="row">{facetName(b.facet)}</th><td>{f3(c.r)}</td><td>{pv(c.p)}</td><td>{f3(b.std_beta)}</td><td>{pv(b.p)}</td><td>{b.significant ? 'yes' : 'no'}</td></tr>;
        })}</tbody>
      </table></div>
      {r.caution && <p className="notice" role="note">{r.caution}</p>}
    </>
  );
}

export function TherapistEffects({ r }: { r: Json }) {
  const effects: Json[] = (r.effects ?? []).map((e: Json, i: number) => ({
    ...e, rank: i + 1, label: recordName(String(e.therapist)),
    lo: Array.isArray(e.ci95) ? e.ci95[0] : e.effect - 1.96 * e.se,
    hi: Array.isArray(e.ci95) ? e.ci95[1] : e.effect + 1.96 * e.se,
  }));
  const outcome = r.outcome === 'alliance' ? 'alliance' : 'improvement';
  const unit = outcome === 'alliance' ? 'alliance score' : 'SD of intake scores';
  // Every therapist is named on the axis: one row each, the plot growing with their number (a
  // horizontal axis could name only every other one of 40), lowest at the bottom.
  const ticks = effects.map((e) => e.rank);
  const longest = Math.max(0, ...effects.map((e) => String(e.label).length));
  // room for the longest name (about 6.5 px a character at Plot's 10 px), the tick and the axis label
  const marginLeft = Math.min(220, 40 + Math.ceil(6.5 * longest));
  return (
    <>
      <p>ICC (therapist) = {f3(r.icc_therapist)} from {r.nobs} observations{r.singular ? ' (singular fit: the therapist variance is at its boundary)' : ''}{r.converged === false ? '; the fit did not converge' : ''}.</p>
      <PlotFigure testId="caterpillar" caption={`Therapist effects on ${outcome} (conditional modes, in ${unit} from the average therapist) with 95% intervals, sorted from lowest to highest; the dashed line is the average therapist; higher is better`}
        options={{ height: 80 + 18 * Math.max(effects.length, 4), marginLeft, marginBottom: 48,
          y: { label: 'Therapist (sorted by effect)', labelAnchor: 'center', labelOffset: marginLeft - 10, labelArrow: 'none', ticks,
            domain: [0.5, effects.length + 0.5], tickFormat: (rank: number) => effects[rank - 1]?.label ?? '' },
          x: { label: `Effect on ${outcome} (${unit}; higher is better)`, labelArrow: 'right', grid: true },
          marks: [Plot.ruleX([0], { strokeDasharray: '4,3' }),
                  Plot.ruleY(effects, { y: 'rank', x1: 'lo', x2: 'hi', stroke: '#4a6fa5' }),
                  Plot.dot(effects, { y: 'rank', x: 'effect', fill: '#1a1a1a', r: 3, title: 'label' })] }}
        table={{ columns: ['therapist', 'effect', 'low', 'high'], rows: effects.map((e) => [e.label, +(+e.effect).toFixed(3), +(+e.lo).toFixed(3), +(+e.hi).toFixed(3)]) }} />
    </>
  );
}

export function Mediation({ r }: { r: Json }) {
  const row = (name: string, v: Json | undefined) => <tr key={name}><th scope="row">{name}</th><td>{f3(v?.estimate)}</td><td>{f3(v?.se)}</td><td>{pv(v?.p)}</td></tr>;
  return (
    <>
      <p>Indirect effect (a×b) = <strong>{f3(r.ab)}</strong>, {Math.round((r.level ?? 0.95) * 100)}% bootstrap interval [{f3(r.ab_ci?.[0])}, {f3(r.ab_ci?.[1])}]
        {' '}from {r.resamples} resamples{r.cluster ? ` of ${r.clusters} ${r.cluster} clusters` : ''}; n = {r.n}.
        {Array.isArray(r.ab_ci) && (r.ab_ci[0] > 0 || r.ab_ci[1] < 0) ? ' The interval excludes zero.' : ' The interval includes zero.'}</p>
      <div className="table-scroll"><table className="data">
        <caption>Paths</caption>
        <thead><tr><th scope="col">Path</th><th scope="col">Estimate</th><th scope="col">SE</th><th scope="col">p</th></tr></thead>
        <tbody>{[row('a: mindfulness → alliance', r.a), row('b: alliance → outcome', r.b), row('c: total effect', r.c), row("c′: direct effect", r.c_prime)]}</tbody>
      </table></div>
    </>
  );
}
