import { useState, type Ref } from 'react';
import { api } from '../../api';
import { ErrorBox, Loaded, useFocusWhen, useLoad } from '../../components/common';
import { certaintyWords, constraintWords, fitNumbers, fitWords, shortDate, therapistName, words } from '../../plain';
import type { Client, Episode, Language, Recommendation, Therapist } from '../../types';

/** How many clients a page of the waitlist shows before "Show more". */
export const PAGE = 20;

/**
 * The waitlist as the batch plan sees it (docs/api.md POST /assignments/plan): clients with no
 * active or ended episode (a declined choice puts a client back on it). Those who chose a
 * therapist (a waiting episode) are listed apart, whatever their earlier episodes (a client whose
 * therapy ended may choose again): they wait for the clinic to confirm or decline their choice,
 * not for a match.
 */
export function waiting(clients: Client[], episodes: Episode[]): { waiting: Client[]; chose: Choice[] } {
  const settled = new Set(episodes.filter((e) => e.status === 'active' || e.status === 'ended').map((e) => e.client_id));
  const chosen = new Map(episodes.filter((e) => e.status === 'waiting').map((e) => [e.client_id, e]));
  return {
    waiting: clients.filter((c) => !settled.has(c.id) && !chosen.has(c.id)),
    chose: clients.filter((c) => chosen.has(c.id)).map((c) => ({ client: c, episode: chosen.get(c.id)! })),
  };
}

type Choice = { client: Client; episode: Episode };

/**
 * The choices to show: those still waiting, and those acted on since the page loaded (they keep
 * their row, with what was done, after the reload that drops them), in the clients' order.
 */
function choiceRows(waitingNow: Choice[], acted: Choice[]): Choice[] {
  const rows = [...waitingNow, ...acted.filter((a) => !waitingNow.some((w) => w.episode.id === a.episode.id))];
  return rows.sort((a, b) => a.client.id - b.client.id);
}

export function Waitlist() {
  const state = useLoad(async () => {
    const [clients, episodes, therapists, languages] = await Promise.all([
      api.clients(), api.episodes(), api.therapists(), api.languages().catch(() => [] as Language[])]);
    return { ...waiting(clients, episodes), therapists, languages };
  }, []);
  const [shown, setShown] = useState(PAGE);
  // confirming or declining a choice changes who waits: reload, keeping the acted-on row
  const [acted, setActed] = useState<Choice[]>([]);
  // After "Show more", focus goes to the first row it added, so a keyboard or screen-reader user
  // goes on where the new rows begin (the last "Show more" goes with the rows it shows, and focus
  // was lost to the page).
  const firstNewRef = useFocusWhen<HTMLLIElement>(shown > PAGE && shown);
  return (
    <section>
      <h1 tabIndex={-1}>Waitlist</h1>
      <p>Clients who have never had a therapist here (no current or ended episode): the clients a batch
        plan places. Open a client to see the ranked therapists with reasons.</p>
      <Loaded state={state} what="the waitlist">
        {({ waiting: list, chose: waitingChoices, therapists, languages }) => {
          const chose = choiceRows(waitingChoices, acted);
          return (
          <>
            {list.length === 0 ? <p>Nobody is waiting.</p> : (
              <>
                <p data-testid="waitlist-count">{list.length} {list.length === 1 ? 'client is' : 'clients are'} waiting
                  {list.length > shown ? `; showing the first ${shown}` : ''}.</p>
                <ul className="waitlist" data-testid="waitlist">{list.slice(0, shown).map((c, i) => (
                  <WaitRow key={c.id} client={c} languages={languages} therapists={therapists} rowRef={shown > PAGE && i === shown - PAGE ? firstNewRef : undefined} />
                ))}</ul>
                {list.length > shown && (
                  <button type="button" onClick={() => setShown(shown + PAGE)}>
                    Show {Math.min(PAGE, list.length - shown)} more</button>
                )}
              </>
            )}
            {chose.length > 0 && (
              <>
                <h2>Chose their own therapist</h2>
                <p>These clients chose a therapist from their suggestions. Each choice holds a place with that
                  therapist until you confirm it (therapy starts) or decline it (the client is back on the
                  waitlist and may choose again).</p>
                <ul className="waitlist" data-testid="chose-own">{chose.map(({ client, episode }) => (
                  <ChoiceRow key={client.id} client={client} episode={episode}
                    therapist={therapistName(therapists, episode.therapist_id)}
                    onDone={() => { setActed((a) => [...a, { client, episode }]); state.reload(); }} />
                ))}</ul>
              </>
            )}
          </>
          );
        }}
      </Loaded>
    </section>
  );
}

