import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { useMe } from '../../auth';
import { CurrentAndResolved, alertState } from '../../components/AlertList';
import { Loaded, useLoad } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';
import { RecordSession } from './RecordSession';
import { shortDate, words } from '../../plain';
import type { Alert, Episode, ExpectedPoint, TrajectoryPoint } from '../../types';

const OUTCOMES = [
  { id: 'phq9', name: 'PHQ-9' },
  { id: 'gad7', name: 'GAD-7' },
  { id: 'core10', name: 'CORE-10' },
];

const DIMENSIONS = [
  { id: 'goal', label: 'Goal', colour: '#1f4e79' },
  { id: 'task', label: 'Task', colour: '#b35900' },
  { id: 'bond', label: 'Bond', colour: '#2e7d32' },
];

/** The episode the charts show: the client's active one, else their latest. */
export function shownEpisode(episodes: Episode[]): Episode | undefined {
  const active = episodes.find((e) => e.status === 'active');
  if (active) return active;
  return [...episodes].sort((a, b) => (a.started_on === b.started_on ? b.id - a.id : b.started_on.localeCompare(a.started_on)))[0];
}

/** One episode's answers (all of them when the client has no episode, or the server does not say). */
export function inEpisode(pts: TrajectoryPoint[], episode: Episode | undefined): TrajectoryPoint[] {
  return episode ? pts.filter((p) => p.episode_id === undefined || p.episode_id === episode.id) : pts;
}

/**
 * x positions of one episode's answers to an instrument, numbered as the monitor numbers them
 * (so an alert's "session N" is at N): the session's number when the answer belongs to a
 * recorded session, else the answer's position among the episode's answers to the instrument.
 */
export function placeSessions(pts: TrajectoryPoint[], numbers: Map<number, number>): number[] {
  return pts.map((p, i) => p.session_number ?? (p.session_id != null ? numbers.get(p.session_id) : undefined) ?? i + 1);
}

/** Marks at the same session become one, their labels joined (labels drawn over each other are unreadable). */
export function oneMarkPerSession<T extends { session: number; label: string }>(marks: T[]): T[] {
  const out = new Map<number, T>();
  for (const m of marks) {
    const seen = out.get(m.session);
    if (!seen) out.set(m.session, { ...m });
    else if (!seen.label.split(' · ').includes(m.label)) seen.label += ` · ${m.label}`;
  }
  return [...out.values()];
}

