// Alerts with acknowledge and resolve, each with a note (the note goes to the audit log).
import { Fragment, useRef, useState } from 'react';
import { api } from '../api';
import { ErrorBox, useFocusWhen } from './common';
import { readableDetail, shortDate, words } from '../plain';
import type { Alert } from '../types';

export function alertState(a: Alert): 'open' | 'acknowledged' | 'resolved' {
  return a.status ?? (a.resolved_at ? 'resolved' : a.acknowledged_at ? 'acknowledged' : 'open');
}

const SEVERITY_RANK: Record<string, number> = { urgent: 0, warning: 1, info: 2 };
const STATE_RANK = { open: 0, acknowledged: 1, resolved: 2 };

/** The order a clinician works through alerts: urgent first, then open before acknowledged, then newest first. */
export function alertOrder(a: Alert, b: Alert): number {
  return (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
    STATE_RANK[alertState(a)] - STATE_RANK[alertState(b)] ||
    b.raised_at.localeCompare(a.raised_at) || b.id - a.id;
}

/**
 * Alerts still to work through (open and acknowledged, in `alertOrder`) and the resolved ones,
 * newest first, with how many of the first are acknowledged.
 */
export function splitAlerts(alerts: Alert[]) {
  const current = alerts.filter((a) => alertState(a) !== 'resolved').sort(alertOrder);
  const acknowledged = current.filter((a) => alertState(a) === 'acknowledged').length;
  const resolved = alerts.filter((a) => alertState(a) === 'resolved').sort((a, b) => b.raised_at.localeCompare(a.raised_at));
  return { current, acknowledged, resolved };
}

/** Alerts to work through, then the resolved ones folded away (they used to be listed among them). */
export function CurrentAndResolved({ alerts, onChange, clientName }: {
  alerts: Alert[]; onChange: () => void; clientName?: (a: Alert) => string;
}) {
  const { current, resolved } = splitAlerts(alerts);
  return (
    <>
      <AlertList alerts={current} onChange={onChange} clientName={clientName} />
      {resolved.length > 0 && (
        <details data-testid="resolved-alerts"><summary>Resolved alerts ({resolved.length})</summary>
          <AlertList alerts={resolved} onChange={onChange} clientName={clientName} />
        </details>
      )}
    </>
  );
}

/**
 * The other alerts of the same kind and state raised by the same answers: one rupture is raised
 * separately for goal, task, bond and the total, and is usually handled once for all of them.
 */
export function siblingsOf(alert: Alert, alerts: Alert[]): Alert[] {
  if (alert.response_id == null) return [];
  return alerts.filter((b) => b.id !== alert.id && b.response_id === alert.response_id && b.kind === alert.kind &&
    b.episode_id === alert.episode_id && alertState(b) === alertState(alert));
}

/**
 * The scale an alert is about ("wai_sr.bond"): its evidence's `scale` where the API sends it,
 * else the scale code the server's detail starts with ("wai_sr.bond fell to 8 at session 5 ...").
 */
export function alertScale(a: Alert): string | undefined {
  const fromEvidence = a.evidence?.scale;
  if (typeof fromEvidence === 'string' && fromEvidence) return fromEvidence;
  return /^\s*([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\b/.exec(a.detail)?.[1];
}

/** Scales in words, one instrument named once: "WAI-SR goal, task and bond"; "PHQ-9 total and GAD-7 total". */
export function scaleList(keys: string[]): string {
  const and = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  const instruments = new Set(keys.map((k) => k.split('.')[0]));
  return instruments.size === 1
    ? `${readableDetail(keys[0]).replace(/ \S+$/, '')} ${and(keys.map((k) => words(k.split('.')[1])))}`
    : and(keys.map(readableDetail));
}

/**
 * Which alert, in words: "the rupture alert on the WAI-SR bond scale raised 1 Nov 2026 for Client 3".
 * One set of answers raises a rupture on each scale that fell, all of one date and client: the
 * scale is what tells their controls apart.
 */
export function alertAbout(a: Alert, who?: string): string {
  const scale = alertScale(a);
  return `the ${words(a.kind)} alert${scale ? ` on the ${scaleList([scale])} scale` : ''} raised ${shortDate(a.raised_at)}${who ? ` for ${who}` : ''}`;
}

export function AlertList({ alerts, onChange, clientName }: {
  alerts: Alert[]; onChange: () => void; clientName?: (a: Alert) => string;
}) {
  // what the last acknowledge or resolve did: it takes focus, since the row that had it changes or
  // (resolved on the Alerts page) leaves this list
  const [done, setDone] = useState<{ text: string } | null>(null);
  const doneRef = useFocusWhen<HTMLParagraphElement>(done);
  return (
    <>
      {done && <p className="ok" role="status" tabIndex={-1} ref={doneRef} data-testid="alert-done">{done.text}</p>}
      {alerts.length === 0 ? <p>No alerts.</p> : (
        <ul className="alerts">
          {alerts.map((a) => <AlertRow key={a.id} alert={a} siblings={siblingsOf(a, alerts)} onChange={onChange} who={clientName?.(a)}
            onDone={(text) => setDone({ text })} />)}
        </ul>
      )}
    </>
  );
}

function AlertRow({ alert, siblings, onChange, onDone, who }: {
  alert: Alert; siblings: Alert[]; onChange: () => void; onDone: (text: string) => void; who?: string;
}) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [noteError, setNoteError] = useState('');
  const [busy, setBusy] = useState(false);
  const [withSiblings, setWithSiblings] = useState(true);
  const state = alertState(alert);
  const noteId = `alert-note-${alert.id}`;
  const noteRef = useRef<HTMLTextAreaElement>(null);
  // the words that tell this alert's controls from its siblings' (the scale) and from other clients'
  const about = alertAbout(alert, who);
  const siblingScales = siblings.map(alertScale);
  const siblingsOn = siblingScales.every((s): s is string => !!s)
    ? ` (on the ${scaleList(siblingScales)} scale${siblings.length > 1 ? 's' : ''})` : '';

  // the lifecycle is open -> acknowledged -> resolved, each step with a note (audited)
  async function act(kind: 'acknowledge' | 'resolve') {
    if (!note.trim()) {
      setNoteError(kind === 'acknowledge'
        ? 'Write a note saying what you will do about this alert.'
        : 'Write a note saying how this alert was resolved.');
      noteRef.current?.focus();  // to the field that needs the note, which the message describes
      return;
    }
    setNoteError('');
    setBusy(true);
    setError(null);
    try {
      // one after another, each its own audited transition with the same note
      const all = [alert, ...(withSiblings ? siblings : [])];
      for (const a of all) {
        await (kind === 'acknowledge' ? api.acknowledge(a.id, note.trim()) : api.resolve(a.id, note.trim()));
      }
      setNote('');
      const others = all.length - 1;
      onDone(`${kind === 'acknowledge' ? 'Acknowledged' : 'Resolved'} ${about}` +
        `${others ? ` and the ${others} other${others > 1 ? 's' : ''} raised by the same answers` : ''}, with your note.`);
      onChange();
    } catch (e) {
      setError(e);
      onChange();  // show what did change before the error
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className={`alert sev-${alert.severity} state-${state}`} data-testid="alert" data-kind={alert.kind}>
      <p id={`${noteId}-about`}>
        <span className="badge">{alert.severity}</span>{' '}
        <strong>{words(alert.kind)}</strong>{who ? <> — {who}</> : null}: {readableDetail(alert.detail)}
      </p>
      <p className="meta">Raised {shortDate(alert.raised_at)}
        {alert.acknowledged_at && <>; acknowledged {shortDate(alert.acknowledged_at)}</>}
        {alert.resolved_at && <>; resolved {shortDate(alert.resolved_at)}</>}
        {/* the acknowledge and resolve notes come joined by a newline: a line each */}
        {alert.note && <>; note: “<span className="alert-note" data-testid="alert-note">{alert.note.split('\n').map((line, i) =>
          <Fragment key={i}>{i > 0 && <br />}{line}</Fragment>)}</span>”</>}
        {' · '}<span data-testid="alert-state">{state}</span></p>
      {state !== 'resolved' && (
        <div className="alert-actions">
          {/* every control is named by its alert (kind, scale, date, client), the note box described by the alert's detail */}
          <label htmlFor={noteId}>{state === 'open' ? 'Note: what you will do' : 'Note: how it was resolved'}{' '}
            <span className="sr-only">about {about}</span></label>
          <textarea id={noteId} ref={noteRef} rows={2} value={note} onChange={(e) => setNote(e.target.value)}
            aria-invalid={noteError ? true : undefined} aria-describedby={noteError ? `${noteId}-err ${noteId}-about` : `${noteId}-about`} />
          {noteError && <p id={`${noteId}-err`} className="field-error" role="alert">{noteError}</p>}
          {siblings.length > 0 && (
            <label className="option">
              <input type="checkbox" checked={withSiblings} onChange={(e) => setWithSiblings(e.target.checked)}
                data-testid="alert-siblings" />
              <span>Also {state === 'open' ? 'acknowledge' : 'resolve'} the {siblings.length} other {words(alert.kind)} alert{siblings.length > 1 ? 's' : ''}{siblingsOn} raised by the same answers, with this note</span>
            </label>
          )}
          {state === 'open'
            ? <button type="button" disabled={busy} onClick={() => act('acknowledge')}>Acknowledge{' '}<span className="sr-only">{about}</span></button>
            : <button type="button" disabled={busy} onClick={() => act('resolve')}>Resolve{' '}<span className="sr-only">{about}</span></button>}
        </div>
      )}
      {error != null && <ErrorBox error={error} />}
    </li>
  );
}
