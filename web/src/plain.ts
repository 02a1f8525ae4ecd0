// Numbers into plain words for clients: how well a therapist seems to fit, and how sure we are.
import type { Language, Recommendation, Therapist } from './types';

/** z for a 95% range around a normal estimate. */
const Z95 = 1.96;

/**
 * The 95% range of a recommendation's score. The score is the predicted early alliance in SD
 * units of the clinic's pairings (0 = the clinic's average); `uncertainty` is its SD.
 */
export function fitRange(r: Pick<Recommendation, 'score' | 'uncertainty'>): [number, number] | null {
  if (r.uncertainty == null || !Number.isFinite(r.uncertainty) || r.uncertainty < 0) return null;
  return [r.score - Z95 * r.uncertainty, r.score + Z95 * r.uncertainty];
}

/**
 * "a strong / good / average / weaker fit", relative to the clinic's average pairing. Only a
 * score whose 95% range leaves the average is called better or weaker than it; without an
 * uncertainty the point estimate decides, with ±0.2 SD counted as average.
 */
export function fitWords(r: Pick<Recommendation, 'score' | 'uncertainty'>): string {
  const [lo, hi] = fitRange(r) ?? [r.score - 0.2, r.score + 0.2];
  if (lo > 0) return r.score >= 0.5 ? 'a strong fit' : 'a good fit';
  if (hi < 0) return 'a weaker fit';
  return 'an average fit';
}

/** How sure the estimate is, in words, from its uncertainty; frank when there is none. */
export function certaintyWords(r: Pick<Recommendation, 'score' | 'uncertainty' | 'evidence'>): string {
  const ev = r.evidence ? ` (${r.evidence})` : '';
  const range = fitRange(r);
  if (!range) return `This is our best guess; we cannot yet say how sure it is${ev}.`;
  const [lo, hi] = range;
  const sure = (edge: number) => (Math.abs(edge) >= Z95 * (r.uncertainty ?? 0) ? 'quite sure' : 'fairly sure');
  if (lo > 0) return `We are ${sure(lo)} this is better than the average pairing in this clinic${ev}.`;
  if (hi < 0) return `We are ${sure(hi)} this is below the average pairing in this clinic${ev}.`;
  const side = r.score > 0.05 ? 'a little above' : r.score < -0.05 ? 'a little below' : 'close to';
  return `Our estimate is ${side} this clinic's average, but it is too uncertain to tell apart from the average${ev}.`;
}

/** The numbers behind the words, for staff: "+0.25 SD (95% range −0.12 to +0.62)". */
export function fitNumbers(r: Pick<Recommendation, 'score' | 'uncertainty'>): string {
  const sd = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(2)}`;
  const range = fitRange(r);
  return `${sd(r.score)} SD from the clinic's average` + (range ? ` (95% range ${sd(range[0])} to ${sd(range[1])})` : '');
}

/**
 * A short date from an ISO-8601 timestamp or calendar date, in the reader's locale. A calendar
 * date ("2026-08-07", as episodes' days) is that day wherever the reader is, not UTC midnight.
 */
export function shortDate(iso: string): string {
  if (!iso) return '';
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  const d = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/**
 * A moment from an ISO-8601 timestamp, in the reader's locale and time zone, to the minute:
 * "Nov 28, 2026, 1:14 AM" (for logs, where the time of day matters).
 */
export function dateAndTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit' });
}

/** The FFMQ-39 facets by the names people know ("nonjudge" → "non-judging"). */
export const FACET_NAMES: Record<string, string> = {
  observe: 'observing', describe: 'describing', act_aware: 'acting with awareness', nonjudge: 'non-judging', nonreact: 'non-reactivity',
};
export function facetName(code: string): string {
  return FACET_NAMES[code] ?? words(code);
}

/** A file's size for reading: "512 bytes", "92.5 KB" (94,719 bytes), "3.4 MB". */
export function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A score for reading: rounded to one decimal, with no trailing ".0" (15.555… → "15.6", 16 → "16"). */
export function oneDecimal(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '—';
  return String(Math.round(v * 10) / 10);
}

/** "<scale> score" for an axis, unless the scale's title already says score ("Clinical score"). */
export function scoreLabel(scaleTitle: string): string {
  return /\bscore$/i.test(scaleTitle.trim()) ? scaleTitle.trim() : `${scaleTitle.trim()} score`;
}

