import { useState } from 'react';
import { api } from '../../api';
import { ErrorBox, LiveStatus, Loaded, When, useLoad } from '../../components/common';

/** The most entries the table shows at once. */
const SHOWN = 500;

/**
 * What the table holds, said truthfully: the server sends only its newest entries (GET /audit
 * has a limit), so the chain can be longer than what was loaded; "Verify the chain" counts it.
 */
export function auditCaption(shown: number, matching: number, loaded: number, filtered: boolean): string {
  const of = filtered ? `${matching} matching of the ${loaded} loaded` : `the ${loaded} loaded`;
  return `The newest ${shown} of ${of} (the server sends its newest entries only; "Verify the chain" counts the whole chain)`;
}

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
        setError(null); setVerdict('');
        try {
          const v = await api.verifyAudit();
          const loaded = state.data ? `; this page loaded the newest ${state.data.length}` : '';
          setVerdict(v.ok ? `The chain is intact${v.entries != null ? `: ${v.entries} entries in all${loaded}` : ''}.` : `The chain is broken at entry ${v.first_bad_seq ?? '?'}: ${v.problem ?? ''}`);
        }
        catch (e) { setError(e); }
      }}>Verify the chain</button>
      <LiveStatus text={verdict} />
      {error != null && <ErrorBox error={error} />}
      <label htmlFor="audit-filter">Filter by action or actor <span className="hint">(among the entries loaded)</span></label>
      <input id="audit-filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
      <Loaded state={state} what="the audit log">
        {(rows) => {
          const matching = rows.filter((r) => !filter || `${r.action} ${r.actor}`.toLowerCase().includes(filter.toLowerCase()));
          const shown = matching.slice(-SHOWN).reverse();
          return (
            <div className="table-scroll">
            <table className="data" data-testid="audit">
              <caption>{auditCaption(shown.length, matching.length, rows.length, filter !== '')}</caption>
              <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">What</th><th scope="col">Detail</th></tr></thead>
              <tbody>{shown.map((r) => (
                <tr key={r.seq}><td>{r.seq}</td><td><When iso={r.at} time /></td><td>{r.actor}</td><td>{r.action}</td><td>{r.entity} {r.entity_id}</td><td>{r.detail}</td></tr>
              ))}</tbody>
            </table>
            </div>
          );
        }}
      </Loaded>
    </section>
  );
}
