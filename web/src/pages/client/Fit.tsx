import { useState } from 'react';
import { api, ApiError } from '../../api';
import { useMe } from '../../auth';
import { ErrorBox, Loaded, OWN_RECORD_MISSING, useFocusWhen, useLoad } from '../../components/common';
import { certaintyWords, fitWords, therapistName, words } from '../../plain';
import type { Episode, Recommendation } from '../../types';

/** The client's own episode that settles their therapist: in therapy, or a choice waiting for the clinic. */
export function currentEpisode(episodes: Episode[], clientId: number): Episode | undefined {
  const mine = episodes.filter((e) => e.client_id === clientId);
  return mine.find((e) => e.status === 'active') ?? mine.find((e) => e.status === 'waiting');
}

/** The client's latest choice the clinic declined, when they have no current episode since. */
export function declinedChoice(episodes: Episode[], clientId: number): Episode | undefined {
  if (currentEpisode(episodes, clientId)) return undefined;
  return episodes.filter((e) => e.client_id === clientId && e.status === 'declined').sort((a, b) => b.id - a.id)[0];
}

/** A refused choice in plain words (the server's 409 names episodes and ids). */
function choiceError(e: unknown): unknown {
  if (e instanceof ApiError && e.status === 409) {
    return new ApiError(409, 'Already chosen', 'You have already chosen a therapist, or are already seeing one. '
      + 'Ask the clinic if you would like a different therapist.');
  }
  if (e instanceof ApiError && e.status === 400 && e.field === 'therapist_id') {
    return new ApiError(400, 'Not possible', 'This therapist does not meet what you or your clinic asked for (such as the '
      + 'language or how you meet). Please choose another, or change what you told us on "About you".');
  }
  if (e instanceof ApiError && e.status === 422) {
    return new ApiError(422, 'Not possible now', 'This therapist cannot take you on right now (they are full or not taking new clients). Please choose another.');
  }
  return e;
}

export function Fit() {
  const me = useMe();
  const id = me.client_id ?? 0;
  const state = useLoad(() => api.recommendations(id, 5), [id]);
  // Offer a choice only where the clinic allows it (unknown until the answer arrives).
  const organisation = useLoad(() => api.organisation(), []);
  // A choice already made (a waiting episode) or a therapist already seen, so a reload shows it.
  const episodes = useLoad(() => api.episodes().catch(() => [] as Episode[]), [id]);
  const [justChose, setJustChose] = useState<Episode | null>(null);
  const mayChoose = organisation.data?.clients_may_choose === true;
  const current = justChose ?? (episodes.data ? currentEpisode(episodes.data, id) : undefined);
  const declined = episodes.data ? declinedChoice(episodes.data, id) : undefined;
  // the "Choose" buttons go once a choice is made: focus goes to the status that says so
  const statusRef = useFocusWhen<HTMLDivElement>(justChose);
  // the current therapist is often not among the suggestions (full, or no longer the best fit):
  // named from the therapists the client may read, as elsewhere ("Therapist 7" without a name)
  const therapists = useLoad(() => api.therapists().catch(() => []), []);
  const nameOf = (therapistId: number) =>
    therapistName([...(therapists.data ?? []), ...(state.data ?? []).map((r) => r.therapist)], therapistId);
  return (
    <section>
      <h1 tabIndex={-1}>Therapists who may fit you</h1>
      <p>These suggestions come from what you told us and from how clients and therapists have
        worked together in this clinic. They are a guide, not a verdict: the bond you build
        matters most, and you can always ask for a change.</p>
      {/* a polite live region in the page before the choice, so the choice is announced */}
      <div role="status" aria-live="polite" tabIndex={-1} ref={statusRef}>{current && (
        <p className="ok" data-testid="current-choice">{current.status === 'active'
          ? <>You are seeing {nameOf(current.therapist_id)}. If you would like a different therapist, ask the clinic.</>
          : <>You chose {nameOf(current.therapist_id)}. The clinic will confirm your first session; if you would like
            to change your choice, ask the clinic.</>}</p>
      )}</div>
      {!current && declined && (
        <p data-testid="declined-choice">The clinic did not confirm your choice of {nameOf(declined.therapist_id)}
          {declined.note ? `: ${declined.note.trim()}${/[.!?]$/.test(declined.note.trim()) ? '' : '.'}` : '.'}
          {mayChoose ? ' You may choose again.' : ''}</p>
      )}
      {organisation.data && !mayChoose && <p data-testid="clinic-assigns">Your clinic matches clients with
        therapists itself. If one of these suits you, tell the clinic: they will take it into account.</p>}
      <Loaded state={state} what="suggestions" notFound={OWN_RECORD_MISSING}>
        {(recs) => recs.length === 0
          ? <p>No therapist has room that meets your needs right now. You are on the waitlist; we will tell you when that changes.</p>
          : <ol className="recs">{recs.map((r, i) => <RecCard key={r.therapist.id} rec={r} rank={i + 1} clientId={id}
              mayChoose={mayChoose && !current && episodes.data !== undefined} onChosen={setJustChose} />)}</ol>}
      </Loaded>
    </section>
  );
}

function RecCard({ rec, rank, clientId, mayChoose, onChosen }: { rec: Recommendation; rank: number; clientId: number; mayChoose: boolean;
  onChosen: (e: Episode) => void }) {
  const [error, setError] = useState<unknown>(null);
  const t = rec.therapist;
  const headId = `rec-${t.id}`;
  return (
    <li className="card" aria-labelledby={headId} data-testid="recommendation">
      <h2 id={headId}>{rank}. {t.display_name}</h2>
      <p className="fit">Looks like <strong>{fitWords(rec)}</strong> for you, compared with the usual pairing in this clinic.</p>
      <p className="certainty" data-testid="certainty"><strong>How sure:</strong> {certaintyWords(rec)}</p>
      {rec.reasons.length > 0 && (
        <>
          <h3>Why</h3>
          <ul>{rec.reasons.map((r) => <li key={r}>{r}</li>)}</ul>
        </>
      )}
      <p className="meta">
        {t.approaches?.length ? <>Works with {t.approaches.map(words).join(', ')}. </> : null}
        {t.modality ? <>Meets {t.modality === 'both' ? 'in person or by video' : words(t.modality)}. </> : null}
        {t.languages?.length ? <>Speaks {t.languages.join(', ')}.</> : null}
      </p>
      {error != null && <ErrorBox error={error} />}
      {mayChoose && (
        <button type="button" onClick={async () => {
          setError(null);
          try {
            const e = await api.chooseTherapist(clientId, t.id);
            onChosen({ ...e, client_id: clientId, therapist_id: t.id, status: 'waiting' });
          } catch (e) { setError(choiceError(e)); }
        }}>Choose {t.display_name}</button>
      )}
    </li>
  );
}
