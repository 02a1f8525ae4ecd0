import * as Plot from '@observablehq/plot';
import { api } from '../../api';
import { Loaded, useLoad } from '../../components/common';
import { PlotFigure } from '../../components/PlotFigure';
import type { Episode, Therapist } from '../../types';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Names in natural order: "Therapist 2" before "Therapist 10" (as text, 10 came first). */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b);
}

/**
 * Each therapist's places, in natural order of names: clients in therapy and clients whose choice
 * of them waits for the clinic both hold a place (docs/api.md "Episodes"), so both count.
 */
export function capacityRows(therapists: Therapist[], episodes: Episode[]) {
  return [...therapists].sort((a, b) => naturalCompare(a.display_name, b.display_name)).map((t) => {
    const mine = episodes.filter((e) => e.therapist_id === t.id);
    const active = mine.filter((e) => e.status === 'active').length;
    const chosen = mine.filter((e) => e.status === 'waiting').length;
    const load = active + chosen;
    return { name: t.display_name, capacity: t.capacity ?? 0, active, chosen, load, free: Math.max(0, (t.capacity ?? 0) - load),
      accepting: t.accepting !== false };
  });
}

export function Capacity() {
  const state = useLoad(async () => {
    const [therapists, episodes] = await Promise.all([api.therapists(), api.episodes()]);
    return capacityRows(therapists, episodes);
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>Therapist capacity</h1>
      <Loaded state={state} what="capacity">
        {(rows) => (
          <>
            <p>{rows.reduce((s, r) => s + r.free, 0)} free places across {rows.filter((r) => r.accepting).length} accepting therapists.</p>
            <PlotFigure testId="capacity" caption="Places taken against capacity per therapist (bar = clients in therapy and choices waiting for the clinic, tick = capacity)"
              options={{ height: Math.max(160, rows.length * 18 + 40), marginLeft: 140, x: { label: 'Clients', grid: true }, y: { label: null, domain: rows.map((r) => r.name) },
                marks: [Plot.barX(rows, { x: 'load', y: 'name', fill: (d: { free: number }) => (d.free === 0 ? '#b00020' : '#1f4e79') }),
                        Plot.tickX(rows, { x: 'capacity', y: 'name', stroke: '#1a1a1a', strokeWidth: 2 })] }}
              table={{ columns: ['therapist', 'in therapy', 'chosen, waiting', 'capacity', 'free', 'accepting'],
                rows: rows.map((r) => [r.name, r.active, r.chosen, r.capacity, r.free, r.accepting ? 'yes' : 'no']) }} />
          </>
        )}
      </Loaded>
    </section>
  );
}
