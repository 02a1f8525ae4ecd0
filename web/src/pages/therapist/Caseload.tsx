import { api } from '../../api';
import { Loaded, useLoad } from '../../components/common';
import { alertState } from '../../components/AlertList';
import { oneDecimal, shortDate, words } from '../../plain';
import type { Alert, Client, Episode, TrajectoryPoint } from '../../types';

/** The latest scored answer and the answers after it that could not be scored (newest last). */
type Latest = TrajectoryPoint & { unscoredLater: TrajectoryPoint[] };
/** The latest scored outcome, with its measure. */
type Outcome = Latest & { instrument: string };
/** `unlisted`: a client the server does not let this therapist read (their choice waits for the clinic). */
interface Row { client: Client; episode?: Episode; alliance?: Latest; outcome?: Outcome; open: Alert[]; unlisted?: boolean }

const last = (pts: TrajectoryPoint[]) => [...pts].reverse().find((p) => p.value !== null);

/** The latest scored answer of a series, and the later ones that could not be scored. */
export function latestOf(pts: TrajectoryPoint[]): Latest | undefined {
  const p = last(pts);
  return p ? { ...p, unscoredLater: pts.slice(pts.lastIndexOf(p) + 1) } : undefined;
}

/** Clients with an urgent open alert (a risk item) first, then by the number of open alerts. */
export function caseloadOrder(a: { open: Alert[] }, b: { open: Alert[] }): number {
  const urgent = (r: { open: Alert[] }) => (r.open.some((x) => x.severity === 'urgent') ? 1 : 0);
  return urgent(b) - urgent(a) || b.open.length - a.open.length;
}

/** The outcome measures, in the order that breaks a tie (docs/api.md "questionnaires due"). */
const OUTCOMES: [string, string][] = [['phq9', 'PHQ-9'], ['gad7', 'GAD-7'], ['core10', 'CORE-10']];

/** The client's outcome measure: the one they have answered most (as the server's due rule). */
export function outcomeOf(series: { name: string; pts: TrajectoryPoint[] }[]): Outcome | undefined {
  const answered = (pts: TrajectoryPoint[]) => pts.filter((p) => p.value !== null).length;
  const best = series.reduce<{ name: string; pts: TrajectoryPoint[] } | undefined>(
    (b, s) => (answered(s.pts) > (b ? answered(b.pts) : 0) ? s : b), undefined);
  const p = best && latestOf(best.pts);
  return p ? { ...p, instrument: best.name } : undefined;
}

/**
 * A caseload in three groups: in therapy now; clients who chose this therapist and wait for the
 * clinic to confirm (not ended: therapy has not begun); therapy ended. A declined choice is in none
 * (the server does not list it to the therapist).
 */
export function caseloadGroups<R extends { episode?: Episode; open: Alert[] }>(rows: R[]): { current: R[]; chose: R[]; ended: R[] } {
  const status = (r: R) => r.episode?.status;
  return {
    current: rows.filter((r) => status(r) === 'active').sort(caseloadOrder),
    chose: rows.filter((r) => status(r) === 'waiting').sort(caseloadOrder),
    ended: rows.filter((r) => status(r) === 'ended').sort(caseloadOrder),
  };
}

/**
 * Loads a caseload: the clients the server lets this user see, with latest scores and open alerts
 * (neither acknowledged nor resolved, as the Alerts page counts them "open").
 */
export async function loadCaseload(): Promise<Row[]> {
  const [clients, episodes, alerts] = await Promise.all([api.clients(), api.episodes(), api.alerts().catch(() => [] as Alert[])]);
  // A client's choice waiting for the clinic gives the therapist the episode and nothing of the
  // client (docs/api.md, Authorisation): the client is not in /clients, so the row is the
  // episode's alone, named by the client's id.
  const listed = new Set(clients.map((c) => c.id));
  const unlisted: Row[] = episodes.filter((e) => e.status === 'waiting' && !listed.has(e.client_id)).map((episode) => ({
    client: { id: episode.client_id, pseudonym: '', concerns: [], goals: [], preferences: {}, constraints: [] },
    episode, open: [], unlisted: true }));
  return [...await Promise.all(clients.map(async (client) => {
    const episode = episodes.find((e) => e.client_id === client.id && e.status === 'active')
      ?? episodes.find((e) => e.client_id === client.id && e.status === 'waiting')
      ?? episodes.filter((e) => e.client_id === client.id).sort((a, b) => b.started_on.localeCompare(a.started_on))[0];
    const mine = new Set(episodes.filter((e) => e.client_id === client.id).map((e) => e.id));
    const [alliance, ...outcomes] = await Promise.all([
      api.trajectory(client.id, 'wai_sr', 'total').catch(() => []),
      ...OUTCOMES.map(([id]) => api.trajectory(client.id, id, 'total').catch(() => [] as TrajectoryPoint[])),
    ]);
    return {
      client, episode, alliance: latestOf(alliance), outcome: outcomeOf(outcomes.map((pts, i) => ({ name: OUTCOMES[i][1], pts }))),
      open: alerts.filter((a) => ((a.episode_id != null && mine.has(a.episode_id)) || a.client_id === client.id) && alertState(a) === 'open'),
    };
  })), ...unlisted];
}

