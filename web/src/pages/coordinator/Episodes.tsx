// The coordinator's clients in therapy (GET /episodes, status active) and the end of therapy
// (POST /episodes/{id}/end, docs/api.md "Episodes"): the last day, not before it started nor
// after today, and an optional note of why.
import { useState } from 'react';
import { api } from '../../api';
import { ErrorBox, Loaded, useFocusWhen, useLoad } from '../../components/common';
import { isCalendarDate, localToday } from '../therapist/TrainingLog';
import { shortDate, therapistName } from '../../plain';
import type { Client, Episode, Therapist } from '../../types';

/** A problem with the last day of therapy, in words ("" when it may be sent). */
export function endDateProblem(ended_on: string, started_on: string, today = localToday()): string {
  const date = ended_on.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return 'Enter the date as YYYY-MM-DD.';
  if (!isCalendarDate(date)) return `${date} is not a date on the calendar; check the day and month.`;
  if (date > today) return `${date} is in the future; end therapy on or before today (${today}).`;
  if (date < started_on) return `${date} is before therapy started (${started_on}).`;
  return '';
}

interface Row { episode: Episode; client: string; therapist: string }

/** Active episodes, oldest first, with the names people know them by. */
export function inTherapy(episodes: Episode[], clients: Client[], therapists: Therapist[]): Row[] {
  return episodes.filter((e) => e.status === 'active').sort((a, b) => a.id - b.id).map((episode) => ({
    episode,
    client: clients.find((c) => c.id === episode.client_id)?.pseudonym || `Client ${episode.client_id}`,
    therapist: therapistName(therapists, episode.therapist_id),
  }));
}

export function Episodes() {
  const state = useLoad(async () => {
    const [episodes, clients, therapists] = await Promise.all([api.episodes(), api.clients(), api.therapists()]);
    return inTherapy(episodes, clients, therapists);
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>In therapy</h1>
      <p>Clients in therapy now. When therapy ends, record its last day here: the client's place with
        the therapist is free again, and their progress stays on record.</p>
      <Loaded state={state} what="the clients in therapy">
        {(rows) => rows.length === 0 ? <p>Nobody is in therapy now.</p> : (
          <ul className="waitlist" data-testid="in-therapy">{rows.map((r) => <EndRow key={r.episode.id} row={r} />)}</ul>
        )}
      </Loaded>
    </section>
  );
}

function EndRow({ row }: { row: Row }) {
  const { episode } = row;
  const [open, setOpen] = useState(false);
  const [date, setDate] = useState(localToday());
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState('');
  const [done, setDone] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const doneRef = useFocusWhen<HTMLParagraphElement>(done);
  // "End therapy…" goes as the form opens: focus goes to the form's first field
  const dateRef = useFocusWhen<HTMLInputElement>(open);
  // "Keep it open" goes as the form closes: focus goes back to the "End therapy…" that opened it
  const [kept, setKept] = useState(0);
  const openRef = useFocusWhen<HTMLButtonElement>(kept);
  const id = `end-${episode.id}`;
  async function end(ev: React.FormEvent) {
    ev.preventDefault();
    setError(null);
    const p = endDateProblem(date, episode.started_on);
    setProblem(p);
    if (p) { document.getElementById(`${id}-date`)?.focus(); return; }
    setBusy(true);
    try {
      const e = await api.endEpisode(episode.id, date.trim(), note);
      setDone(`Ended: ${row.client}'s therapy with ${row.therapist} ended on ${shortDate(e.ended_on ?? '')}.`);
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return (
    <li className="card" data-testid="episode" data-client-id={episode.client_id}>
      <h2>{row.client}</h2>
      <p className="meta">With {row.therapist} since {shortDate(episode.started_on)}.</p>
      {done ? <p role="status" tabIndex={-1} ref={doneRef}>{done}</p> : !open ? (
        <button type="button" ref={openRef} onClick={() => setOpen(true)}>End therapy…
          {/* one such button per client: its name says whose (the visible words start it) */}
          {' '}<span className="sr-only">for {row.client} with {row.therapist}</span></button>
      ) : (
        <form onSubmit={end} noValidate>
          <label htmlFor={`${id}-date`}>Last day of therapy (YYYY-MM-DD)</label>
          <input id={`${id}-date`} ref={dateRef} value={date} onChange={(ev) => setDate(ev.target.value)}
            aria-invalid={problem ? true : undefined} aria-describedby={problem ? `${id}-problem` : undefined} />
          {problem && <p className="field-error" id={`${id}-problem`}>{problem}</p>}
          <label htmlFor={`${id}-note`}>Why it ended (optional; the client and therapist can read it)</label>
          <textarea id={`${id}-note`} value={note} onChange={(ev) => setNote(ev.target.value)} />
          <button type="submit" disabled={busy}>End therapy</button>{' '}
          <button type="button" disabled={busy} onClick={() => { setOpen(false); setKept((n) => n + 1); }}>Keep it open</button>
        </form>
      )}
      {error != null && <ErrorBox error={error} />}
    </li>
  );
}
