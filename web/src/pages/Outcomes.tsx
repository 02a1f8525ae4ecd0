import { api } from '../api';
import { useMe } from '../auth';
import { Loaded, useLoad } from '../components/common';
import type { GroupRates, Rate } from '../types';

// "35% (28–42%) of 20", and the case-mix adjusted rate where there is one: "; adjusted 0%
// (clamped from −1.4%)" where the clamp to [0, 1] changed it, since how far outside it tells.
export function percent(r: Rate): string {
  if (r.n === 0) return '—';
  const p = (x: number) => Math.round(100 * x);
  const text = `${p(r.rate)}% (${p(r.ci_low)}–${p(r.ci_high)}%) of ${r.n}`;
  if (r.adjusted === undefined) return text;
  const unclamped = r.adjusted_clamped && r.adjusted_unclamped !== undefined
    ? ` (clamped from ${(100 * r.adjusted_unclamped).toFixed(1).replace('-', '−')}%)` : '';
  return `${text}; adjusted ${p(r.adjusted)}%${unclamped}`;
}

/** Outcome and alliance rates: the organisation and each therapist (a therapist: themselves). */
export function Outcomes() {
  const me = useMe();
  const state = useLoad(async () => {
    const [report, therapists] = await Promise.all([api.outcomes(), api.therapists()]);
    const names = new Map(therapists.map((t) => [t.id, t.display_name]));
    return { report, name: (g: GroupRates) => (g.therapist_id ? names.get(g.therapist_id) ?? g.group : 'Whole organisation') };
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>{me.role === 'therapist' ? 'My outcomes' : 'Outcomes by therapist'}</h1>
      <p>Each rate comes with its 95% interval. With a few dozen clients per therapist the intervals
        are wide and mostly overlap: read them, not the order. Adjusted rates allow for how severe
        clients were at intake. An adjusted rate is kept within 0–100%; where that changed it, the
        value before the clamp is shown beside it, since it says how far from expected the rate is.</p>
      <Loaded state={state} what="outcome rates">
        {({ report, name }) => (
          <>
            <div className="table-scroll"><table className="data" data-testid="outcomes">
              <caption>Episodes with at least two outcome measurements; alliance is the client-rated WAI-SR total</caption>
              <thead><tr>
                <th scope="col">Who</th><th scope="col">Episodes</th><th scope="col">Reliable improvement</th>
                <th scope="col">Recovery</th><th scope="col">Deterioration</th><th scope="col">Mean alliance</th>
                <th scope="col">Ruptures per episode</th><th scope="col">Ruptures repaired</th>
              </tr></thead>
              <tbody>{[report.organisation, ...report.therapists].map((g) => (
                <tr key={g.group}>
                  <th scope="row">{name(g)}</th><td>{g.episodes}</td>
                  <td>{percent(g.reliable_improvement)}</td><td>{percent(g.recovery)}</td><td>{percent(g.deterioration)}</td>
                  <td>{g.mean_alliance === null ? '—' : g.mean_alliance.toFixed(1)}</td>
                  <td>{g.ruptures_per_episode.toFixed(2)}</td><td>{percent(g.repair)}</td>
                </tr>
              ))}</tbody>
            </table></div>
            <p className="meta">Case mix: {report.adjustment}</p>
          </>
        )}
      </Loaded>
    </section>
  );
}
