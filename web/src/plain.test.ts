import { describe, expect, it } from 'vitest';
import { certaintyWords, fitNumbers, fitWords, readableDetail, shortDate, words } from './plain';

// Recommendation scores are in SD units of the clinic's pairings, 0 = its average, with an SD
// (`uncertainty`, about 0.19 on the demo clinic): the 95% range is score ± 1.96 × uncertainty.
describe('plain words', () => {
  it('writes a calendar date as that day, as it writes a timestamp', () => {
    // Before: episodes' days were shown raw ("since 2026-08-07")
    expect(shortDate('2026-08-07')).toBe(new Date(2026, 7, 7).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' }));
    expect(shortDate('2026-08-07')).toMatch(/\b7\b/);
    expect(shortDate('not a date')).toBe('not a date');
  });

  it('calls a fit better or weaker only when its range leaves the clinic average', () => {
    // 0.12 ± 1.96 × 0.19 = -0.25 .. 0.49: overlaps 0
    expect(fitWords({ score: 0.12, uncertainty: 0.19 })).toBe('an average fit');
    // 0.45 ± 0.37 = 0.08 .. 0.82
    expect(fitWords({ score: 0.45, uncertainty: 0.19 })).toBe('a good fit');
    expect(fitWords({ score: 0.8, uncertainty: 0.19 })).toBe('a strong fit');
    expect(fitWords({ score: -0.5, uncertainty: 0.19 })).toBe('a weaker fit');
    expect(fitWords({ score: -0.1, uncertainty: 0.19 })).toBe('an average fit');
  });
  it('says how sure, and that an overlapping range cannot be told from average', () => {
    expect(certaintyWords({ score: 0.12, uncertainty: 0.19 }))
      .toBe("Our estimate is a little above this clinic's average, but it is too uncertain to tell apart from the average.");
    expect(certaintyWords({ score: -0.12, uncertainty: 0.19 })).toMatch(/a little below .* too uncertain/);
    expect(certaintyWords({ score: 0.45, uncertainty: 0.19 })).toBe('We are fairly sure this is better than the average pairing in this clinic.');
    // 0.9 - 0.37 = 0.53 >= 0.37: the whole range is more than its own width above average
    expect(certaintyWords({ score: 0.9, uncertainty: 0.19 })).toMatch(/^We are quite sure this is better/);
    expect(certaintyWords({ score: -0.6, uncertainty: 0.19, evidence: 'literature prior only' }))
      .toBe('We are fairly sure this is below the average pairing in this clinic (literature prior only).');
    expect(certaintyWords({ score: 0.3 })).toMatch(/best guess/);
  });
  it('gives staff the numbers', () => {
    expect(fitNumbers({ score: 0.12, uncertainty: 0.19 })).toBe("+0.12 SD from the clinic's average (95% range −0.25 to +0.49)");
  });
  it('codes to words', () => expect(words('substance_use')).toBe('substance use'));
  it('alert texts without internal codes', () => {
    expect(readableDetail('risk item: answered 2 on core10 item core10_6')).toBe('risk item: answered 2 on CORE-10 item 6');
    expect(readableDetail('wai_sr.total fell from 52 to 44')).toBe('WAI-SR total fell from 52 to 44');
    expect(readableDetail('thoughts of self-harm: answered 1 on phq9_9')).toBe('thoughts of self-harm: answered 1 on PHQ-9 item 9');
    expect(readableDetail('bond fell (WAI-SR bond), below range')).toBe('bond fell (WAI-SR bond), below range');
  });
});
