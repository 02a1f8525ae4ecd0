import { useState } from 'react';
import { api } from '../../api';
import { useMe } from '../../auth';
import { ErrorBox, Loaded, useLoad } from '../../components/common';
import { certaintyWords, fitWords, words } from '../../plain';
import type { Recommendation } from '../../types';

export function Fit() {
  const me = useMe();
  const id = me.client_id ?? 0;
  const state = useLoad(() => api.recommendations(id, 5), [id]);
  // Offer a choice only where the clinic allows it (unknown until the answer arrives).
  const organisation = useLoad(() => api.organisation(), []);
  const mayChoose = organisation.data?.clients_may_choose === true;
  return (
    <section>
      <h1 tabIndex={-1}>Therapists who may fit you</h1>
      <p>These suggestions come from what you told us and from how clients and therapists have
        worked together in this clinic. They are a guide, not a verdict: the bond you build
        matters most, and you can always ask for a change.</p>
      {organisation.data && !mayChoose && <p data-testid="clinic-assigns">Your clinic matches clients with
        therapists itself. If one of these suits you, tell the clinic: they will take it into account.</p>}
      <Loaded state={state} what="suggestions">
        {(recs) => recs.length === 0
          ? <p>No therapist has room that meets your needs right now. You are on the waitlist; we will tell you when that changes.</p>
          : <ol className="recs">{recs.map((r, i) => <RecCard key={r.therapist.id} rec={r} rank={i + 1} clientId={id} mayChoose={mayChoose} />)}</ol>}
      </Loaded>
    </section>
  );
}

function RecCard({ rec, rank, clientId, mayChoose }: { rec: Recommendation; rank: number; clientId: number; mayChoose: boolean }) {
  const [chosen, setChosen] = useState(false);
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
      {chosen ? <p className="ok" role="status">You chose {t.display_name}. The clinic will confirm your first session.</p> : mayChoose && (
        <button type="button" onClick={async () => {
          setError(null);
          try { await api.chooseTherapist(clientId, t.id); setChosen(true); } catch (e) { setError(e); }
        }}>Choose {t.display_name}</button>
      )}
    </li>
  );
}
