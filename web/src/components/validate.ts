// Client-side completeness check for a questionnaire, from its definition alone. The server
// validates again and scores (the web never scores: docs/architecture.md).
import type { Answers, Instrument, Item } from '../types';
import { polesOf, preferenceWords } from '../plain';

export interface ItemProblem {
  itemId: string;
  index: number; // 0-based item position
  message: string;
}

/** What a person sees for an item: its wording, or its label when the wording is licensed. */
export function itemPrompt(item: Item): string {
  return item.text ?? item.label;
}

/**
 * The C-NIP's items in the words of the intake's preference sliders: its wording is licensed and
 * not shipped, and the definition's labels ("Item 1 (therapist_directiveness)", "+1 slight
 * preference (first-named pole)") name neither pole. Each item reads "Therapist directiveness vs
 * client directiveness, question 1 of 5", each option "+1: a slight preference for therapist
 * directiveness" (+ is the first-named pole). Other instruments are returned as they are.
 */
export function readableItems(instrument: Instrument): Instrument {
  if (instrument.id !== 'cnip') return instrument;
  return {
    ...instrument,
    items: instrument.items.map((item) => {
      const scale = instrument.scales.find((s) => s.items.includes(item.id));
      if (!scale || item.text) return item;
      const poles = polesOf(scale.title ?? '', scale.id);
      return {
        ...item,
        label: `${scale.title}, question ${scale.items.indexOf(item.id) + 1} of ${scale.items.length}`,
        response: { ...item.response, options: (item.response.options ?? []).map((o) => (
          { ...o, label: `${o.value > 0 ? '+' : ''}${o.value}: ${preferenceWords(o.value, poles)}` })) },
      };
    }),
  };
}

function short(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s;
}

/**
 * Problems with `answers`, one per item: every scored item needs an answer, and every answer
 * must be one of the item's permitted values. Unscored items (e.g. PHQ-9 item 10) may be left.
 */
export function validateAnswers(instrument: Instrument, answers: Answers): ItemProblem[] {
  const problems: ItemProblem[] = [];
  instrument.items.forEach((item, index) => {
    const a = answers[index] ?? null;
    const name = `Question ${index + 1} (“${short(itemPrompt(item))}”)`;
    if (a === null) {
      if (item.scored) problems.push({ itemId: item.id, index, message: `${name} needs an answer.` });
      return;
    }
    const options = item.response.options;
    if (options) {
      if (!options.some((o) => o.value === a)) {
        const allowed = options.map((o) => o.value).join(', ');
        problems.push({ itemId: item.id, index, message: `${name}: ${a} is not one of ${allowed}.` });
      }
    } else if (!onTheLine(item, a)) {
      problems.push({ itemId: item.id, index, message: `${name}: ${a} is not ${lineWords(item)}.` });
    }
  });
  return problems;
}

/** Whether an item is answered on a line (a visual-analogue scale) rather than by options. */
export function isLine(item: Item): boolean {
  return !item.response.options;
}

/** What a line item takes, in words: "a number from 0 to 10 in steps of 0.1". */
export function lineWords(item: Item): string {
  const { min, max, step } = item.response;
  return `a number from ${min} to ${max}${step ? ` in steps of ${step}` : ''}`;
}

/**
 * Whether `a` is a permitted mark on a line item: within its range and a whole number of steps
 * from its minimum (with the server's relative slack of 1e-9, so 6.2 typed is 6.2).
 */
export function onTheLine(item: Item, a: number): boolean {
  const { min, max, step } = item.response;
  if (!Number.isFinite(a) || a < min || a > max) return false;
  if (!step) return true;
  const steps = (a - min) / step;
  return Math.abs(steps - Math.round(steps)) <= 1e-9 * Math.max(1, Math.abs(steps));
}

/** Decimals to show a line item's mark with: those of its step (0.1 -> 1). */
export function stepDecimals(item: Item): number {
  const step = item.response.step ?? 0;
  if (!step) return 2;
  const text = String(step);
  return text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
}

/** Items whose answer crosses their risk threshold (e.g. PHQ-9 item 9 above 0). */
export function riskFlags(instrument: Instrument, answers: Answers): Item[] {
  return instrument.items.filter((item, i) => {
    const a = answers[i];
    return item.risk !== null && a !== null && a !== undefined && a > item.risk.above;
  });
}
