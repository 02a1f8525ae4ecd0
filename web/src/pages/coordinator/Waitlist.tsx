import { useState } from 'react';
import { api } from '../../api';
import { ErrorBox, Loaded, useLoad } from '../../components/common';
import { certaintyWords, fitNumbers, fitWords, words } from '../../plain';
import type { Client, Recommendation } from '../../types';

export function Waitlist() {
  const state = useLoad(async () => {
    const [clients, episodes] = await Promise.all([api.clients(), api.episodes()]);
    const placed = new Set(episodes.filter((e) => e.status === 'active').map((e) => e.client_id));
    return clients.filter((c) => !placed.has(c.id));
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>Waitlist</h1>
      <p>Clients without an active episode. Open a client to see the ranked therapists with reasons.</p>
      <Loaded state={state} what="the waitlist">
        {(clients) => clients.length === 0 ? <p>Nobody is waiting.</p> : (
          <ul className="waitlist" data-testid="waitlist">{clients.map((c) => <WaitRow key={c.id} client={c} />)}</ul>
        )}
      </Loaded>
    </section>
  );
}

function WaitRow({ client }: { client: Client }) {
  const [recs, setRecs] = useState<Recommendation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <li className="card">
      <h2>{client.pseudonym || `Client ${client.id}`}</h2>
      <p className="meta">{client.concerns.map(words).join(', ')}; {client.constraints.join(', ') || 'no constraints'}</p>
      {recs === null ? (
        <button type="button" disabled={busy} aria-busy={busy} onClick={async () => {
          setBusy(true); setError(null);
          try { setRecs(await api.recommendations(client.id, 3)); } catch (e) { setError(e); } finally { setBusy(false); }
        }}>{busy ? 'Ranking…' : 'Show recommendations'}</button>
      ) : recs.length === 0 ? <p>No therapist with room meets this client's constraints.</p> : (
        <ol>{recs.map((r) => (
          <li key={r.therapist.id}><strong>{r.therapist.display_name}</strong> — {fitWords(r)}: {fitNumbers(r)}. {certaintyWords(r)}
            {r.reasons.length > 0 && <ul>{r.reasons.map((x) => <li key={x}>{x}</li>)}</ul>}</li>
        ))}</ol>
      )}
      {error != null && <ErrorBox error={error} />}
    </li>
  );
}
