import { useState } from 'react';
import { api, ApiError } from '../../api';
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

/** The form's fields in page order, by the name the server gives a refused one (problem JSON `field`). */
type UserField = 'handle' | 'linked' | 'password';
const FIELD_IDS: Record<UserField, string> = { handle: 'u-handle', linked: 'u-linked', password: 'u-password' };

/** The form field a server refusal names, if it names one this form has. */
export function refusedField(field: string | undefined, linkedKey: string | undefined): UserField | undefined {
  if (field === 'handle' || field === 'password') return field;
  return field && field === linkedKey ? 'linked' : undefined;
}

/**
 * A refusal of a new user in plain words, at the field it names (the server's detail names its
 * rule: 'handle "demo-admin" is already taken; expected a handle no other user of the
 * organisation has', 'therapist 9999 not found in organisation 1').
 */
export function refusalWords(e: ApiError, at: UserField, linked: { key: string } | null, linkedId: string): string {
  const id = linkedId.trim();
  const kind = linked?.key === 'therapist_id' ? 'therapist' : 'client';
  if (at === 'handle') {
    if (e.status === 409 || /taken/.test(e.detail)) return 'That user name is taken.';
    return 'That user name cannot be used: write it on one line, without a space at either end.';
  }
  if (at === 'password') return 'That password cannot be used: it needs at least 8 characters, on one line, without tabs or other control characters.';
  if (e.status === 404 || /not found/.test(e.detail)) return `There is no ${kind} ${id} in this clinic.`;
  if (e.status === 409 || /already has a user/.test(e.detail)) return `${kind === 'therapist' ? 'Therapist' : 'Client'} ${id} already has a user.`;
  return `${kind === 'therapist' ? 'Therapist' : 'Client'} ${id} cannot be linked to this user.`;
}

export function Users() {
  const state = useLoad(() => api.users(), []);
  const [handle, setHandle] = useState('');
  const [role, setRole] = useState('coordinator');
  const [password, setPassword] = useState('');
  const [linkedId, setLinkedId] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<UserField, string>>>({});
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
            <thead><tr><th scope="col">Id</th><th scope="col">User name</th><th scope="col">Role</th><th scope="col">Linked record</th></tr></thead>
            <tbody>{users.map((u) => (
              <tr key={u.id}><td>{u.id}</td><th scope="row">{u.handle}</th><td>{u.role}</td>
                <td>{u.therapist_id ? `Therapist ${u.therapist_id}` : u.client_id ? `Client ${u.client_id}` : '—'}</td></tr>
            ))}</tbody>
          </table></div>
        )}
      </Loaded>
      <h2>Add a user</h2>
      <form noValidate onSubmit={async (e) => {
        e.preventDefault();
        const found: Partial<Record<UserField, string>> = {};
        if (!handle.trim()) found.handle = 'User name is empty.';
        const idProblem = linked ? linkedIdProblem(linked.label, linkedId) : '';
        if (idProblem) found.linked = idProblem;
        if (password.length < 8) found.password = 'Password needs at least 8 characters.';
        const first = (Object.keys(FIELD_IDS) as UserField[]).find((f) => found[f]);
        setProblems(Object.values(found) as string[]); setFieldErrors(found); setOk(''); setError(null);
        // as the other forms: focus on the first field to correct, which its message describes
        if (first) { document.getElementById(FIELD_IDS[first])?.focus(); return; }
        const user = { handle: handle.trim(), role, password, ...(linked ? { [linked.key]: Number(linkedId.trim()) } : {}) };
        try { await api.createUser(user); setOk(`Added ${handle.trim()}.`); setHandle(''); setPassword(''); setLinkedId(''); state.reload(); }
        catch (err) {
          // a refusal naming a field is shown at that field, which takes focus
          const at = err instanceof ApiError ? refusedField(err.field, linked?.key) : undefined;
          if (!at) { setError(err); return; }
          setFieldErrors({ [at]: refusalWords(err as ApiError, at, linked, linkedId) });
          document.getElementById(FIELD_IDS[at])?.focus();
        }
      }}>
        {problems.length > 0 && <div className="error-summary" role="alert"><ul>{problems.map((x) => <li key={x}>{x}</li>)}</ul></div>}
        <label htmlFor="u-handle">User name</label>
        <FieldError field="handle" text={fieldErrors.handle} />
        <input id="u-handle" value={handle} onChange={(e) => setHandle(e.target.value)} autoComplete="off" {...invalid('handle', fieldErrors.handle)} />
        <label htmlFor="u-role">Role</label>
        <select id="u-role" value={role} onChange={(e) => { setRole(e.target.value); setFieldErrors({ ...fieldErrors, linked: undefined }); }}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        {linked && (
          <>
            <label htmlFor="u-linked">{linked.label} <span className="hint">(required: the {role} record this user signs in as)</span></label>
            <FieldError field="linked" text={fieldErrors.linked} />
            <input id="u-linked" inputMode="numeric" autoComplete="off" value={linkedId} aria-required="true"
              {...invalid('linked', fieldErrors.linked)}
              onChange={(e) => { setLinkedId(e.target.value); setFieldErrors({ ...fieldErrors, linked: undefined }); }} />
          </>
        )}
        <label htmlFor="u-password">Initial password</label>
        <FieldError field="password" text={fieldErrors.password} />
        <input id="u-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)}
          {...invalid('password', fieldErrors.password)} />
        {error != null && <ErrorBox error={error} />}
        <LiveStatus text={ok} />
        <button type="submit">Add user</button>
      </form>
      <ClientChoice />
    </section>
  );
}

/** A field's message, which the field's aria-describedby names (see `invalid`). */
function FieldError({ field, text }: { field: UserField; text?: string }) {
  return text ? <p id={`${FIELD_IDS[field]}-error`} className="field-error">{text}</p> : null;
}

/** A field marked invalid and described by its message while it has one. */
function invalid(field: UserField, text?: string) {
  return { 'aria-invalid': text ? true : undefined, 'aria-describedby': text ? `${FIELD_IDS[field]}-error` : undefined };
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