/** Alert marks in words, by kind: "risk item at sessions 3 and 4; not on track at session 6". */
export function alertsBySession(marks: { session: number; label: string }[]): string {
  const byKind = new Map<string, number[]>();
  for (const m of marks) for (const k of m.label.split(' · ')) byKind.set(k, [...(byKind.get(k) ?? []), m.session]);
  const list = (xs: number[]) => (xs.length === 1 ? `session ${xs[0]}`
    : `sessions ${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  return [...byKind].map(([k, xs]) => `${k} at ${list([...new Set(xs)].sort((a, b) => a - b))}`).join('; ');
}

/** The session axis with its label centred under the ticks (at the right end it ran into them). */
const sessionAxis = (ticks: number[] | undefined) => ({ label: 'Session', labelAnchor: 'center' as const, labelOffset: 34, tickFormat: 'd', ticks });

/**
 * A rupture's label, upright along its rule (so the labels of ruptures at neighbouring sessions
 * never overlap), read from the top of the plot down beside the line: 8 px to its left and 4 px
 * below the top (Plot's dx/dy move it on the page; dy -10 lifted it through the top of the plot).
 */
export const RUPTURE_LABEL = { rotate: -90, textAnchor: 'end', dx: -9, dy: 4, fill: '#b00020', fontWeight: 'bold' } as const;

async function loadDetail(id: number) {
  const [client, episodes, alerts, ...alliance] = await Promise.all([
    api.client(id),
    api.episodes().catch(() => [] as Episode[]),
    api.alerts().catch(() => [] as Alert[]),
    ...DIMENSIONS.map((d) => api.trajectory(id, 'wai_sr', d.id).catch(() => [] as TrajectoryPoint[])),
  ]);
  const mine = episodes.filter((e) => e.client_id === id);
  // the outcome measure is the one this client has answered most in the episode shown (PHQ-9, GAD-7 or CORE-10)
  const shown = shownEpisode(mine);
  const series = await Promise.all(OUTCOMES.map(async (o) => ({ ...o, pts: await api.trajectory(id, o.id, 'total').catch(() => [] as TrajectoryPoint[]) })));
  const outcome = series.reduce((best, s) => (inEpisode(s.pts, shown).length > inEpisode(best.pts, shown).length ? s : best), series[0]);
  const [expected, definition] = outcome.pts.length
    ? await Promise.all([api.expected(id, outcome.id).catch(() => null), api.instrument(outcome.id).catch(() => null)])
    : [null, null];
  const range = definition?.scales.find((s) => s.id === 'total')?.range;
  const ids = new Set(mine.map((e) => e.id));
  const sessions = (await Promise.all(mine.map((e) => api.sessions(e.id).catch(() => [])))).flat();
  const numbers = new Map(sessions.map((x) => [x.id, x.number]));
  return {
    client, episodes: mine, numbers, sessions,
    alerts: alerts.filter((a) => (a.episode_id != null && ids.has(a.episode_id)) || a.client_id === id),
    outcome: { name: outcome.name, id: outcome.id, pts: outcome.pts, expected: expected as ExpectedPoint[] | null, range },
    alliance,
  };
}

/** Integer ticks for session axes (Plot would otherwise put 1.5 between sessions 1 and 2). */
function sessionTicks(values: number[]): number[] | undefined {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  return distinct.length > 0 && distinct.length <= 20 ? distinct : undefined;
}

export function ClientDetail({ id }: { id: number }) {
  const me = useMe();
  const state = useLoad(() => loadDetail(id), [id]);
  return (
    <section>
      <Loaded state={state} what="the client's record" forbidden="You do not have access to this client's record.">
        {(d) => {
          const active = d.episodes.find((e) => e.status === 'active');
          // The charts show one episode, numbered as the monitor numbers its sessions.
          const shown = shownEpisode(d.episodes);
          const episodeAlerts = shown ? d.alerts.filter((a) => a.episode_id === shown.id) : d.alerts;
          const allianceRows = DIMENSIONS.flatMap((dim, k) => {
            const pts = inEpisode(d.alliance[k], shown);
            const at = placeSessions(pts, d.numbers);
            return pts.flatMap((p, i) => (p.value === null ? [] : [{ session: at[i], value: p.value, dimension: dim.label, response_id: p.response_id, date: p.answered_at }]));
          });
          // ruptures marked on the alliance chart at the session whose answers raised them
          const ruptureAlerts = episodeAlerts.filter((a) => a.kind === 'rupture');
          const ruptures = oneMarkPerSession(ruptureAlerts.map((a) => {
            const hit = allianceRows.find((r) => r.response_id === a.response_id) ?? allianceRows.find((r) => r.date >= a.raised_at);
            return hit ? { session: hit.session, label: 'rupture' } : null;
          }).filter((m): m is NonNullable<typeof m> => m !== null));
          const outcomePts = inEpisode(d.outcome.pts, shown);
          const outcomeAt = placeSessions(outcomePts, d.numbers);
          const outcomeRows = outcomePts
            .flatMap((p, i) => (p.value === null ? [] : [{ session: outcomeAt[i], value: p.value, response_id: p.response_id, date: p.answered_at }]));
          // the outcome chart marks the alerts about outcome (the alliance's are on its own chart)
          const outcomeAlerts = episodeAlerts.filter((a) => !a.kind.includes('rupture'));
          const markers = oneMarkPerSession(outcomeAlerts.map((a) => {
            const hit = outcomeRows.find((r) => r.response_id === a.response_id)
              ?? outcomeRows.find((r) => r.date >= a.raised_at) ?? outcomeRows[outcomeRows.length - 1];
            return hit ? { session: hit.session, value: hit.value, label: words(a.kind), state: alertState(a) } : null;
          }).filter((m): m is NonNullable<typeof m> => m !== null));
          const band = d.outcome.expected ?? [];
          return (
            <>
              <h1 tabIndex={-1}>{d.client.pseudonym || `Client ${d.client.id}`}</h1>
              <p>Concerns: {d.client.concerns.map(words).join(', ') || '—'}. Goals: {d.client.goals.join('; ') || '—'}.
                {active ? ` In therapy since ${shortDate(active.started_on)}.` : ''}</p>
              {me.role === 'therapist' && active && (
                <p><a className="button" href={`#/questionnaires/wai_srt?client=${d.client.id}&episode=${active.id}`}>Rate today's alliance (WAI-SR-T)</a></p>
              )}

              {active && (me.role === 'therapist' || me.role === 'coordinator') && (
                <RecordSession episode={active} sessions={d.sessions.filter((x) => x.episode_id === active.id)} onRecorded={state.reload} />
              )}

              <h2>Alerts</h2>
              <CurrentAndResolved alerts={d.alerts} onChange={state.reload} />

              <h2>Alliance by goal, task and bond</h2>
              {allianceRows.length === 0 ? <p>No WAI-SR answers{shown ? ' in this episode' : ''} yet.</p> : (
                <PlotFigure testId="alliance-plot"
                  caption={`Client-rated alliance (WAI-SR) per session${shown ? ` of the episode that began ${shortDate(shown.started_on)}` : ''}: goal, task and bond, each 4–20; a drop in one line is a possible rupture${ruptureAlerts.length ? `; ${ruptureAlerts.length} rupture alert${ruptureAlerts.length > 1 ? 's' : ''} marked by a red dashed line at ${ruptures.length > 1 ? 'their sessions' : 'its session'}` : ''}`}
                  options={{
                    height: 280, marginTop: 28, marginLeft: 44, marginBottom: 42,
                    x: sessionAxis(sessionTicks(allianceRows.map((r) => r.session))),
                    y: { label: 'Subscale score', domain: [4, 20], grid: true },
                    color: { domain: DIMENSIONS.map((x) => x.label), range: DIMENSIONS.map((x) => x.colour), legend: true },
                    marks: [
                      Plot.line(allianceRows, { x: 'session', y: 'value', stroke: 'dimension', z: 'dimension', strokeWidth: 2 }),
                      Plot.dot(allianceRows, { x: 'session', y: 'value', fill: 'dimension', symbol: 'dimension', r: 4 }),
                      Plot.ruleX(ruptures, { x: 'session', stroke: '#b00020', strokeWidth: 2, strokeDasharray: '6,3' }),
                      Plot.text(ruptures, { x: 'session', y: 20, text: 'label', ...RUPTURE_LABEL }),
                    ],
                  }}
                  table={{ columns: ['session', 'dimension', 'score'], rows: allianceRows.map((r) => [r.session, r.dimension, r.value]) }}
                />
              )}

              <h2>Outcome ({d.outcome.name})</h2>
              {outcomeRows.length === 0 ? <p>No {d.outcome.name} answers{shown ? ' in this episode' : ''} yet.</p> : (
                <PlotFigure testId="outcome-plot"
                  caption={`${d.outcome.name} total per session${shown ? ` of the episode that began ${shortDate(shown.started_on)}` : ''} (lower is better)` +
                    (band.length ? ', with the band of expected response for clients who started like this one' : '; the expected-response band is not available') +
                    (outcomeAlerts.length ? `; ${outcomeAlerts.length} alert${outcomeAlerts.length > 1 ? 's' : ''} marked` : '')}
                  options={{
                    height: 290, marginLeft: 44, marginBottom: 42,
                    x: sessionAxis(sessionTicks([...outcomeRows.map((r) => r.session), ...band.map((b) => b.session)])),
                    y: { label: `${d.outcome.name} total`, grid: true, zero: true, domain: d.outcome.range },
                    marks: [
                      band.length ? Plot.areaY(band, { x: 'session', y1: 'lower', y2: 'upper', fill: '#9ecae1', fillOpacity: 0.5 }) : null,
                      band.length ? Plot.line(band, { x: 'session', y: 'expected', stroke: '#4a6fa5', strokeDasharray: '4,3' }) : null,
                      Plot.line(outcomeRows, { x: 'session', y: 'value', stroke: '#1a1a1a', strokeWidth: 2 }),
                      Plot.dot(outcomeRows, { x: 'session', y: 'value', fill: '#1a1a1a', r: 3.5 }),
                      // the kinds are listed under the chart: labels at neighbouring sessions overlapped
                      Plot.dot(markers, { x: 'session', y: 'value', symbol: 'triangle', r: 8, fill: '#b00020', stroke: 'white', title: 'label' }),
                    ],
                  }}
                  table={{ columns: ['session', 'score', 'expected', 'band low', 'band high'], rows: outcomeRows.map((r) => {
                    const e = band.find((b) => b.session === r.session);
                    return [r.session, r.value, e ? +e.expected.toFixed(1) : null, e ? +e.lower.toFixed(1) : null, e ? +e.upper.toFixed(1) : null];
                  }) }}
                />
              )}
              {outcomeRows.length > 0 && markers.length > 0 && (
                <p data-testid="outcome-alerts"><span className="alert-key" aria-hidden="true">▲</span> Alerts marked: {alertsBySession(markers)}.</p>
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
