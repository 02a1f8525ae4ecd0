import { useState } from 'react';
import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { ErrorBox, useFocusWhen } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';
import { therapistName } from '../../plain';
import type { AssignmentPlan, PlanRow, Therapist } from '../../types';

/** "1 client", "2 clients". */
const clients = (n: number) => `${n} client${n === 1 ? '' : 's'}`;

const mean = (rows: PlanRow[]) => rows.length ? rows.reduce((s, r) => s + r.score, 0) / rows.length : 0;

export function Assign() {
  const [plan, setPlan] = useState<AssignmentPlan | null>(null);
  // therapists by name in the plan (by number, "Therapist 20", if the list cannot be had)
  const [therapists, setTherapists] = useState<Therapist[]>([]);
  const [excluded, setExcluded] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState<'' | 'plan' | 'commit'>('');
  const [error, setError] = useState<unknown>(null);
  // what the last commit did: it takes focus, since the plan and the Commit button that had it go
  const [done, setDone] = useState<{ created: number } | null>(null);
  const doneRef = useFocusWhen<HTMLParagraphElement>(done);
  // "Preview a plan" is disabled while the plan is computed: focus goes to the plan's heading
  const planRef = useFocusWhen<HTMLHeadingElement>(plan);

  async function preview() {
    setBusy('plan'); setError(null); setDone(null);
    try {
      const [p, ts] = await Promise.all([api.planAssignments(), api.therapists().catch(() => [] as Therapist[])]);
      setTherapists(ts); setPlan(p); setExcluded(new Set());
    } catch (e) { setError(e); } finally { setBusy(''); }
  }
  async function commit() {
    if (!plan) return;
    setBusy('commit'); setError(null);
    try {
      const rows = plan.plan.filter((r) => !excluded.has(r.client_id)).map(({ client_id, therapist_id }) => ({ client_id, therapist_id }));
      const r = await api.commitAssignments(rows);
      setDone({ created: r.created ?? rows.length });
      setPlan(null);
    } catch (e) { setError(e); } finally { setBusy(''); }
  }

  const kept = plan ? plan.plan.filter((r) => !excluded.has(r.client_id)) : [];
  // As usual for the same clients: an unticked row leaves both means (the plan's mean of the kept
  // rows was compared with every client's as usual before).
  const usualKept = plan ? plan.as_usual.filter((u) => kept.some((k) => k.client_id === u.client_id)) : [];
  const compare = plan ? [
    { method: 'Plan (Attune)', mean: mean(kept) },
    { method: 'Assignment as usual', mean: mean(usualKept) },
  ] : [];

  return (
    <section>
      <h1 tabIndex={-1}>Batch assignment</h1>
      <p>Attune proposes one therapist for every waiting client at once, respecting capacity and
        constraints, and shows how the plan compares with assignment as usual (first come, any
        therapist with room). Untick a row to leave that client waiting, then commit.</p>
      <button type="button" onClick={preview} disabled={busy !== ''} aria-busy={busy === 'plan'}>
        {busy === 'plan' ? 'Computing the plan…' : 'Preview a plan'}</button>
      {busy === 'plan' && <p role="status" className="loading"><span className="spinner" aria-hidden="true" /> Solving the assignment; this can take a few seconds for a long waitlist.</p>}
      {error != null && <ErrorBox error={error} />}
      {done !== null && <p className="ok" role="status" tabIndex={-1} ref={doneRef} data-testid="committed">Committed: {clients(done.created)} assigned.</p>}
      {plan && (
        <>
          <h2 tabIndex={-1} ref={planRef}>Plan versus assignment as usual</h2>
          <p data-testid="plan-summary">Mean predicted fit for the {kept.length} kept client{kept.length === 1 ? '' : 's'}: {mean(kept).toFixed(3)} with the plan, {mean(usualKept).toFixed(3)} as usual for the same clients
            {plan.summary ? `; ${clients(plan.summary.unassigned)} could not be placed` : ''}.</p>
          {plan.summary && (
            <p className="hint">{clients(plan.summary.waitlist ?? plan.plan.length)} waiting{plan.summary.chose_own ? `, ${plan.summary.chose_own} more chose their own therapist (not planned)` : ''}.
              Fit is the predicted alliance as the share of this clinic's usual pairings it would beat. {plan.summary.model ? `The ${plan.summary.model}.` : ''}</p>
          )}
          {plan.plan.length === 0 && <p>Nobody on the waitlist can be placed now.</p>}
          <PlotFigure caption="Mean predicted fit: plan versus assignment as usual"
            options={{ height: 130, marginLeft: 150, marginRight: 20, marginBottom: 42,
              x: { label: 'Mean predicted fit (0–1)', labelAnchor: 'center', labelOffset: 34, domain: [0, 1] }, y: { label: null },
              marks: [Plot.barX(compare, { x: 'mean', y: 'method', fill: '#1f4e79' }), Plot.ruleX([0])] }}
            table={{ columns: ['method', 'mean fit'], rows: compare.map((c) => [c.method, +c.mean.toFixed(3)]) }} />
          <div className="table-scroll"><table className="data" data-testid="plan">
            <caption>Proposed assignments ({kept.length} of {plan.plan.length} kept)</caption>
            <thead><tr><th scope="col">Keep</th><th scope="col">Client</th><th scope="col">Therapist</th><th scope="col">Fit</th><th scope="col">As usual</th><th scope="col">Why</th></tr></thead>
            <tbody>{plan.plan.map((r) => {
              const usual = plan.as_usual.find((u) => u.client_id === r.client_id);
              const name = therapistName(therapists, r.therapist_id);
              return (
                <tr key={r.client_id}>
                  <td><input type="checkbox" aria-label={`Keep Client ${r.client_id} with ${name}`} checked={!excluded.has(r.client_id)}
                    onChange={(e) => { const s = new Set(excluded); if (e.target.checked) s.delete(r.client_id); else s.add(r.client_id); setExcluded(s); }} /></td>
                  <td>Client {r.client_id}</td><td>{name}</td><td>{r.score.toFixed(2)}</td>
                  <td>{usual ? `${therapistName(therapists, usual.therapist_id)} (${usual.score.toFixed(2)})` : '—'}</td>
                  <td>{(r.reasons ?? []).join('; ')}</td>
                </tr>
              );
            })}</tbody>
          </table></div>
          <button type="button" onClick={commit} disabled={busy !== '' || kept.length === 0} aria-busy={busy === 'commit'}>
            {busy === 'commit' ? 'Committing…' : `Commit ${kept.length} assignment${kept.length === 1 ? '' : 's'}`}</button>
        </>
      )}
    </section>
  );
}
