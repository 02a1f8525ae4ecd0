import { describe, expect, it } from 'vitest';
import { certaintyWords, fitWords, words } from './plain';

describe('plain words', () => {
  it('fit bands', () => {
    expect(fitWords(0.8)).toBe('a strong fit');
    expect(fitWords(0.6)).toBe('a good fit');
    expect(fitWords(0.4)).toBe('a fair fit');
    expect(fitWords(0.1)).toBe('a weaker fit');
  });
  it('uncertainty from the interval width, frank when there is none', () => {
    expect(certaintyWords({ interval: [0.6, 0.7] })).toMatch(/fairly sure/);
    expect(certaintyWords({ interval: [0.4, 0.7] })).toMatch(/somewhat unsure/);
    expect(certaintyWords({ interval: [0.1, 0.9], evidence: 'literature prior only' }))
      .toBe('We are quite unsure: there is not much information yet, so treat this as a rough guide (literature prior only).');
    expect(certaintyWords({})).toMatch(/best guess/);
  });
  it('codes to words', () => expect(words('substance_use')).toBe('substance use'));
});
