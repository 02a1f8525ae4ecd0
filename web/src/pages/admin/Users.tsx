import { useState } from 'react';
import { api } from '../../api';
import { ErrorBox, LiveStatus, Loaded, useLoad } from '../../components/common';
import type { Organisation } from '../../types';

const ROLES = ['client', 'therapist', 'coordinator', 'researcher', 'admin'];

/** A therapist or client user signs in as one therapist or client record: its id is required. */
export function linkedField(role: string): { key: 'therapist_id' | 'client_id'; label: string } | null {
  if (role === 'therapist') return { key: 'therapist_id', label: 'Therapist id' };
  if (role === 'client') return { key: 'client_id', label: 'Client id' };
  return null;
}

/** The problem with a linked id as typed, or '' when it is a positive whole number. */
export function linkedIdProblem(label: string, text: string): string {
  const t = text.trim();
  if (!t) return `${label} is empty; a ${label.toLowerCase().replace(' id', '')} user needs the id of their record.`;
  if (!/^\d+$/.test(t) || Number(t) < 1 || !Number.isSafeInteger(Number(t))) return `${label} is "${t}"; expected a positive whole number.`;
  return '';
}

export function Users() {
  const state = useLoad(() => api.users(), []);
  const [handle, setHandle] = useState('');
  const [role, setRole] = useState('coordinator');
  const [password, setPassword] = useState('');
  const [linkedId, setLinkedId] = useState('');
  const [linkedError, setLinkedError] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const linked = linkedField(role);
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState('');
  return (
    <section>
      <h1 tabIndex={-1}>Users and roles</h1>
      <Loaded state={state} what="users">
        {(users) => (
          <div className="table-scroll"><table className="data" data-testid="users">
            <caption>{users.length} users</caption>
            <thead><tr><th scope="col">Id</th><th scope="col">User name</th><th scope="col">Role</th><th scope="col">Is</th></tr></thead>
            <tbody>{users.map((u) => (
              <tr key={u.id}><td>{u.id}</td><th scope="row">{u.handle}</th><td>{u.role}</td>
                <td>{u.therapist_id ? `therapist ${u.therapist_id}` : u.client_id ? `client ${u.client_id}` : '—'}</td></tr>
            ))}</tbody>
          </table></div>
        )}
      </Loaded>
      <h2>Add a user</h2>
      <form noValidate onSubmit={async (e) => {
        e.preventDefault();
        const idProblem = linked ? linkedIdProblem(linked.label, linkedId) : '';
        const p = [!handle.trim() && 'User name is empty.', password.length < 8 && 'Password needs at least 8 characters.', idProblem].filter(Boolean) as string[];
        setProblems(p); setLinkedError(idProblem); setOk(''); setError(null);
        if (p.length) return;
        const user = { handle: handle.trim(), role, password, ...(linked ? { [linked.key]: Number(linkedId.trim()) } : {}) };
        try { await api.createUser(user); setOk(`Added ${handle.trim()}.`); setHandle(''); setPassword(''); setLinkedId(''); state.reload(); }
        catch (err) { setError(err); }
      }}>
        {problems.length > 0 && <div className="error-summary" role="alert"><ul>{problems.map((x) => <li key={x}>{x}</li>)}</ul></div>}
        <label htmlFor="u-handle">User name</label>
        <input id="u-handle" value={handle} onChange={(e) => setHandle(e.target.value)} autoComplete="off" />
        <label htmlFor="u-role">Role</label>
        <select id="u-role" value={role} onChange={(e) => { setRole(e.target.value); setLinkedError(''); }}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        {linked && (
          <>
            <label htmlFor="u-linked">{linked.label} <span className="hint">(required: the {role} record this user signs in as)</span></label>
            {linkedError && <p id="u-linked-error" className="field-error">{linkedError}</p>}
            <input id="u-linked" inputMode="numeric" autoComplete="off" value={linkedId} aria-required="true"
              aria-invalid={linkedError ? true : undefined} aria-describedby={linkedError ? 'u-linked-error' : undefined}
              onChange={(e) => { setLinkedId(e.target.value); setLinkedError(''); }} />
          </>
        )}
        <label htmlFor="u-password">Initial password</label>
        <input id="u-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        {error != null && <ErrorBox error={error} />}
        <LiveStatus text={ok} />
        <button type="submit">Add user</button>
      </form>
      <ClientChoice />
    </section>
  );
}

// The organisation's setting: may clients choose their own therapist, or does the clinic assign?
// The box shows the choice at once; the server's answer (or its refusal) then decides it.
function ClientChoice() {
  const state = useLoad(() => api.organisation(), []);
  const [shown, setShown] = useState<Organisation | null>(null);
  const [pending, setPending] = useState<boolean | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState('');
  return (
    <>
      <h2>Choosing a therapist</h2>
      <Loaded state={state} what="the organisation's settings">
        {(loaded) => {
          const org = shown ?? loaded;
          return (
            <>
              <label className="option">
                <input type="checkbox" checked={pending ?? org.client_choice} data-testid="client-choice" onChange={async (e) => {
                  const allow = e.target.checked;
                  setPending(allow); setError(null); setOk('');
                  try {
                    setShown(await api.setClientChoice(allow));
                    setOk(allow ? 'Clients may now choose their own therapist.' : 'The clinic now assigns therapists; clients see suggestions only.');
                  } catch (err) { setError(err); }
                  setPending(null);
                }} />
                <span>Clients may choose their own therapist from their suggestions</span>
              </label>
              {org.client_choice && !org.clients_may_choose && <p>This server refuses clients' choice for every
                organisation (it was started with --no-client-choice), so clients see suggestions only.</p>}
            </>
          );
        }}
      </Loaded>
      {error != null && <ErrorBox error={error} />}
      <LiveStatus text={ok} />
    </>
  );
}