/**
 * A score shown is dated (the alliance as the outcome: an old score is not taken for a recent
 * one), and a later answer that could not be scored is said, not passed over.
 */
function ScoreCell({ score: o, label, testId }: { score: Latest; label?: string; testId: string }) {
  const later = o.unscoredLater;
  return (
    <>
      {label ? `${label} ` : ''}{oneDecimal(o.value)}{o.band ? ` (${o.band})` : ''}, {shortDate(o.answered_at)}
      {later.length > 0 && (
        <span className="hint" data-testid={testId}>; {later.length === 1 ? 'a later answer' : `${later.length} later answers`}
          {' '}({later.map((p) => shortDate(p.answered_at)).join(', ')}) could not be scored</span>
      )}
    </>
  );
}

function CaseloadTable({ rows, caption, testId, ended, chose }: { rows: Row[]; caption: string; testId: string; ended?: boolean; chose?: boolean }) {
  return (
    <div className="table-scroll">
      <table className="data" data-testid={testId}>
        <caption>{caption}</caption>
        <thead><tr><th scope="col">Client</th><th scope="col">Concerns</th><th scope="col">{ended ? 'Ended' : chose ? 'Chose you on' : 'Since'}</th>
          <th scope="col">Alliance</th><th scope="col">Outcome</th><th scope="col">Open alerts</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.client.id}>
              {/* no link where the server refuses the client's page */}
              <th scope="row">{r.unlisted ? `Client ${r.client.id}`
                : <a href={`#/clients/${r.client.id}`}>{r.client.pseudonym || `Client ${r.client.id}`}</a>}</th>
              <td>{r.client.concerns.map(words).join(', ')}</td>
              <td>{!r.episode ? '—' : ended ? (r.episode.ended_on ? shortDate(r.episode.ended_on) : words(r.episode.status)) : shortDate(r.episode.started_on)}</td>
              <td>{r.alliance ? <ScoreCell score={r.alliance} testId="alliance-unscored" /> : '—'}</td>
              <td>{r.outcome ? <ScoreCell score={r.outcome} label={r.outcome.instrument} testId="outcome-unscored" /> : '—'}</td>
              <td>{r.open.length ? <>
                {r.open.some((a) => a.severity === 'urgent') && <><span className="badge urgent">urgent</span>{' '}</>}
                <span className="badge warn">{r.open.length} open</span></> : 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Caseload() {
  const state = useLoad(loadCaseload, []);
  return (
    <section>
      <h1 tabIndex={-1}>Caseload</h1>
      <Loaded state={state} what="your caseload">
        {(rows) => {
          if (rows.length === 0) return <p>No clients yet.</p>;
          const { current, chose, ended } = caseloadGroups(rows);
          return (
            <>
              {current.length === 0 ? <p>No clients in therapy with you now.</p> : (
                <CaseloadTable rows={current} testId="caseload"
                  caption={`In therapy now (${current.length}), with the latest alliance (WAI-SR total, 12–60) and the latest scored outcome, each with the date it was answered`} />
              )}
              {chose.length > 0 && (
                <>
                  <h2>Chose you</h2>
                  <p className="hint">Clients who chose you as their therapist. The clinic confirms or declines each choice;
                    therapy starts once it is confirmed.</p>
                  <CaseloadTable rows={chose} testId="caseload-chose" chose caption={`Waiting for the clinic to confirm (${chose.length})`} />
                </>
              )}
              {ended.length > 0 && (
                <>
                  <h2>Ended</h2>
                  <p className="hint">Clients whose therapy with you has ended, for reference; open alerts still need handling.</p>
                  <CaseloadTable rows={ended} testId="caseload-ended" ended caption={`Ended episodes (${ended.length})`} />
                </>
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
