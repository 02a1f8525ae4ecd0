// An Observable Plot chart with a caption and, for screen readers and keyboard users, the same
// numbers as a table behind a disclosure. The chart is drawn at its container's width (measured,
// and measured again when it changes), so its text stays at its own size: drawn 640 wide and
// scaled down to a phone's 325 px, 13 px labels became 6.6 px.
import { useEffect, useRef, useState } from 'react';
import * as Plot from '@observablehq/plot';

export interface PlotFigureProps {
  /** The chart, or a function of the width it is drawn at (e.g. fewer date ticks on a phone). */
  options: Plot.PlotOptions | ((width: number) => Plot.PlotOptions);
  caption: string;
  table?: { columns: string[]; rows: (string | number | null)[][] };
  testId?: string;
}

/** Narrower than this a chart is not drawn smaller: its box scrolls sideways (figure.plot). */
export const MIN_CHART_WIDTH = 280;
/** Where the width cannot be measured (no layout, as in tests), Plot's own default. */
const DEFAULT_WIDTH = 640;

/** The width to draw at for a container `measured` px wide (0: not measured). */
export function chartWidth(measured: number): number {
  return measured > 0 ? Math.max(MIN_CHART_WIDTH, Math.floor(measured)) : DEFAULT_WIDTH;
}

/** The width of the element `ref` points to, followed as it changes. */
function useWidth(ref: React.RefObject<HTMLElement>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => setWidth(entries[0]?.contentRect.width ?? el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

export function PlotFigure({ options, caption, table, testId }: PlotFigureProps) {
  const ref = useRef<HTMLDivElement>(null);
  const width = chartWidth(useWidth(ref));
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let chart: (SVGSVGElement | HTMLElement) | null = null;
    try {
      // 14 px, as the legend and caption (.9rem): at the container's width it is not scaled down
      chart = Plot.plot({ style: { fontSize: '14px', color: '#1a1a1a', background: 'transparent' }, width,
        ...(typeof options === 'function' ? options(width) : options) });
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
  }, [options, caption, width]);
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
