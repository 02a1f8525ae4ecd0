// Numbers into plain words for clients: how well a therapist seems to fit, and how sure we are.
import type { Recommendation } from './types';

/** "strong", "good", "fair" or "weaker" fit from a 0..1 score. */
export function fitWords(score: number): string {
  if (score >= 0.75) return 'a strong fit';
  if (score >= 0.55) return 'a good fit';
  if (score >= 0.35) return 'a fair fit';
  return 'a weaker fit';
}

/**
 * How sure the estimate is, from the width of its interval (on the 0..1 score scale) or, when
 * there is none, a frank statement that the ranking is a best guess.
 */
export function certaintyWords(r: Pick<Recommendation, 'interval' | 'evidence'>): string {
  const ev = r.evidence ? ` (${r.evidence})` : '';
  if (!r.interval) return `This is our best guess; we cannot yet say how sure it is${ev}.`;
  const width = Math.abs(r.interval[1] - r.interval[0]);
  if (width <= 0.15) return `We are fairly sure about this${ev}.`;
  if (width <= 0.35) return `We are somewhat unsure: the true fit could be a little better or worse${ev}.`;
  return `We are quite unsure: there is not much information yet, so treat this as a rough guide${ev}.`;
}

/** A short date from an ISO-8601 timestamp, in the reader's locale. */
export function shortDate(iso: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** Human words for a snake_case code ("substance_use" → "substance use"). */
export function words(code: string): string {
  return code.replace(/_/g, ' ');
}
