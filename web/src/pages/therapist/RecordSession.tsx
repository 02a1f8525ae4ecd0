// The sessions of a client's current episode, and a form to record one once held
// (POST /episodes/{id}/sessions: the episode's therapist or a coordinator). The WAI-SR becomes
// due only after a session is recorded, so without this the web app could not make it due.
import { useEffect, useState } from 'react';
import { ApiError, api } from '../../api';
import { LiveStatus } from '../../components/common';
import { dateAndTime, shortDate } from '../../plain';
import type { Episode } from '../../types';

export interface SessionRow { id: number; episode_id: number; number: number; held_at: string }

const pad = (n: number) => String(n).padStart(2, '0');

/** A moment as a datetime-local input writes it, in the reader's own time zone ("2026-11-28T09:30"). */
export function localDateTime(d = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The next session's number: one after the highest recorded. */
export function nextNumber(sessions: SessionRow[]): number {
  return sessions.reduce((m, s) => Math.max(m, s.number), 0) + 1;
}

/**
 * Checks a session before it is sent, as the server would (docs/api.md "Sessions"): a whole
 * number 1..10000, a time held that is not in the future, not on a day before the episode began,
 * and in the order of the numbers. Returns messages by field (empty when it may be sent).
 */
export function validateSession(form: { number: string; held_at: string }, episode: Episode, sessions: SessionRow[],
  now = new Date()): Record<string, string> {
  const out: Record<string, string> = {};
  const n = /^\d+$/.test(form.number.trim()) ? Number(form.number.trim()) : NaN;
  if (!(n >= 1 && n <= 10000)) out.number = 'Enter the session number as a whole number from 1 to 10000.';
  else if (sessions.some((s) => s.number === n)) out.number = `Session ${n} is already recorded; the next is ${nextNumber(sessions)}.`;
  const held = new Date(form.held_at);
  if (!form.held_at || Number.isNaN(held.getTime())) { out.held_at = 'Enter the date and time the session was held.'; return out; }
  if (held.getTime() > now.getTime() + 60000) out.held_at = 'That time is in the future; record a session once it has been held.';
  else if (form.held_at.slice(0, 10) < episode.started_on) out.held_at = `Therapy began on ${shortDate(episode.started_on)}; the session cannot be held before then.`;
  else if (!out.number) {
    const earlier = sessions.filter((s) => s.number < n && new Date(s.held_at) > held).sort((a, b) => b.number - a.number)[0];
    const later = sessions.filter((s) => s.number > n && new Date(s.held_at) < held).sort((a, b) => a.number - b.number)[0];
    if (earlier) out.held_at = `Session ${earlier.number} was held later (${dateAndTime(earlier.held_at)}); session ${n} must be held on or after it.`;
    else if (later) out.held_at = `Session ${later.number} was held earlier (${dateAndTime(later.held_at)}); session ${n} must be held on or before it.`;
  }
  return out;
}

/** A server refusal in plain words at its field (the server's detail names its rules and values). */
export function refusalAtField(e: unknown): Record<string, string> {
  if (e instanceof ApiError) {
    if (e.status === 403) return { form: 'You cannot record sessions for this client.' };
    if (e.status === 409 || e.field === 'episode_id') return { form: 'This therapy has not begun (the clinic has not confirmed it), so no session can be recorded yet.' };
    if (e.field === 'held_at') {
      if (/future/.test(e.detail)) return { held_at: 'That time is in the future; record a session once it has been held.' };
      if (/before|after/.test(e.detail) && /started_on|ended_on/.test(e.detail)) return { held_at: 'That day is outside this therapy: it must be on or after the day it began.' };
      return { held_at: 'That time is out of order with the other sessions: a later session must be held after an earlier one.' };
    }
    if (e.field === 'number') return { number: 'Enter the session number as a whole number from 1 to 10000, not one already recorded.' };
    return { form: 'The session could not be recorded. Check the date and number, and try again.' };
  }
  return { form: 'The session could not be recorded: the server could not be reached.' };
}

export function RecordSession({ episode, sessions, onRecorded }: { episode: Episode; sessions: SessionRow[]; onRecorded: () => void }) {
  const [form, setForm] = useState({ number: String(nextNumber(sessions)), held_at: localDateTime() });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState('');
  const [refusals, setRefusals] = useState(0);
  const [busy, setBusy] = useState(false);
  // the next number follows the list as it is reloaded after a session is recorded
  const next = nextNumber(sessions);
  useEffect(() => { setForm((f) => ({ ...f, number: String(next) })); }, [next]);
  useEffect(() => {
    const first = ['held_at', 'number'].find((f) => problems[f]);
    if (refusals > 0 && first) document.getElementById(`session-${first}`)?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refusals]);
  async function record(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    setSaved('');
    const p = validateSession(form, episode, sessions);
    setProblems(p);
    if (Object.keys(p).length) { setRefusals((n) => n + 1); return; }
    setBusy(true);
    try {
      const held = new Date(form.held_at).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await api.recordSession(episode.id, { number: Number(form.number), held_at: held });
      setSaved(`Recorded session ${form.number}, held ${dateAndTime(held)}.`);
      setForm({ number: String(Number(form.number) + 1), held_at: localDateTime() });
      onRecorded();
    } catch (err) {
      setProblems(refusalAtField(err));
      setRefusals((n) => n + 1);
    } finally { setBusy(false); }
  }
  const describe = (name: string) => (problems[name] ? `session-${name}-error` : undefined);
  return (
    <>
      <h2>Sessions</h2>
      {sessions.length === 0 ? <p data-testid="sessions">No sessions recorded in this therapy yet.</p> : (
        <div className="table-scroll"><table className="data" data-testid="sessions">
          <caption>{sessions.length} session{sessions.length === 1 ? '' : 's'} recorded since {shortDate(episode.started_on)}</caption>
          <thead><tr><th scope="col">Session</th><th scope="col">Held</th></tr></thead>
          <tbody>{[...sessions].sort((a, b) => a.number - b.number).map((s) => (
            <tr key={s.id}><td>{s.number}</td><td><time dateTime={s.held_at}>{dateAndTime(s.held_at)}</time></td></tr>))}</tbody>
        </table></div>
      )}
      <form onSubmit={record} noValidate aria-labelledby="record-session-heading">
        <h3 id="record-session-heading">Record a session</h3>
        <p>Record a session once it has been held; the client's alliance questionnaire (WAI-SR) then becomes due.</p>
        <p>
          <label htmlFor="session-held_at">Date and time held</label>
          <input id="session-held_at" type="datetime-local" value={form.held_at} max={localDateTime()}
            aria-invalid={problems.held_at ? true : undefined} aria-describedby={describe('held_at')}
            onChange={(e) => setForm({ ...form, held_at: e.target.value })} />
          {problems.held_at && <span id="session-held_at-error" className="field-error">{problems.held_at}</span>}
        </p>
        <p>
          <label htmlFor="session-number">Session number</label>
          <input id="session-number" inputMode="numeric" value={form.number}
            aria-invalid={problems.number ? true : undefined} aria-describedby={describe('number')}
            onChange={(e) => setForm({ ...form, number: e.target.value })} />
          {problems.number && <span id="session-number-error" className="field-error">{problems.number}</span>}
        </p>
        {problems.form && <div className="error-box" role="alert">{problems.form}</div>}
        <LiveStatus text={saved} />
        <button type="submit" aria-disabled={busy || undefined}>Record session</button>
      </form>
    </>
  );
}
