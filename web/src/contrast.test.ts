// The palette in styles.css meets WCAG 2.1 AA: 4.5:1 for text, 3:1 for borders and focus.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// vitest runs with web/ as its root
const css = readFileSync(resolve(process.cwd(), 'src/styles.css'), 'utf8');
const v = (name: string) => {
  const m = css.match(new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})`));
  if (!m) throw new Error(`--${name} not in styles.css`);
  return m[1];
};

function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
export function contrast(a: string, b: string): number {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

describe('contrast', () => {
  it('computes known ratios', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeLessThan(4.5);
  });
  it.each([
    ['fg', 'bg'], ['muted', 'bg'], ['link', 'bg'], ['err', 'bg'], ['ok', 'bg'],
    ['fg', 'soft'], ['link', 'soft'], ['muted', 'soft'],
  ])('text --%s on --%s is at least 4.5:1', (f, b) => {
    expect(contrast(v(f), v(b))).toBeGreaterThanOrEqual(4.5);
  });
  it('white text on buttons and the header is at least 4.5:1', () => {
    expect(contrast('#ffffff', v('link'))).toBeGreaterThanOrEqual(4.5);
    expect(contrast('#ffffff', '#5a6b7d')).toBeGreaterThanOrEqual(4.5); // disabled button
    expect(contrast('#ffffff', '#8a4b00')).toBeGreaterThanOrEqual(4.5); // warning badge
  });
  it('field borders are at least 3:1', () => {
    expect(contrast(v('line'), v('bg'))).toBeGreaterThanOrEqual(3);
  });
});
