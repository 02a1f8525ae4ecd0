import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { Loaded, useLoad } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';

export function Capacity() {
  const state = useLoad(async () => {
    const [therapists, episodes] = await Promise.all([api.therapists(), api.episodes()]);
    return therapists.map((t) => {
      const load = t.caseload ?? episodes.filter((e) => e.therapist_id === t.id && e.status === 'active').length;
      return { name: t.display_name, capacity: t.capacity ?? 0, load, free: Math.max(0, (t.capacity ?? 0) - load), accepting: t.accepting !== false };
    });
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>Therapist capacity</h1>
      <Loaded state={state} what="capacity">
        {(rows) => (
          <>
            <p>{rows.reduce((s, r) => s + r.free, 0)} free places across {rows.filter((r) => r.accepting).length} accepting therapists.</p>
            <PlotFigure caption="Active clients against capacity per therapist (bar = active clients, tick = capacity)"
              options={{ height: Math.max(160, rows.length * 18 + 40), marginLeft: 140, x: { label: 'Clients', grid: true }, y: { label: null },
                marks: [Plot.barX(rows, { x: 'load', y: 'name', fill: (d: { free: number }) => (d.free === 0 ? '#b00020' : '#1f4e79') }),
                        Plot.tickX(rows, { x: 'capacity', y: 'name', stroke: '#1a1a1a', strokeWidth: 2 })] }}
              table={{ columns: ['therapist', 'active', 'capacity', 'accepting'], rows: rows.map((r) => [r.name, r.load, r.capacity, r.accepting ? 'yes' : 'no']) }} />
          </>
        )}
      </Loaded>
    </section>
  );
}
