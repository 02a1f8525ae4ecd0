// An Observable Plot chart with a caption and, for screen readers and keyboard users, the same
// numbers as a table behind a disclosure.
import { useEffect, useRef } from 'react';
import * as Plot from '@observablehq/plot';

export interface PlotFigureProps {
  options: Plot.PlotOptions;
  caption: string;
  table?: { columns: string[]; rows: (string | number | null)[][] };
  testId?: string;
}

export function PlotFigure({ options, caption, table, testId }: PlotFigureProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let chart: (SVGSVGElement | HTMLElement) | null = null;
    try {
      chart = Plot.plot({ style: { fontSize: '13px', color: '#1a1a1a', background: 'transparent' }, ...options });
      // Plot marks a chart it warned about (in the console) with a bare "⚠️" glyph, which would end
      // the chart's text in a symbol that says nothing to a reader: the warning stays in the console
      for (const t of chart.querySelectorAll('text')) if (t.textContent?.startsWith('\u26a0')) t.remove();
      // Plot puts a <style> element in each chart (and legend), which the server's Content Security
      // Policy (style-src 'self') refuses with a console error per chart; styles.css holds the same
      // rules, so the element goes before the chart enters the page.
      for (const s of chart.querySelectorAll('style')) s.remove();
      chart.setAttribute('role', 'img');
      chart.setAttribute('aria-label', caption);
      el.replaceChildren(chart);
    } catch (e) {
      el.textContent = `The chart could not be drawn: ${String(e)}`;
    }
    return () => { chart?.remove(); };
  }, [options, caption]);
  return (
    <figure className="plot" data-testid={testId}>
      <div ref={ref} />
      <figcaption>{caption}</figcaption>
      {table && table.rows.length > 0 && (
        <details>
          <summary>Show the numbers</summary>
          <table>
            <thead><tr>{table.columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
            <tbody>
              {table.rows.map((r, i) => <tr key={i}>{r.map((v, j) => <td key={j}>{v ?? '—'}</td>)}</tr>)}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
