import { useState } from 'react';
import { api } from '../../api';
import { ErrorBox, LiveStatus, Loaded, When, useLoad } from '../../components/common';
import { FIELDS as THRESHOLDS } from '../coordinator/AlertSettings';
import { words } from '../../plain';

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

/** An actor as the server writes it ("demo-coordinator#2 coordinator@127.0.0.1"): who, their role, and the address. */
export function actorParts(actor: string): { who: string; address: string } {
  const m = /^(.+?)#\d+ (\S+?)(?:@(\S+))?$/.exec(actor);
  return m ? { who: `${m[1]} (${m[2]})`, address: m[3] ?? '' } : { who: actor, address: '' };
}

/**
 * An entry's detail in words: a monitoring threshold by the label the Alert settings page gives
 * it ('{"rupture_z":1.5}' → "Drop needed on the total (z) set to 1.5"), another JSON object as
 * "key: value" pairs; text that is not a JSON object as it is.
 */
export function detailWords(detail: string): string {
  let parsed: unknown;
  try { parsed = JSON.parse(detail); } catch { return detail; }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return detail;
  return Object.entries(parsed as Record<string, unknown>).map(([k, v]) => {
    const threshold = THRESHOLDS.find((t) => t.field === k);
    const value = v === null ? 'none' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (threshold) return v === null ? `${threshold.label} back to the default` : `${threshold.label} set to ${value}`;
    return `${words(k)}: ${value}`;
  }).join('; ');
}

/** The detail in words, with the raw text kept for auditors behind a disclosure when they differ. */
function Detail({ text }: { text: string }) {
  const said = detailWords(text);
  if (said === text) return <>{text}</>;
  return <>{said}<details className="raw"><summary>As recorded</summary><code>{text}</code></details></>;
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
                <tr key={r.seq}><td>{r.seq}</td><td><When iso={r.at} time /></td><td title={r.actor}>{actorParts(r.actor).who}{actorParts(r.actor).address && <div className="meta">from {actorParts(r.actor).address}</div>}</td>
                  <td>{r.action}</td><td>{r.entity} {r.entity_id}</td><td><Detail text={r.detail} /></td></tr>
              ))}</tbody>
            </table>
            </div>
          );
        }}
      </Loaded>
    </section>
  );
}
