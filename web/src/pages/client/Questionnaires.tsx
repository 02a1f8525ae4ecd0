import { useEffect, useRef, useState } from 'react';
import { api, ApiError, newKey } from '../../api';
import { useMe } from '../../auth';
import { Loaded, useFocusWhen, useLoad } from '../../components/common';
import { CRISIS_HELP, Questionnaire, riskReader } from '../../components/Questionnaire';
import type { Episode, Instrument, Me, SubmitResult } from '../../types';
import { currentPath } from '../../router';

/**
 * Alliance questionnaires rate therapy with a therapist: the server refuses a client's answers
 * without the episode (400 `episode_id`), so they are answered from the due list, which names it.
 */
export const ALLIANCE = ['wai_sr', 'srs'];
/** A therapist's report about themself: its subject is the therapist, not a client. */
const SELF_REPORTS = ['ffmq39'];
/** A client meets this for a questionnaire that does not exist or is not theirs to answer. */
const NOT_AVAILABLE = 'This questionnaire is not available.';

interface Due { instrument_id: string; reason?: string; episode_id?: number | null; session_id?: number | null }

/**
 * What a client should answer now: the server's list (GET /clients/{id}/due) when it has one;
 * otherwise every administrable client-rated instrument except the intake preference form.
 * `others` are the remaining client questionnaires, which can be answered at any time (not the
 * alliance ones, which need an episode).
 */
export async function loadDue(clientId: number): Promise<{ due: Due[]; others: Due[]; instruments: Instrument[]; fromServer: boolean }> {
  const instruments = await api.instruments();
  const anytime = instruments
    .filter((i) => i.respondent === 'client' && i.administrable && i.id !== 'cnip')
    .map((i) => ({ instrument_id: i.id }));
  try {
    const due = await api.due(clientId);
    const ids = new Set(due.map((d) => d.instrument_id));
    const others = anytime.filter((d) => !ids.has(d.instrument_id) && !ALLIANCE.includes(d.instrument_id));
    return { due, others, instruments, fromServer: true };
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405)) throw e;
    return { due: anytime, others: [], instruments, fromServer: false };
  }
}

function DueList({ items, instruments, testId }: { items: Due[]; instruments: Instrument[]; testId: string }) {
  return (
    <ul className="cards" data-testid={testId}>
      {items.map((d) => {
        const ins = instruments.find((i) => i.id === d.instrument_id);
        const q = [d.episode_id ? `episode=${d.episode_id}` : '', d.session_id ? `session=${d.session_id}` : ''].filter(Boolean).join('&');
        return (
          <li key={`${d.instrument_id}-${d.session_id ?? ''}`}>
            <a href={`#/questionnaires/${d.instrument_id}${q ? `?${q}` : ''}`}>{ins?.title ?? d.instrument_id}</a>
            <span className="hint"> — {ins ? `${ins.item_count} questions` : ''}{d.reason ? `; ${d.reason}` : ''}</span>
          </li>
        );
      })}
    </ul>
  );
}

