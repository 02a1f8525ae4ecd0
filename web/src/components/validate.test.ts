import { describe, expect, it } from 'vitest';
import phq9 from '../fixtures/phq9.json';
import cnip from '../fixtures/cnip.json';
import ors from '../fixtures/ors.json';
import type { Answers, Instrument } from '../types';
import { itemPrompt, readableItems, riskFlags, validateAnswers } from './validate';

const ins = phq9 as unknown as Instrument;
const full: Answers = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1];

describe('validateAnswers', () => {
  it('accepts a full response', () => {
    expect(validateAnswers(ins, full)).toEqual([]);
  });

  it('names each unanswered scored item by number and wording', () => {
    const a = [...full];
    a[2] = null;
    a[6] = null;
    const p = validateAnswers(ins, a);
    expect(p.map((x) => x.itemId)).toEqual(['phq9_3', 'phq9_7']);
    expect(p[0].message).toBe('Question 3 (“Trouble falling or staying asleep, or sleeping too much”) needs an answer.');
    expect(p[1].message).toMatch(/^Question 7 \(“Trouble concentrating/);
  });

  it('lets unscored items be left (PHQ-9 item 10)', () => {
    const a = [...full];
    a[9] = null;
    expect(validateAnswers(ins, a)).toEqual([]);
  });

  it('refuses a value the item does not permit, naming the permitted ones', () => {
    const a = [...full];
    a[0] = 4;
    expect(validateAnswers(ins, a)).toEqual([{ itemId: 'phq9_1', index: 0,
      message: 'Question 1 (“Little interest or pleasure in doing things”): 4 is not one of 0, 1, 2, 3.' }]);
  });

  it('shortens long wording in messages', () => {
    const a = [...full];
    a[5] = null;
    expect(validateAnswers(ins, a)[0].message).toContain('…');
  });
});

describe('riskFlags', () => {
  it('flags PHQ-9 item 9 above 0 only', () => {
    const a = [...full];
    a[8] = 0;
    expect(riskFlags(ins, a)).toEqual([]);
    a[8] = 1;
    expect(riskFlags(ins, a).map((i) => i.id)).toEqual(['phq9_9']);
  });
});

describe('itemPrompt', () => {
  it('uses the label when the wording is licensed (text null)', () => {
    expect(itemPrompt({ ...ins.items[0], text: null })).toBe('Item 1: interest');
  });
});

// The C-NIP's wording is licensed: its items are named by their scale and its options by the
// scale's poles, as the intake's preference sliders name them.
describe('readableItems (C-NIP)', () => {
  it('names each item by its scale and each option by the pole it leans to', () => {
    const ins = readableItems(cnip as unknown as Instrument);
    const first = ins.items[0];
    expect(itemPrompt(first)).toBe('Therapist directiveness vs client directiveness, question 1 of 5');
    expect(first.response.options!.map((o) => o.label)).toEqual([
      '-3: a strong preference for client directiveness', '-2: a moderate preference for client directiveness',
      '-1: a slight preference for client directiveness', '0: no preference',
      '+1: a slight preference for therapist directiveness', '+2: a moderate preference for therapist directiveness',
      '+3: a strong preference for therapist directiveness']);
    expect(ins.items.map(itemPrompt).join(' ')).not.toMatch(/Item \d|_|pole\)/);
    const phq = phq9 as unknown as Instrument;
    expect(readableItems(phq)).toBe(phq);
  });
});

describe('validateAnswers on a line item (ORS: 0-10 in steps of 0.1)', () => {
  const lines = ors as unknown as Instrument;
  it('takes marks on the steps, the ends included, and names one off them or off the line', () => {
    expect(validateAnswers(lines, [0, 10, 6.2, 3.3])).toEqual([]);
    const p = validateAnswers(lines, [6.24, 10.1, -0.1, 5]);
    expect(p.map((x) => x.index)).toEqual([0, 1, 2]);
    expect(p[0].message).toContain('6.24 is not a number from 0 to 10 in steps of 0.1');
  });
});
