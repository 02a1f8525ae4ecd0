import { useState } from 'react';
import { api } from '../../api';
import { ErrorBox, Loaded, useLoad } from '../../components/common';

export function Audit() {
  const state = useLoad(() => api.audit(), []);
  const [verdict, setVerdict] = useState<string>('');
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState('');
  return (
    <section>
      <h1 tabIndex={-1}>Audit log</h1>
      <p>Every change and every read of client data, hash-chained so that a changed or removed entry is detected.</p>
      <button type="button" onClick={async () => {
        setError(null);
        try { const v = await api.verifyAudit(); setVerdict(v.ok ? `The chain is intact${v.entries ? ` (${v.entries} entries)` : ''}.` : `The chain is broken at entry ${v.first_bad_seq ?? '?'}: ${v.problem ?? ''}`); }
        catch (e) { setError(e); }
      }}>Verify the chain</button>
      {verdict && <p role="status" className="ok">{verdict}</p>}
      {error != null && <ErrorBox error={error} />}
      <label htmlFor="audit-filter">Filter by action or actor</label>
      <input id="audit-filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
      <Loaded state={state} what="the audit log">
        {(rows) => {
          const shown = rows.filter((r) => !filter || `${r.action} ${r.actor}`.toLowerCase().includes(filter.toLowerCase())).slice(-500).reverse();
          return (
            <table className="data" data-testid="audit">
              <caption>Latest {shown.length} of {rows.length} entries</caption>
              <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">What</th><th scope="col">Detail</th></tr></thead>
              <tbody>{shown.map((r) => (
                <tr key={r.seq}><td>{r.seq}</td><td>{r.at}</td><td>{r.actor}</td><td>{r.action}</td><td>{r.entity} {r.entity_id}</td><td>{r.detail}</td></tr>
              ))}</tbody>
            </table>
          );
        }}
      </Loaded>
    </section>
  );
}
