import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import * as Plot from '@observablehq/plot';
import { MIN_CHART_WIDTH, PlotFigure, chartWidth } from './PlotFigure';

describe('PlotFigure', () => {
  it('draws an SVG named by its caption, with the numbers as a table', () => {
    const data = [{ session: 1, value: 14 }, { session: 2, value: 11 }];
    render(<PlotFigure caption="PHQ-9 per session" testId="fig"
      options={{ marks: [Plot.line(data, { x: 'session', y: 'value' })] }}
      table={{ columns: ['session', 'score'], rows: data.map((d) => [d.session, d.value]) }} />);
    const svg = screen.getByTestId('fig').querySelector('svg[role="img"]');
    expect(svg?.getAttribute('aria-label')).toBe('PHQ-9 per session');
    expect(screen.getByText('PHQ-9 per session').tagName).toBe('FIGCAPTION');
    expect(screen.getAllByRole('row')).toHaveLength(3);
    expect(screen.getByRole('columnheader', { name: 'score' })).toBeTruthy();
  });

  it('puts no <style> element in the page (the server\'s style-src \'self\' refused each one)', () => {
    const data = [{ session: 1, value: 14, kind: 'a' }, { session: 2, value: 11, kind: 'b' }];
    render(<PlotFigure caption="with a legend" testId="fig"
      options={{ color: { legend: true }, marks: [Plot.dot(data, { x: 'session', y: 'value', fill: 'kind' })] }} />);
    const figure = screen.getByTestId('fig');
    expect(figure.querySelector('svg')).toBeTruthy();
    expect(figure.querySelectorAll('style')).toHaveLength(0);
  });

  it('leaves out the bare warning glyph Plot adds to a chart it warned about', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // five series over six points: Plot warns that the implicit z channel has high cardinality
    const data = [1, 2, 3, 4, 5, 6].map((i) => ({ x: i, y: i, s: `s${i % 5}` }));
    render(<PlotFigure caption="five series" testId="fig" options={{ marks: [Plot.line(data, { x: 'x', y: 'y', stroke: 's' })] }} />);
    expect(warn).toHaveBeenCalled();
    expect(screen.getByTestId('fig').textContent).not.toMatch(/\u26a0/);
    warn.mockRestore();
  });

  it('draws at its container\'s width, so its text is not scaled down on a phone', () => {
    const width = vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(327);
    const data = [{ session: 1, value: 14 }, { session: 2, value: 11 }];
    render(<PlotFigure caption="narrow" testId="fig" options={{ marks: [Plot.line(data, { x: 'session', y: 'value' })] }} />);
    const svg = screen.getByTestId('fig').querySelector('svg[role="img"]')!;
    expect(svg.getAttribute('width')).toBe('327');
    expect(svg.getAttribute('viewBox')).toMatch(/ 327 /);
    expect(svg.getAttribute('style')).toMatch(/font-size: 14px/);
    width.mockRestore();
    expect(chartWidth(200)).toBe(MIN_CHART_WIDTH);
    expect(chartWidth(0)).toBe(640);
  });
});
