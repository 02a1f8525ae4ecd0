// A therapist's mindfulness training log (GET/POST /therapists/{id}/training) and their FFMQ-39
// facets over time (GET /therapists/{id}/mindfulness). Only the therapist sees either.
import { useState } from 'react';
import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { ErrorBox, Loaded, useLoad } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';
import { shortDate, words } from '../../plain';
import type { MindfulnessPoint, TrainingRecord } from '../../types';

export const TRAINING_KINDS = ['mbsr_session', 'mbct_session', 'daily_practice', 'retreat_day', 'supervision'];
const FACETS = ['observe', 'describe', 'act_aware', 'nonjudge', 'nonreact'];

/** Checks a new log entry; returns messages by field (empty when it may be sent). */
export function validateTraining(r: { kind: string; minutes: string; completed_on: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (!r.kind) out.kind = 'Choose what kind of practice this was.';
  const m = Number(r.minutes);
  if (!r.minutes || !Number.isInteger(m) || m < 1 || m > 1440) out.minutes = 'Enter the minutes as a whole number from 1 to 1440.';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(r.completed_on)) out.completed_on = 'Enter the date as YYYY-MM-DD.';
  return out;
}

export function TrainingLog({ therapistId }: { therapistId: number }) {
  const state = useLoad(() => api.training(therapistId), [therapistId]);
  const [form, setForm] = useState({ kind: 'daily_practice', minutes: '20', completed_on: new Date().toISOString().slice(0, 10), note: '' });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  async function add(e: React.FormEvent) {
    e.preventDefault();
    setSaved(''); setError(null);
    const p = validateTraining(form);
    setProblems(p);
    if (Object.keys(p).length) return;
    try {
      const r = await api.addTraining(therapistId, { kind: form.kind, minutes: Number(form.minutes), completed_on: form.completed_on, note: form.note });
      setSaved(`Logged ${r.minutes} minutes of ${words(r.kind)}.`);
      state.reload();
    } catch (err) { setError(err); }
  }
  const field = (name: 'minutes' | 'completed_on' | 'note', label: string, type = 'text') => (
    <p>
      <label htmlFor={`training-${name}`}>{label}</label>
      <input id={`training-${name}`} type={type} value={form[name]} aria-invalid={problems[name] ? true : undefined}
        aria-describedby={problems[name] ? `training-${name}-error` : undefined}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
      {problems[name] && <span id={`training-${name}-error`} className="field-error">{problems[name]}</span>}
    </p>
  );
  return (
    <>
      <h2>Mindfulness training log</h2>
      <Loaded state={state} what="your training log">
        {(records: TrainingRecord[]) => records.length === 0 ? <p data-testid="training-log">Nothing logged yet.</p> : (
          <table className="data" data-testid="training-log">
            <caption>{records.length} entries, {records.reduce((s, r) => s + r.minutes, 0)} minutes in all</caption>
            <thead><tr><th scope="col">Date</th><th scope="col">Practice</th><th scope="col">Minutes</th><th scope="col">Note</th></tr></thead>
            <tbody>{records.map((r) => <tr key={r.id}><td>{shortDate(r.completed_on)}</td><td>{words(r.kind)}</td><td>{r.minutes}</td><td>{r.note}</td></tr>)}</tbody>
          </table>
        )}
      </Loaded>
      <form onSubmit={add} noValidate aria-label="Log practice">
        <p>
          <label htmlFor="training-kind">Practice</label>
          <select id="training-kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            {TRAINING_KINDS.map((k) => <option key={k} value={k}>{words(k)}</option>)}
          </select>
        </p>
        {field('minutes', 'Minutes', 'number')}
        {field('completed_on', 'Date (YYYY-MM-DD)')}
        {field('note', 'Note (optional)')}
        {error != null && <ErrorBox error={error} />}
        {saved && <p className="ok" role="status">{saved}</p>}
        <button type="submit">Log practice</button>
      </form>
    </>
  );
}

/** Facet scores per FFMQ-39 self-report, oldest first, for the chart and its table. */
export function facetRows(points: MindfulnessPoint[]) {
  return points.flatMap((p) => p.scores
    .filter((s) => FACETS.includes(s.scale_id) && s.value !== null)
    .map((s) => ({ date: new Date(p.answered_at), when: p.answered_at.slice(0, 10), facet: words(s.scale_id), value: s.value as number })));
}

export function MindfulnessOverTime({ therapistId }: { therapistId: number }) {
  const state = useLoad(() => api.mindfulness(therapistId), [therapistId]);
  return (
    <Loaded state={state} what="your mindfulness profile">
      {(points) => {
        const rows = facetRows(points);
        if (rows.length === 0) return <p data-testid="mindfulness">No FFMQ-39 yet: your profile over time appears after the first one.</p>;
        // one inventory: a month either side, so the axis is a time line rather than a single instant
        const times = rows.map((r) => r.date.getTime());
        const month = 30 * 86400000;
        const domain = [new Date(Math.min(...times) - month), new Date(Math.max(...times) + month)];
        return (
          <PlotFigure testId="mindfulness" caption={`Your FFMQ-39 facet scores over time (${points.length} inventor${points.length === 1 ? 'y' : 'ies'}); non-reactivity 7–35, the other facets 8–40; higher = more of that facet`}
            options={{ height: 240, marginLeft: 44, x: { label: 'Date', type: 'utc', domain }, y: { label: 'Facet score', grid: true },
              color: { legend: true },
              marks: [Plot.line(rows, { x: 'date', y: 'value', stroke: 'facet' }), Plot.dot(rows, { x: 'date', y: 'value', fill: 'facet', r: 4 })] }}
            table={{ columns: ['date', 'facet', 'score'], rows: rows.map((r) => [r.when, r.facet, r.value]) }} />
        );
      }}
    </Loaded>
  );
}
