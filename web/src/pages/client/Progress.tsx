import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { useMe } from '../../auth';
import { Loaded, useLoad } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';
import { oneDecimal, scoreLabel, shortDate } from '../../plain';
import type { Instrument, TrajectoryPoint } from '../../types';

const OUTCOMES = ['phq9', 'gad7', 'core10'];

/**
 * The answer days to tick on a date axis `span` px wide: as many as fit a date as the table
 * writes it ("Sep 13, 2026", about 100 px at the chart's 14 px), spread from the first to the
 * last (at a phone's width four dates ran into each other).
 */
export function spreadTicks(days: Date[], span: number): Date[] {
  const most = Math.max(2, Math.floor(span / 100));
  if (days.length <= most) return days;
  return [...new Set(Array.from({ length: most }, (_, i) => Math.round((i * (days.length - 1)) / (most - 1))))].map((i) => days[i]);
}

export function Progress() {
  const me = useMe();
  const id = me.client_id ?? 0;
  const state = useLoad(async () => {
    // the list carries summaries; the scales come with each full definition
    const listed = (await api.instruments()).filter((i) => OUTCOMES.includes(i.id) && i.respondent === 'client');
    const instruments = await Promise.all(listed.map((i) => api.instrument(i.id)));
    const series = await Promise.all(instruments.map(async (ins) => {
      const scale = ins.scales.find((s) => s.id === 'total') ?? ins.scales[0];
      const pts = await api.trajectory(id, ins.id, scale.id).catch(() => [] as TrajectoryPoint[]);
      return { ins, scale, pts: pts.filter((p) => p.value !== null) };
    }));
    return series.filter((s) => s.pts.length > 0);
  }, [id]);
  return (
    <section>
      <h1 tabIndex={-1}>My progress</h1>
      <Loaded state={state} what="your progress">
        {(series) => series.length === 0
          ? <p>Once you have answered a questionnaire, your scores will appear here over time.</p>
          : series.map(({ ins, scale, pts }) => <ProgressChart key={ins.id} ins={ins} scaleTitle={scale.title} higherIs={scale.higher_is} pts={pts} />)}
      </Loaded>
    </section>
  );
}

function ProgressChart({ ins, scaleTitle, higherIs, pts }: { ins: Instrument; scaleTitle: string; higherIs: string; pts: TrajectoryPoint[] }) {
  const data = pts.map((p, i) => ({ n: i + 1, date: new Date(p.answered_at), value: p.value as number, band: p.band }));
  const first = data[0].value, last = data[data.length - 1].value;
  const better = higherIs === 'worse' ? last < first : last > first;
  const summary = data.length < 2 ? 'one answer so far' :
    oneDecimal(last) === oneDecimal(first) ? 'about the same as when you started' : better ? 'better than when you started' : 'not better yet than when you started';
  const dated = data.every((d) => !Number.isNaN(d.date.getTime()));
  // Ticks are dates as the table writes them. A few answers get a tick each (one per day): with one
  // answer the scale's own ticks were the raw timestamp, and a short span gave hours.
  // The right margin holds half the last date, which is centred on its tick.
  const days = dated ? [...new Map(data.map((d) => [shortDate(d.date.toISOString()), d.date])).values()] : [];
  return (
    <article className="card">
      <h2>{ins.title}</h2>
      <p>Your latest score is <strong>{oneDecimal(last)}</strong>{data[data.length - 1].band ? ` (${data[data.length - 1].band})` : ''}
        {dated ? `, on ${shortDate(pts[pts.length - 1].answered_at)}` : ''}: {summary}.
        {higherIs === 'worse' ? ' Lower scores mean fewer difficulties.' : ' Higher scores are better.'}</p>
      <PlotFigure
        caption={`${ins.title} ${scaleTitle.toLowerCase()} over time, by the date you answered`}
        options={(width) => ({
          height: 220, marginLeft: 48, marginRight: 48, marginBottom: 40,
          x: dated ? { label: 'Date answered', type: 'utc', ticks: spreadTicks(days, width - 96),
            tickFormat: (d: Date) => shortDate(d.toISOString()) } : { label: 'Questionnaire number', tickFormat: 'd' },
          y: { label: scoreLabel(scaleTitle), grid: true, domain: ins.scales[0]?.range },
          marks: [Plot.line(data, { x: dated ? 'date' : 'n', y: 'value', stroke: '#1f4e79', strokeWidth: 2 }),
                  Plot.dot(data, { x: dated ? 'date' : 'n', y: 'value', fill: '#1f4e79', r: 4,
                    title: (d: { value: number; date: Date }) => `${oneDecimal(d.value)} on ${d.date.toLocaleDateString()}` })],
        })}
        table={{ columns: ['#', 'date', 'score', 'band'], rows: pts.map((p, i) => [i + 1, shortDate(p.answered_at), oneDecimal(p.value), p.band || null]) }}
      />
    </article>
  );
}
