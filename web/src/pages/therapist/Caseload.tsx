import { api } from '../../api';
import { Loaded, useLoad } from '../../components/common';
import { alertState } from '../../components/AlertList';
import { shortDate, words } from '../../plain';
import type { Alert, Client, Episode, TrajectoryPoint } from '../../types';

interface Row { client: Client; episode?: Episode; alliance?: TrajectoryPoint; outcome?: TrajectoryPoint & { instrument: string }; open: Alert[] }

const last = (pts: TrajectoryPoint[]) => [...pts].reverse().find((p) => p.value !== null);

/** Clients with an urgent open alert (a risk item) first, then by the number of open alerts. */
export function caseloadOrder(a: { open: Alert[] }, b: { open: Alert[] }): number {
  const urgent = (r: { open: Alert[] }) => (r.open.some((x) => x.severity === 'urgent') ? 1 : 0);
  return urgent(b) - urgent(a) || b.open.length - a.open.length;
}

/** Loads a caseload: the clients the server lets this user see, with latest scores and open alerts. */
export async function loadCaseload(): Promise<Row[]> {
  const [clients, episodes, alerts] = await Promise.all([api.clients(), api.episodes(), api.alerts().catch(() => [] as Alert[])]);
  return Promise.all(clients.map(async (client) => {
    const episode = episodes.find((e) => e.client_id === client.id && e.status === 'active')
      ?? episodes.find((e) => e.client_id === client.id);
    const mine = new Set(episodes.filter((e) => e.client_id === client.id).map((e) => e.id));
    const [alliance, phq, core] = await Promise.all([
      api.trajectory(client.id, 'wai_sr', 'total').catch(() => []),
      api.trajectory(client.id, 'phq9', 'total').catch(() => []),
      api.trajectory(client.id, 'core10', 'total').catch(() => []),
    ]);
    const o = last(phq) ? { ...last(phq)!, instrument: 'PHQ-9' } : last(core) ? { ...last(core)!, instrument: 'CORE-10' } : undefined;
    return {
      client, episode, alliance: last(alliance), outcome: o,
      open: alerts.filter((a) => ((a.episode_id != null && mine.has(a.episode_id)) || a.client_id === client.id) && alertState(a) !== 'resolved'),
    };
  }));
}

export function Caseload() {
  const state = useLoad(loadCaseload, []);
  return (
    <section>
      <h1 tabIndex={-1}>Caseload</h1>
      <Loaded state={state} what="your caseload">
        {(rows) => rows.length === 0 ? <p>No clients yet.</p> : (
          <table className="data" data-testid="caseload">
            <caption>Your clients, with the latest alliance (WAI-SR total, 12–60) and outcome</caption>
            <thead><tr><th scope="col">Client</th><th scope="col">Concerns</th><th scope="col">Since</th>
              <th scope="col">Alliance</th><th scope="col">Outcome</th><th scope="col">Open alerts</th></tr></thead>
            <tbody>
              {rows.sort(caseloadOrder).map((r) => (
                <tr key={r.client.id}>
                  <th scope="row"><a href={`#/clients/${r.client.id}`}>{r.client.pseudonym || `Client ${r.client.id}`}</a></th>
                  <td>{r.client.concerns.map(words).join(', ')}</td>
                  <td>{r.episode ? shortDate(r.episode.started_on) : '—'}</td>
                  <td>{r.alliance?.value ?? '—'}</td>
                  <td>{r.outcome ? `${r.outcome.instrument} ${r.outcome.value}${r.outcome.band ? ` (${r.outcome.band})` : ''}` : '—'}</td>
                  <td>{r.open.length ? <>
                    {r.open.some((a) => a.severity === 'urgent') && <><span className="badge urgent">urgent</span>{' '}</>}
                    <span className="badge warn">{r.open.length} open</span></> : 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
