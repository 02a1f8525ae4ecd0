// A therapist's mindfulness training log (GET/POST /therapists/{id}/training) and their FFMQ-39
// facets over time (GET /therapists/{id}/mindfulness). Only the therapist sees either.
import { useEffect, useState } from 'react';
import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { ErrorBox, LiveStatus, Loaded, useLoad } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';
import { FACET_NAMES, facetName, shortDate, words } from '../../plain';
import type { MindfulnessPoint, TrainingRecord } from '../../types';

export const TRAINING_KINDS = ['mbsr_session', 'mbct_session', 'daily_practice', 'retreat_day', 'supervision'];
const FACETS = Object.keys(FACET_NAMES);
/** The form's fields in the order they are shown (the first with a problem takes focus). */
const FIELDS = ['kind', 'minutes', 'completed_on'];

/** Today as YYYY-MM-DD in the reader's own time zone (the day they practised). */
export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Whether YYYY-MM-DD names a day of the calendar (2026-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Checks a new log entry; returns messages by field (empty when it may be sent). */
export function validateTraining(r: { kind: string; minutes: string; completed_on: string }, today = localToday()): Record<string, string> {
  const out: Record<string, string> = {};
  if (!r.kind) out.kind = 'Choose what kind of practice this was.';
  // digits only: Number() would also take "1e3" (1000), "0x10" and " 20 "
  const m = /^\d+$/.test(r.minutes) ? Number(r.minutes) : NaN;
  if (!(m >= 1 && m <= 1440)) out.minutes = 'Enter the minutes as a whole number from 1 to 1440, in digits.';
  const date = r.completed_on.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) out.completed_on = 'Enter the date as YYYY-MM-DD.';
  else if (!isCalendarDate(date)) out.completed_on = `${date} is not a date on the calendar; check the day and month.`;
  else if (date > today) out.completed_on = `${date} is in the future; log practice on or before today (${today}).`;
  return out;
}

/** The log by the day practised, newest first (the server lists entries in the order logged). */
export function newestFirst(records: TrainingRecord[]): TrainingRecord[] {
  return [...records].sort((a, b) => b.completed_on.localeCompare(a.completed_on) || b.id - a.id);
}

export function TrainingLog({ therapistId }: { therapistId: number }) {
  const state = useLoad(() => api.training(therapistId), [therapistId]);
  const [form, setForm] = useState({ kind: 'daily_practice', minutes: '20', completed_on: localToday(), note: '' });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const [refusals, setRefusals] = useState(0);
  // after a refused entry, focus goes to the first field with a problem (its message describes it),
  // as the questionnaire moves it to its summary; never while the person is typing
  useEffect(() => {
    const first = FIELDS.find((f) => problems[f]);
    if (refusals > 0 && first) document.getElementById(`training-${first}`)?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refusals]);
  async function add(e: React.FormEvent) {
    e.preventDefault();
    setSaved(''); setError(null);
    const p = validateTraining(form);
    setProblems(p);
    if (Object.keys(p).length) { setRefusals((n) => n + 1); return; }
    try {
      const r = await api.addTraining(therapistId, { kind: form.kind, minutes: Number(form.minutes), completed_on: form.completed_on.trim(), note: form.note });
      setSaved(`Logged ${r.minutes} minutes of ${words(r.kind)}.`);
      // emptied, so a second press does not log the same practice again (the kind is kept)
      setForm({ kind: form.kind, minutes: '', completed_on: '', note: '' });
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
          <div className="table-scroll"><table className="data" data-testid="training-log">
            <caption>{records.length} {records.length === 1 ? 'entry' : 'entries'}, {records.reduce((s, r) => s + r.minutes, 0)} minutes in all</caption>
            <thead><tr><th scope="col">Date</th><th scope="col">Practice</th><th scope="col">Minutes</th><th scope="col">Note</th></tr></thead>
            <tbody>{newestFirst(records).map((r) => <tr key={r.id}><td>{shortDate(r.completed_on)}</td><td>{words(r.kind)}</td><td>{r.minutes}</td><td>{r.note}</td></tr>)}</tbody>
          </table></div>
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
        <LiveStatus text={saved} />
        <button type="submit">Log practice</button>
      </form>
    </>
  );
}

/** Facet scores per FFMQ-39 self-report, oldest first, for the chart and its table. */
export function facetRows(points: MindfulnessPoint[]) {
  return points.flatMap((p) => p.scores
    .filter((s) => FACETS.includes(s.scale_id) && s.value !== null)
    .map((s) => ({ date: new Date(p.answered_at), when: shortDate(p.answered_at), facet: facetName(s.scale_id), value: s.value as number })));
}

/** Facets an inventory could not score (an item left unanswered), so the chart lacks them: "observing on Sep 1, 2026". */
export function unscoredFacets(points: MindfulnessPoint[]): string[] {
  return points.flatMap((p) => FACETS
    .filter((f) => { const s = p.scores.find((x) => x.scale_id === f); return !s || s.value === null; })
    .map((f) => `${facetName(f)} on ${shortDate(p.answered_at)}`));
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
        const missing = unscoredFacets(points);
        return (
          <>
          <PlotFigure testId="mindfulness" caption={`Your FFMQ-39 facet scores over time (${points.length} inventor${points.length === 1 ? 'y' : 'ies'}); non-reactivity 7–35, the other facets 8–40; higher = more of that facet`}
            options={{ height: 260, marginLeft: 48, marginRight: 32, marginTop: 28, marginBottom: 44,
              x: { label: 'Date', type: 'utc', domain, ticks: 4, labelAnchor: 'right', labelOffset: 38 },
              y: { label: 'Facet score', grid: true },
              color: { legend: true },
              marks: [Plot.line(rows, { x: 'date', y: 'value', stroke: 'facet', z: 'facet' }), Plot.dot(rows, { x: 'date', y: 'value', fill: 'facet', r: 4 })] }}
            table={{ columns: ['date', 'facet', 'score'], rows: rows.map((r) => [r.when, r.facet, r.value]) }} />
          {missing.length > 0 && (
            <p className="notice" role="note" data-testid="mindfulness-unscored">Not shown, because the facet could not be
              scored (a question in it was left unanswered, and Attune does not guess missing answers): {missing.join('; ')}.</p>
          )}
          </>
        );
      }}
    </Loaded>
  );
}