/** One client's choice: confirm it (therapy starts today) or decline it with a reason. */
function ChoiceRow({ client, episode, therapist, onDone }: { client: Client; episode: Episode; therapist: string; onDone: () => void }) {
  const [done, setDone] = useState('');
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [noReason, setNoReason] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const doneRef = useFocusWhen<HTMLParagraphElement>(done);
  // "Decline…" goes as the form opens: focus goes to the reason it asks for
  const reasonRef = useFocusWhen<HTMLTextAreaElement>(declining);
  // "Keep the choice" goes as the form closes: focus goes back to the "Decline…" that opened it
  const [kept, setKept] = useState(0);
  const declineRef = useFocusWhen<HTMLButtonElement>(kept);
  const name = client.pseudonym || `Client ${client.id}`;
  async function act(work: () => Promise<Episode>, said: (e: Episode) => string) {
    setBusy(true); setError(null);
    try { setDone(said(await work())); onDone(); } catch (e) { setError(e); } finally { setBusy(false); }
  }
  return (
    <li className="card" data-testid="choice">
      <h3>{name}</h3>
      <p className="meta">Chose {therapist} on {shortDate(episode.started_on)}.</p>
      {done ? <p role="status" tabIndex={-1} ref={doneRef}>{done}</p> : (
        <>
          <button type="button" disabled={busy} onClick={() => act(() => api.confirmEpisode(episode.id),
            (e) => `Confirmed: ${name} is in therapy with ${therapist} from ${shortDate(e.started_on)}.`)}>Confirm choice
            {/* one such button per client: its name says whose choice (the visible words start it) */}
            {' '}<span className="sr-only">of {therapist} by {name}</span></button>{' '}
          {!declining ? (
            <button type="button" ref={declineRef} disabled={busy} onClick={() => setDeclining(true)}>Decline…
              {' '}<span className="sr-only">{name}'s choice of {therapist}</span></button>
          ) : (
            <form noValidate onSubmit={(ev) => {
              ev.preventDefault();
              if (busy) return;
              // without a reason, say so at the field and focus it (as the alert notes do): the
              // button used to be disabled, out of the Tab order, saying nothing
              if (!reason.trim()) { setNoReason(true); reasonRef.current?.focus(); return; }
              void act(() => api.declineEpisode(episode.id, reason),
                () => `Declined: ${name} is back on the waitlist and may choose again.`);
            }}>
              <label htmlFor={`decline-${episode.id}`}>Why is the choice declined or withdrawn? (the client is told)</label>
              {noReason && <p id={`decline-${episode.id}-error`} className="field-error" role="alert">Give a reason: the client is told why their choice was declined.</p>}
              <textarea id={`decline-${episode.id}`} ref={reasonRef} value={reason} aria-required="true"
                aria-invalid={noReason || undefined} aria-describedby={noReason ? `decline-${episode.id}-error` : undefined}
                onChange={(ev) => { setReason(ev.target.value); if (ev.target.value.trim()) setNoReason(false); }} />
              <button type="submit" aria-disabled={busy || undefined}>Decline choice
                {' '}<span className="sr-only">of {therapist} by {name}</span></button>{' '}
              <button type="button" disabled={busy} onClick={() => { setDeclining(false); setKept((n) => n + 1); }}>Keep the choice</button>
            </form>
          )}
        </>
      )}
      {error != null && <ErrorBox error={error} />}
    </li>
  );
}

/**
 * One waiting client, their constraints in words (languages by name, therapists by name);
 * `rowRef` makes the row focusable (the first row a "Show more" added).
 */
function WaitRow({ client, languages, therapists, rowRef }: {
  client: Client; languages: Language[]; therapists: Therapist[]; rowRef?: Ref<HTMLLIElement>;
}) {
  const [recs, setRecs] = useState<Recommendation[] | null>(null);
  // why the ranking is empty, as the server says (the therapists each of the client's filters removed)
  const [unmatched, setUnmatched] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // the button goes once the ranking is shown: focus goes to the ranking's heading
  const resultRef = useFocusWhen<HTMLHeadingElement>(recs);
  const name = client.pseudonym || `Client ${client.id}`;
  return (
    <li className="card" ref={rowRef} tabIndex={rowRef ? -1 : undefined}>
      <h2>{name}</h2>
      <p className="meta">{client.concerns.map(words).join(', ')}; {client.constraints.map((c) => constraintWords(c, languages, therapists)).join(', ') || 'no constraints'}</p>
      {recs === null ? (
        <button type="button" disabled={busy} aria-busy={busy} onClick={async () => {
          setBusy(true); setError(null);
          try {
            const ranked = await api.ranking(client.id, 3);
            setUnmatched(ranked.unmatched);
            setRecs(ranked.recommendations);
          } catch (e) { setError(e); } finally { setBusy(false); }
        }}>{busy ? 'Ranking…' : 'Show recommendations'}{' '}
          {/* one such button per client: its name says whose (the visible words start it) */}
          <span className="sr-only">for {name}</span></button>
      ) : (
        <>
          <h3 tabIndex={-1} ref={resultRef}>Recommended therapists for {name} ({recs.length})</h3>
          {recs.length === 0 ? <p data-testid="unmatched">No therapist with room meets this client's constraints
            {unmatched ? `: ${unmatched}.` : '.'}</p> : (
            <ol>{recs.map((r) => (
              <li key={r.therapist.id}><strong>{r.therapist.display_name}</strong> — {fitWords(r)}: {fitNumbers(r)}. {certaintyWords(r)}
                {r.reasons.length > 0 && <ul>{r.reasons.map((x) => <li key={x}>{x}</li>)}</ul>}</li>
            ))}</ol>
          )}
        </>
      )}
      {error != null && <ErrorBox error={error} />}
    </li>
  );
}