export function QuestionnaireList() {
  const me = useMe();
  const state = useLoad(() => loadDue(me.client_id ?? 0), [me.client_id]);
  return (
    <section>
      <h1 tabIndex={-1}>Questionnaires</h1>
      <Loaded state={state} what="your questionnaires">
        {({ due, others, instruments, fromServer }) => (
          <>
            {fromServer ? (
              <>
                <h2>Due for your next session</h2>
                {due.length
                  ? <><p>Each takes a few minutes; your therapist looks at them before you meet.</p>
                      <DueList items={due} instruments={instruments} testId="due" /></>
                  : <p data-testid="due">Nothing is due right now. Thank you!</p>}
                {others.length > 0 && (
                  <>
                    <h2>Other questionnaires</h2>
                    <p>You can answer these at any time, for example when things change between sessions.</p>
                    <DueList items={others} instruments={instruments} testId="others" />
                  </>
                )}
              </>
            ) : (
              <>
                <p>You can answer these at any time; your therapist uses them to see how things are going.</p>
                <DueList items={due} instruments={instruments} testId="others" />
              </>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function queryParams(): URLSearchParams {
  const p = currentPath();
  const i = p.indexOf('?');
  return new URLSearchParams(i >= 0 ? p.slice(i + 1) : '');
}

/**
 * Whom the answers are about: the client named in the link (`?client=`), else the client
 * reading, else the therapist for their own report (FFMQ-39); null when the page cannot tell
 * (staff opening a client's questionnaire without the client).
 */
export function subjectOf(me: Me, id: string, client: string | null): number | null {
  if (client && Number(client) > 0) return Number(client);
  if (me.role === 'client') return me.client_id ?? null;
  if (me.role === 'therapist' && SELF_REPORTS.includes(id)) return me.therapist_id ?? null;
  return null;
}

export function QuestionnairePage({ id }: { id: string }) {
  const me = useMe();
  const params = queryParams();
  const subject = subjectOf(me, id, params.get('client'));
  if (subject === null) {
    return (
      <section>
        <h1 tabIndex={-1}>Questionnaire</h1>
        <p className="notice" data-testid="needs-client">Open this questionnaire from a client's page: it needs to
          know which client the answers are about.</p>
      </section>
    );
  }
  return <QuestionnaireForm id={id} subject={subject} params={params} />;
}

function QuestionnaireForm({ id, subject, params }: { id: string; subject: number; params: URLSearchParams }) {
  const me = useMe();
  const state = useLoad(async () => {
    const [instrument, episodes] = await Promise.all([
      api.instrument(id),
      api.episodes().catch(() => [] as Episode[]),
    ]);
    return { instrument, episodes };
  }, [id]);
  const [done, setDone] = useState<SubmitResult | null>(null);
  const key = useRef(newKey(id));
  // the form that had focus is gone once the answers are saved: focus goes to what the page now says
  const doneRef = useFocusWhen<HTMLDivElement>(done);

  // the page's heading is the questionnaire's title (focus moves to it on arrival, so "Questionnaire"
  // was all a screen reader heard); once the title arrives the heading is a new element, which
  // takes focus if the one it replaced had it
  const title = state.data?.instrument.title ?? 'Questionnaire';
  const titleRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (state.data && document.activeElement === document.body) titleRef.current?.focus();
  }, [state.data]);
  return (
    <section>
      <h1 tabIndex={-1} key={title} ref={titleRef} id="questionnaire-title">{title}</h1>
      <Loaded state={state} what="the questionnaire" notFound={NOT_AVAILABLE}
        forbidden={me.role === 'client' ? NOT_AVAILABLE : undefined}>
        {({ instrument, episodes }) => {
          const episode = Number(params.get('episode')) ||
            episodes.find((e) => e.client_id === subject && e.status === 'active')?.id || null;
          if (me.role === 'client' && !episode && ALLIANCE.includes(instrument.id)) {
            return <p className="notice" data-testid="needs-episode">{instrument.title} is about your therapy with your
              therapist: it is listed under <a href="#/questionnaires">Due for your next session</a> after a session.</p>;
          }
          // Without an episode the server sends a risk alert to the clinic's coordinators.
          const seenBy = episode ? 'therapist' : 'team';
          if (done) {
            const risk = (done.alerts ?? []).filter((a) => a.kind === 'risk_item');
            const riskBy = risk.length ? (risk.some((a) => a.episode_id != null) ? 'therapist' : 'team') : seenBy;
            return (
              <div className="ok" role="status" tabIndex={-1} ref={doneRef} data-testid="submitted">
                <p><strong>Thank you — your answers to {instrument.title} are saved.</strong></p>
                {me.role === 'client' && (seenBy === 'therapist'
                  ? <p>Your therapist will look at them before your next session.</p>
                  : <p>The clinic's team will look at them.</p>)}
                {me.role === 'client' && risk.length > 0 && (
                  <p data-testid="risk-followup">{riskReader(riskBy)} {riskBy === 'therapist' ? 'has' : 'have'} been alerted to your
                    answer and will follow it up. {CRISIS_HELP}</p>
                )}
                <p><a href={me.role === 'client' ? '#/questionnaires' : SELF_REPORTS.includes(id) && !params.get('client') ? '#/profile' : `#/clients/${subject}`}>Back</a></p>
              </div>
            );
          }
          const session = Number(params.get('session')) || null;
          return (
            <Questionnaire instrument={instrument} titleId="questionnaire-title" riskSeenBy={seenBy} onSubmit={async (answers) => {
              const r = await api.submit({
                instrument_id: instrument.id, subject_id: subject, episode_id: episode, session_id: session,
                answers, idempotency_key: key.current,
              });
              setDone(r);
            }} />
          );
        }}
      </Loaded>
    </section>
  );
}