/** Instruments' names as clinicians know them, for codes in alert texts. */
export const INSTRUMENT_NAMES: Record<string, string> = {
  phq9: 'PHQ-9', gad7: 'GAD-7', core10: 'CORE-10', wai_sr: 'WAI-SR', wai_srt: 'WAI-SR-T', ffmq39: 'FFMQ-39', cnip: 'C-NIP',
};
const CODE = Object.keys(INSTRUMENT_NAMES).sort((a, b) => b.length - a.length).join('|');

/**
 * An alert's text with internal codes in readable names: "core10 item core10_6" → "CORE-10
 * item 6", "wai_sr.total" → "WAI-SR total", "phq9_9" → "PHQ-9 item 9".
 */
export function readableDetail(detail: string): string {
  const name = (id: string) => INSTRUMENT_NAMES[id] ?? id;
  return detail
    .replace(new RegExp(`\\b(${CODE}) item (?:${CODE})_(\\d+)\\b`, 'g'), (_m, id: string, n: string) => `${name(id)} item ${n}`)
    .replace(new RegExp(`\\b(${CODE})_(\\d+)\\b`, 'g'), (_m, id: string, n: string) => `${name(id)} item ${n}`)
    .replace(new RegExp(`\\b(${CODE})\\.([a-z_]+)\\b`, 'g'), (_m, id: string, scale: string) => `${name(id)} ${words(scale)}`)
    .replace(new RegExp(`\\b(${CODE})\\b`, 'g'), (_m, id: string) => name(id));
}

/** Human words for a snake_case code ("substance_use" → "substance use"). */
export function words(code: string): string {
  return code.replace(/_/g, ' ');
}

/** The two ends of a C-NIP scale (the intake's sliders, the C-NIP form) from its title ("Warm support vs focused challenge"): [low, high]. */
export function polesOf(title: string, id: string): [string, string] {
  const parts = title.split(/\s+vs\.?\s+/i);
  if (parts.length === 2) return [parts[1].trim(), parts[0].trim().replace(/^./, (c) => c.toLowerCase())];
  return [`less ${words(id)}`, `more ${words(id)}`];
}

const STRENGTH = ['no', 'a slight', 'a moderate', 'a strong'];

/** A slider position in words: "a slight preference for client directiveness". */
export function preferenceWords(strength: number, poles: [string, string]): string {
  if (strength === 0) return 'no preference';
  return `${STRENGTH[Math.min(3, Math.abs(strength))]} preference for ${strength > 0 ? poles[1] : poles[0]}`;
}

/** A record as the app names it where the server writes it in lower case: "therapist 35" → "Therapist 35". */
export function recordName(text: string): string {
  return text.replace(/^(therapist|client) (\d+)$/, (_, kind: string, id: string) => `${kind[0].toUpperCase()}${kind.slice(1)} ${id}`);
}

/** A therapist by name, from a list the page loaded; "Therapist 20" when the list lacks them. */
export function therapistName(therapists: Pick<Therapist, 'id' | 'display_name'>[], id: number): string {
  return therapists.find((t) => t.id === id)?.display_name || `Therapist ${id}`;
}

/**
 * A client's constraint in words, for staff: "language:de" → "in German" (the server's
 * language names, `GET /languages`), "modality:in_person" → "in person", "modality:video" → "by
 * video", "location:North Town" → "at North Town", "exclude:5" → "not with <therapist 5's name>",
 * "risk:high" → "high risk". A code it does not know is kept as it is.
 */
export function constraintWords(code: string, languages: Language[] = [], therapists: Pick<Therapist, 'id' | 'display_name'>[] = []): string {
  const at = code.indexOf(':');
  const kind = code.slice(0, at);
  const value = code.slice(at + 1);
  if (at < 0 || !value) return code;
  if (kind === 'language') return `in ${languages.find((l) => l.code === value)?.name ?? value}`;
  if (kind === 'modality') return value === 'in_person' ? 'in person' : value === 'video' ? 'by video' : code;
  if (kind === 'location') return `at ${value}`;
  if (kind === 'exclude' && /^\d+$/.test(value)) return `not with ${therapistName(therapists, Number(value))}`;
  if (code === 'risk:high') return 'high risk';
  return code;
}
